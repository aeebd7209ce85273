"""The search page with Neo4j stopped: how long ``/`` takes to say that the database is gone.

The API runs as users run it (``clusterkg serve`` in its own process) with ``NEO4J_URI`` pointing where no
server listens. The first load finds Neo4j gone and waits out the API's retries
(``api_graph_retry_seconds``), or, on a loaded machine where the retries outlast the 2 s the page waits for
its towns, says that the database is slow; the loads after it are the ones a person meets while the
database is down, and the search page's towns are no longer cached (they are read when the page is first
asked for). ``--retry-seconds`` sets the API's retries, 4 s outlasting the page's wait on any machine.

    python bench/bench_pages_down.py --n 20 [--retry-seconds 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.server import free_port  # noqa: E402

UNAVAILABLE = "cannot reach their database"
"""Words of the page's notice (``api/web/access.py: UNAVAILABLE``)."""
SLOW = "slow to answer"
"""Words of the notice of a page that gave up waiting for its towns (``api/web/pages.py: SLOW``)."""


def timed(client: httpx.Client) -> tuple[float, bool]:
    """One load of ``/`` in ms, and whether it said that the database is gone (else, that it is slow)."""
    started = time.perf_counter()
    response = client.get("/", headers={"Accept": "text/html"})
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or not (UNAVAILABLE in response.text or SLOW in response.text):
        raise SystemExit(f"/ answered {response.status_code} without its notice: {response.text[:300]}")
    return elapsed, UNAVAILABLE in response.text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20, help="loads of / after the first")
    parser.add_argument("--retry-seconds", type=float, help="the API's retries (api_graph_retry_seconds)")
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}"}
    if args.retry_seconds is not None:
        env["CLUSTERKG_API_GRAPH_RETRY_SECONDS"] = str(args.retry_seconds)
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the API did not start in 180 s") from None
                    time.sleep(0.5)
            first, first_gone = timed(client)
            loads = [timed(client) for _ in range(args.n)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    later = sorted(ms for ms, _ in loads)
    said_slow = sum(1 for _, gone in loads if not gone)
    print(f"first load of /: {first:.0f} ms, saying the database is {'gone' if first_gone else 'slow'}")
    print(
        f"next {args.n}: p50 {statistics.median(later):.1f} ms, max {later[-1]:.1f} ms; "
        f"{said_slow} said the database is slow"
    )
    print(f"load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
