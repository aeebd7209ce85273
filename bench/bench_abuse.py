"""Abuse benchmark: what another caller sees while one client sends the worst request the limits allow.

The attacker (one member key) sends, from ``--attack-connections`` connections at once and as fast as they
answer, the costliest request the complexity limit lets through: as many aliased ``partnerSuggestions``
as fit under it (each counts ``api_cost_suggestion``). Its rate limit and the fair compute queue apply as
configured. Meanwhile the victim (another key) asks ``/healthz`` and a page of 50 organizations, one at a
time; the same is measured first with no attacker. The server is ``clusterkg serve`` in its own process,
with the default limits, on the Neo4j of the settings (``NEO4J_URI``; migrated and filled if needed).

Targets: the victim's ``/healthz`` p95 <= 100 ms and page p95 <= 2x its unloaded figure.

    nice -n 5 python bench/bench_abuse.py --orgs 20000 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_api import PAGE, prepare, wait_ready  # noqa: E402

from api.auth import ApiRole, create_key  # noqa: E402
from graph import migrations  # noqa: E402
from graph.db import Graph  # noqa: E402
from graph.queries import api as q  # noqa: E402
from schema.settings import Settings  # noqa: E402

console = Console(width=150)
SUGGESTION = 'partnerSuggestions(need: "{need}", limit: 10) {{ score partner {{ id }} }}'
NEEDS = [
    "camera-based quality control for our bakery line",
    "predictive maintenance of filling machines",
    "cold-chain monitoring sensors for milk transport",
    "machine learning for demand forecasting",
]


def worst_request(settings: Settings) -> str:
    """As many aliased suggestions as the complexity limit lets through (each with its 10 scores)."""
    each = settings.api_cost_suggestion + 1 + 10
    count = max(1, settings.api_max_complexity // each)
    aliases = " ".join(
        f"s{i}: " + SUGGESTION.format(need=f"{NEEDS[i % len(NEEDS)]} {i}") for i in range(count)
    )
    return "{ " + aliases + " }"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def victim(base: str, key: str, seconds: float) -> dict[str, list[float]]:
    """``/healthz`` and a page of 50 organizations, one after the other, for ``seconds``: latencies in ms."""
    timings: dict[str, list[float]] = {"healthz": [], "page of 50": []}
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            timings["healthz"].append(1000 * (time.perf_counter() - started))
            started = time.perf_counter()
            page = await client.post("/graphql", json={"query": PAGE, "variables": {}}, headers=headers)
            assert page.status_code == 200 and "errors" not in page.json(), page.text[:300]
            timings["page of 50"].append(1000 * (time.perf_counter() - started))
    return timings


async def attacker(base: str, key: str, query: str, connections: int, stop: asyncio.Event) -> Counter[str]:
    """Send ``query`` from ``connections`` connections until ``stop``; how each answer came back."""
    outcomes: Counter[str] = Counter()
    headers = {"Authorization": f"Bearer {key}"}

    async def loop(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            codes = [e["extensions"]["code"] for e in response.json().get("errors") or []]
            outcomes[f"{response.status_code} {','.join(codes) or 'ok'}"] += 1
            if response.status_code == 429:
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))

    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        await asyncio.gather(*(loop(client) for _ in range(connections)))
    return outcomes


async def run(args: argparse.Namespace) -> None:
    settings = Settings()
    with Graph.connect(settings) as graph:
        migrations.migrate(graph)
    prepare(settings, args.orgs, embeddings=True)
    with Graph.connect(settings) as graph:
        seeker = graph.run(q.BENCH_SEEKERS, limit=1)[0]["id"]
        attack_key = create_key(graph, ApiRole.MEMBER, seeker, label="bench-abuse attacker").secret
        victim_key = create_key(graph, ApiRole.DATA_TEAM, None, label="bench-abuse victim").secret
    query = worst_request(settings)
    base = f"http://127.0.0.1:{args.port}"
    command = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(args.port)]
    server = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
    try:
        await wait_ready(base, tries=600)
        await victim(base, victim_key, 2.0)  # warm up
        unloaded = await victim(base, victim_key, args.seconds)
        stop = asyncio.Event()
        attack = asyncio.create_task(attacker(base, attack_key, query, args.attack_connections, stop))
        await asyncio.sleep(2.0)  # the attacker's work is queued before measuring
        loaded = await victim(base, victim_key, args.seconds)
        stop.set()
        outcomes = await attack
    finally:
        server.terminate()
        server.wait(timeout=60)
    report(settings, args, query, unloaded, loaded, outcomes)


def report(
    settings: Settings,
    args: argparse.Namespace,
    query: str,
    unloaded: dict[str, list[float]],
    loaded: dict[str, list[float]],
    outcomes: Counter[str],
) -> None:
    table = Table(
        title=f"Another caller while one sends the worst allowed request, {args.orgs:,} organizations"
    )
    table.caption = (
        f"attacker: {query.count('partnerSuggestions')} aliased suggestions a request "
        f"({len(query):,} bytes), "
        f"{args.attack_connections} connections; answers: "
        + ", ".join(f"{n} x {outcome}" for outcome, n in outcomes.most_common())
        + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end; compute threads "
        f"{settings.api_compute_threads}, rate {settings.api_rate_limit:g}/s burst {settings.api_rate_burst}"
    )
    for column in (
        "victim asks",
        "n",
        "unloaded p50 ms",
        "p95 ms",
        "loaded p50 ms",
        "p95 ms",
        "p95 ratio",
        "target",
    ):
        table.add_column(column, justify="left" if column in ("victim asks", "target") else "right")
    targets = {"healthz": "p95 <= 100 ms", "page of 50": "p95 <= 2x unloaded"}
    for name in unloaded:
        before, after = unloaded[name], loaded[name]
        ratio = percentile(after, 0.95) / percentile(before, 0.95)
        met = percentile(after, 0.95) <= 100 if name == "healthz" else ratio <= 2.0
        table.add_row(
            name,
            str(len(after)),
            f"{statistics.median(before):.1f}",
            f"{percentile(before, 0.95):.1f}",
            f"{statistics.median(after):.1f}",
            f"{percentile(after, 0.95):.1f}",
            f"{ratio:.2f}x",
            f"{targets[name]}: {'met' if met else 'NOT met'}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=20_000, help="organizations in the graph")
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring time, unloaded and loaded")
    parser.add_argument("--attack-connections", type=int, default=4, help="the attacker's connections")
    parser.add_argument("--port", type=int, default=8766)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
