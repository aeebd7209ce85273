"""Web pages benchmark: p50 / p95 / max latency of each page and fragment on the demo region, one client.

The API runs as users run it (``clusterkg serve`` in its own process, one uvicorn worker) against the graph
the settings name (``NEO4J_URI`` / ``CLUSTERKG_*``); ``--load-demo`` first empties that graph and loads and
embeds the demo region (``ingest/demo``). Keys for a member (the bakery) and for the food cluster's manager
are made for the run and revoked at its end. Each page is asked ``--n`` times after two warm-up requests;
the load average is printed beside the table (the machine may be shared).

    python bench/bench_pages.py --load-demo --n 40
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ingest  # noqa: E402
import matching  # noqa: E402
from api.auth import ApiRole, create_key, revoke_key  # noqa: E402
from graph import admin  # noqa: E402
from graph.db import Graph  # noqa: E402
from graph.server import free_port  # noqa: E402
from ingest import demo  # noqa: E402
from schema.settings import Settings  # noqa: E402

console = Console(width=140)
MEMBER = "FN100000a"
MANAGER = "M-FC"
CLUSTER = "FOOD"
NEEDS = [
    "AI cameras that spot burnt or misshapen loaves on our bakery line",
    "cold chain temperature monitoring for cheese exports",
    "a semi-automatic vacuum packaging machine",
    "heat recovery from the brewhouse",
]


def pages(member: str, manager: str) -> list[tuple[str, str, str | None]]:
    """(label, path, key) of every page and fragment the pages fetch."""
    searches = [f"/web/suggestions?{urlencode({'need': need, 'town': 'Wels', 'km': '60'})}" for need in NEEDS]
    return [
        ("/ (search page shell)", "/", None),
        ("/organizations/ID (shell)", f"/organizations/{MEMBER}", None),
        ("/clusters/ID (shell)", f"/clusters/{CLUSTER}", None),
        ("/static/app.js", "/static/app.js", None),
        ("GraphiQL page", "/graphql", None),
        ("/web/me (member)", "/web/me", member),
        ("/web/suggestions (guest need, town, km)", searches[0], None),
        (
            "/web/suggestions (member, typed need)",
            f"/web/suggestions?{urlencode({'need': NEEDS[0]})}",
            member,
        ),
        ("/web/organizations/ID (member)", f"/web/organizations/{MEMBER}", member),
        ("/web/clusters/ID (manager, with drawing)", f"/web/clusters/{CLUSTER}", manager),
        *[(f"/web/suggestions (guest need {i + 1})", path, None) for i, path in enumerate(searches[1:])],
    ]


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit("the API did not become ready in 180 s")


def measure(client: httpx.Client, path: str, key: str | None, n: int) -> list[float]:
    headers = {"Accept": "text/html", **({"Authorization": f"Bearer {key}"} if key else {})}
    times = []
    for i in range(n + 2):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
        if i >= 2:
            times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=40, help="requests per page (after two warm-ups)")
    parser.add_argument("--load-demo", action="store_true", help="empty the graph and load the demo region")
    args = parser.parse_args()
    settings = Settings()
    graph = Graph.connect(settings)
    if args.load_demo:
        admin.delete_data(graph)
        ingest.load(graph, demo.paths())
        matching.embed(graph, settings)
    member = create_key(graph, ApiRole.MEMBER, MEMBER, label="bench_pages")
    manager = create_key(graph, ApiRole.CLUSTER_MANAGER, MANAGER, label="bench_pages")
    port = free_port()
    server = start_server(port)
    table = Table(title=f"Pages on the demo region, {args.n} requests each, one client")
    for column in ("page", "p50 ms", "p95 ms", "max ms"):
        table.add_column(column, justify="left" if column == "page" else "right")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for label, path, key in pages(member.secret, manager.secret):
                times = sorted(measure(client, path, key, args.n))
                p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
                table.add_row(label, f"{statistics.median(times):.0f}", f"{p95:.0f}", f"{times[-1]:.0f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        revoke_key(graph, member.id)
        revoke_key(graph, manager.id)
        graph.close()
    console.print(table)
    console.print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
