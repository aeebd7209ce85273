"""The search page with Neo4j stopped: how long ``/`` takes to say that the database is gone.

The API runs as users run it (``clusterkg serve`` in its own process) with ``NEO4J_URI`` pointing where no
server listens. The first load finds Neo4j gone and waits out the API's retries
(``api_graph_retry_seconds``); the loads after it are the ones a person meets while the database is down,
and the search page's towns are no longer cached (they are read when the page is first asked for).

    python bench/bench_pages_down.py --n 20
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


def timed(client: httpx.Client) -> float:
    """One load of ``/`` in ms; it must say that the database is gone."""
    started = time.perf_counter()
    response = client.get("/", headers={"Accept": "text/html"})
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or UNAVAILABLE not in response.text:
        raise SystemExit(f"/ answered {response.status_code} without its notice: {response.text[:300]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20, help="loads of / after the first")
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}"}
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
            first = timed(client)
            later = sorted(timed(client) for _ in range(args.n))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"first load of /: {first:.0f} ms")
    print(f"next {args.n}: p50 {statistics.median(later):.1f} ms, max {later[-1]:.1f} ms")
    print(f"load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
