"""GraphQL API benchmark: latency and throughput at 1, 8 and 32 concurrent clients, and the GraphQL tax.

Scenarios, each asked of ``/graphql`` and, in the same run, of a plain FastAPI JSON endpoint that runs the
same graph queries (and the same key check) and returns the same payload without GraphQL:

  (a) a page of 50 organizations with their clusters and capabilities (pages spread over the keyset),
  (b) partnerSuggestions with limit 10 for organizations that state needs,
  (c) search (hybrid full-text + vector) for need-like texts.

The server runs in its own process, as ``clusterkg serve`` runs it (``api.server``: uvicorn, one worker, the
bounded request head), so client and server do not share an event loop.
When the graph holds fewer than ``--orgs`` organizations, the script generates a region with ``clusterkg
generate``'s generator and loads it with ``ingest.load``. Vectors are made as ``bench/bench_suggest.py``
makes them (encoding 100,000 descriptions takes about ten minutes of both cores): every distinct needs
text and description template is encoded for real, each organization gets its template's vector plus noise
calibrated on real encodings, with the real texts' hashes (so ``clusterkg embed`` sees nothing to do).

Every cell also reports the CPU milliseconds per request that the API server process, this client and
Neo4j spent (read from /proc), and the tax as a ratio of server CPU: on a shared machine wall-clock figures
are mostly queueing, CPU per request is what the code costs. ``--profile`` runs the server under cProfile
and prints where its CPU went (both endpoints of the chosen scenarios; pick one with ``--scenarios``).

    python bench/bench_api.py --orgs 100000
    python bench/bench_api.py --orgs 100000 --scenarios a --clients 1 --seconds 4 --profile
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib.util
import os
import pstats
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from fastapi import FastAPI, Request, Response
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_suggest import write_generated_vectors  # noqa: E402

import ingest  # noqa: E402
import matching  # noqa: E402
from api.app import create_app  # noqa: E402
from api.auth import ApiRole, authenticate, create_key  # noqa: E402
from api.cli import configure_logging  # noqa: E402
from api.graphql.pages import embed  # noqa: E402
from api.graphql.suggestions import basis_of, reasons  # noqa: E402
from api.server import api_server  # noqa: E402
from api.throttle import Lane  # noqa: E402
from graph import admin, migrations  # noqa: E402
from graph.db import Graph  # noqa: E402
from graph.queries import api as q  # noqa: E402
from graph.queries import organizations as orgs  # noqa: E402
from graph.server import ManagedNeo4j, cpu_seconds  # noqa: E402
from ingest.generate import generate  # noqa: E402
from matching.reasons import TO_SEEKER  # noqa: E402
from schema.settings import Settings  # noqa: E402

console = Console(width=170)
CONTENT_LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")

PAGE = """query($after: String) { organizations(first: 50, after: $after) { edges { node {
    id name role clusters { id name } capabilities { id name } } } } }"""
SUGGEST = """query($org: ID!) { partnerSuggestions(organizationId: $org, limit: 10) {
    score partner { id name role } reasons { signal share sentence } matchedNeed matchedCapability } }"""
SEARCH = """query($text: String!) { search(text: $text, limit: 10) {
    score textScore vectorScore organization { id name role } } }"""
PROFILE_PACKAGES = (
    "graphql",
    "strawberry",
    "neo4j",
    "fastapi",
    "starlette",
    "uvicorn",
    "asyncio",
    "anyio",
    "/api/",
    "/graph/",
    "isinstance",
)
"""How the server profile is summed up: the first of these in a function's file name (or built-in's name)."""
SCENARIOS = {
    "a": "(a) page of 50 + clusters + capabilities",
    "b": "(b) partnerSuggestions limit 10",
    "c": "(c) search limit 10",
}
SEARCH_TEXTS = [
    "predictive maintenance for packaging machines",
    "computer vision quality inspection",
    "food safety laboratory analysis",
    "cloud software for logistics planning",
    "precision machining of aluminium parts",
    "energy efficiency consulting for factories",
    "industrial robotics integration",
    "sustainable packaging materials",
]


# --- the server: the API plus plain JSON endpoints for the same payloads -----------------------------------


def as_json(payload: dict[str, Any]) -> Response:
    """The payload encoded as the GraphQL route encodes its answers (orjson), so the tax is GraphQL's."""
    return Response(orjson.dumps(payload), media_type="application/json")


def plain_app(settings: Settings) -> FastAPI:
    """The API app with ``/plain/*`` endpoints that answer the same payloads without GraphQL."""
    app = create_app(settings)

    async def caller(request: Request) -> str:
        """The caller's key id: its lane at the compute threads, as a GraphQL request's (a per-key share)."""
        state = request.app.state
        return (await authenticate(state.graph, request.headers.get("authorization"), state.keys)).key_id

    @app.get("/plain/page")
    async def page(request: Request, after: str | None = None) -> Response:
        await caller(request)
        graph = request.app.state.graph
        keyset = tuple(after.split("\x1f", 1)) if after else None
        query, params = orgs.organizations_page(
            orgs.OrganizationFilter(),
            orgs.Order(),
            limit=50,
            after=keyset,
            candidates=settings.api_vector_candidates,
            nested=("clusters", "capabilities"),
            properties=frozenset(),
        )
        (result,) = await graph.run(query, **params)
        edges = [
            {
                "node": {
                    "id": row["organization"]["id"],
                    "name": row["organization"]["name"],
                    "role": row["organization"]["role"].upper(),
                    "clusters": [{"id": c["id"], "name": c["name"]} for c in row["clusters"]],
                    "capabilities": row["capabilities"],
                }
            }
            for row in result["rows"]
        ]
        return as_json({"data": {"organizations": {"edges": edges}}})

    @app.get("/plain/suggest")
    async def suggest(request: Request, org: str) -> Response:
        key = await caller(request)
        found = await request.app.state.compute.run(
            key, lambda: matching.suggest(request.app.state.sync_graph, org, limit=10, settings=settings)
        )
        basis = basis_of(None, TO_SEEKER)  # a member asking for itself, as the GraphQL requests do
        suggestions = [
            {
                "score": s.score,
                "partner": {"id": s.id, "name": s.name, "role": s.role.upper()},
                "reasons": [
                    {"signal": r.signal, "share": r.share, "sentence": r.sentence}
                    for r in reasons(s, basis, TO_SEEKER)
                ],
                "matchedNeed": s.best_pair.need if s.best_pair else None,
                "matchedCapability": s.best_pair.capability if s.best_pair else None,
            }
            for s in found
        ]
        return as_json({"data": {"partnerSuggestions": suggestions}})

    @app.get("/plain/search")
    async def search(request: Request, text: str) -> Response:
        key = await caller(request)
        query, params = orgs.hybrid_search(
            orgs.OrganizationFilter(),
            text=text,
            vector=list(await embed(text, settings, Lane(request.app.state.compute, key))),
            limit=10,
            candidates=settings.api_vector_candidates,
            text_weight=settings.api_search_text_weight,
        )
        rows = await request.app.state.graph.run(query, **params)
        hits = [
            {
                "score": r["score"],
                "textScore": r["text_score"],
                "vectorScore": r["vector_score"],
                "organization": {
                    "id": r["organization"]["id"],
                    "name": r["organization"]["name"],
                    "role": r["organization"]["role"].upper(),
                },
            }
            for r in rows
        ]
        return as_json({"data": {"search": hits}})

    return app


def serve(port: int, profile: Path | None) -> None:
    """Serve the benchmark app; with ``profile``, under cProfile (CPU time, event-loop thread only: the
    suggestion and embedding worker threads are not in it), stats written there on shutdown."""
    settings = Settings()
    configure_logging(verbose=False)  # uvicorn's warnings dated, as `clusterkg serve` writes them
    server = api_server(plain_app(settings), settings, host="127.0.0.1", port=port, log_level="warning")
    profiler = cProfile.Profile(time.thread_time)
    if profile is not None:
        profiler.enable()
    # uvicorn re-raises the signal that stopped it once it has shut down: SIGINT, as a KeyboardInterrupt,
    # whose traceback would end the bench's table.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if profile is not None:
        profiler.disable()
        profiler.dump_stats(profile)


def print_profile(path: Path) -> None:
    """Where the server's CPU went, by package: cProfile inflates small calls, so read shares, not ms."""
    stats = pstats.Stats(str(path))
    by_package: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename if filename != "~" else function
        for package in PROFILE_PACKAGES:
            if package in where:
                where = package
                break
        by_package[where] = by_package.get(where, 0.0) + own
    total = sum(by_package.values())
    console.print("server CPU by package (cProfile, event-loop thread):")
    for where, seconds in sorted(by_package.items(), key=lambda item: -item[1])[:15]:
        console.print(f"  {100 * seconds / total:5.1f}%  {where}")
    stats.sort_stats("tottime").print_stats(20)


# --- preparing the graph -----------------------------------------------------------------------------------


def prepare(settings: Settings, orgs: int, *, embeddings: bool) -> None:
    """Make sure the graph holds ``orgs`` generated organizations, embedded when ``embeddings`` (the
    suggestion and search scenarios need them; the page scenario does not). The schema's migrations run
    first: a fresh graph without its constraints and indexes loads the memberships for tens of minutes."""
    with Graph.connect(settings) as graph:
        migrations.migrate(graph)
        have = admin.node_counts(graph).get("Organization", 0)
        if have < orgs:
            console.print(f"graph has {have} organizations; generating and loading {orgs} (slow, once)")
            admin.delete_data(graph)
            folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
            generate(folder, orgs=orgs, seed=7)
            files = sorted(p for p in folder.iterdir() if p.is_file())
            started = time.perf_counter()
            ingest.load(graph, files, batch_size=settings.batch_size)
            console.print(f"loaded in {time.perf_counter() - started:.0f} s")
        if not embeddings:
            return
        started = time.perf_counter()
        made = write_generated_vectors(graph, settings, seed=7)
        console.print(f"vectors up to date ({made}, {time.perf_counter() - started:.0f} s)")


def fixtures(settings: Settings, seekers: int) -> tuple[str, dict[str, str]]:
    """A data_team key for pages and search, and a member key for each of ``seekers`` organizations with
    embedded needs (a member may ask for its own suggestions)."""
    with Graph.connect(settings) as graph:
        key = create_key(graph, ApiRole.DATA_TEAM, None, label="bench").secret
        ids = [row["id"] for row in graph.run(q.BENCH_SEEKERS, limit=seekers)]
        members = {org: create_key(graph, ApiRole.MEMBER, org, label="bench").secret for org in ids}
    return key, members


# --- clients -----------------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One measured cell: latencies (ms), throughput, and CPU ms per request of each process."""

    latencies: list[float]
    rate: float
    server_cpu: float
    client_cpu: float
    neo4j_cpu: float | None  # None: Neo4j's process is not known here (not the managed server)

    @property
    def cpu(self) -> str:
        neo4j = "–" if self.neo4j_cpu is None else f"{self.neo4j_cpu:.1f}"
        return f"{self.server_cpu:.1f} / {self.client_cpu:.1f} / {neo4j}"

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def measure_cell(
    port: int, requests: list[bytes], clients: int, seconds: float, pids: tuple[int, int | None]
) -> Cell:
    """:func:`measure`, with the CPU the API server, this client and Neo4j spent per request meanwhile
    (read from /proc: on a shared machine wall-clock figures wander, CPU per request much less)."""
    server, neo4j = pids
    before = cpu_seconds(server) or 0.0, time.process_time(), cpu_seconds(neo4j)
    latencies, rate = await measure(port, requests, clients, seconds)
    after = cpu_seconds(server) or 0.0, time.process_time(), cpu_seconds(neo4j)
    per_request = [
        None if a is None or b is None else 1000 * (b - a) / len(latencies)
        for a, b in zip(before, after, strict=True)
    ]
    server_cpu, client_cpu, neo4j_cpu = per_request
    assert server_cpu is not None and client_cpu is not None
    return Cell(latencies, rate, server_cpu, client_cpu, neo4j_cpu)


def http_request(method: str, path: str, key: str, body: bytes = b"") -> bytes:
    """One request, encoded once as HTTP/1.1 bytes (the benchmark sends the same few again and again)."""
    head = f"{method} {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {key}\r\n"
    if body:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> bytes:
    """Send ``request`` on a kept-alive connection and read the answer's body (uvicorn gives a length).

    The benchmark's own client: httpx spent about 2 ms of CPU per request, which on two cores it took from the
    server being measured; this costs a fraction of that."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = CONTENT_LENGTH.search(head)
    if length is None:
        raise RuntimeError(f"answer without a Content-Length: {head[:200]!r}")
    body = await reader.readexactly(int(length.group(1)))
    if head[9:12] != b"200":
        raise RuntimeError(f"request failed: {head[:12]!r} {body[:500]!r}")
    return body


async def measure(
    port: int, requests: list[bytes], clients: int, seconds: float
) -> tuple[list[float], float]:
    """Run ``clients`` concurrent loops (one kept-alive connection each) over ``requests`` for ``seconds``;
    latencies (ms) and requests/s. Every answer is parsed and checked for errors."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(index: int) -> None:
        rng = random.Random(index)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                request = rng.choice(requests)
                started = time.perf_counter()
                body = orjson.loads(await exchange(reader, writer, request))
                latencies.append(1000 * (time.perf_counter() - started))
                if body.get("errors"):
                    raise RuntimeError(f"request failed: {body['errors']}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(clients)))
    return latencies, len(latencies) / (time.perf_counter() - started)


async def check_same_payload(port: int, name: str, graphql_request: bytes, plain_request: bytes) -> None:
    """Refuse to measure a scenario whose plain endpoint answers differently from GraphQL: the tax must
    compare the same payload."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        graphql = orjson.loads(await exchange(reader, writer, graphql_request))
        plain = orjson.loads(await exchange(reader, writer, plain_request))
    finally:
        writer.close()
    if graphql != plain:
        raise RuntimeError(f"scenario {name}: the plain endpoint's payload differs from GraphQL's")


async def wait_ready(base: str, tries: int) -> None:
    """Wait for the server at ``base`` to answer ``/readyz`` with 200, asking every half second ``tries``
    times at most: a server loading its model and snapshot takes a while to start."""
    for _ in range(tries):
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)


async def page_cursors(base: str, key: str, pages: int) -> tuple[list[str | None], list[str | None]]:
    """Cursors of the first ``pages`` pages, for GraphQL (opaque) and for the plain endpoint (raw keyset)."""
    query = """query($after: String) { organizations(first: 50, after: $after) {
        pageInfo { endCursor } edges { node { id name } } } }"""
    graphql: list[str | None] = [None]
    plain: list[str | None] = [None]
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        for _ in range(pages - 1):
            body = (
                await http.post("/graphql", json={"query": query, "variables": {"after": graphql[-1]}})
            ).json()
            connection = body["data"]["organizations"]
            last = connection["edges"][-1]["node"]
            graphql.append(connection["pageInfo"]["endCursor"])
            plain.append(f"{last['name']}\x1f{last['id']}")
    return graphql, plain


async def run(args: argparse.Namespace) -> None:
    settings = Settings()
    prepare(settings, args.orgs, embeddings=bool({"b", "c"} & set(args.scenarios)))
    key, members = fixtures(settings, 50)
    port = args.port
    # A benchmark measures slow answers instead of cutting them off at the API's 10 s limit, and measures
    # throughput, which the per-key rate limit would cap (bench/bench_abuse.py measures the limits).
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLUSTERKG_API_REQUEST_TIMEOUT": "120",
        "CLUSTERKG_API_RATE_LIMIT": "0",
    }
    command = [sys.executable, __file__, "--serve", "--port", str(port)]
    profile = Path(tempfile.mkdtemp(prefix="bench-api-profile-")) / "server.pstats" if args.profile else None
    if profile is not None:
        command += ["--profile-to", str(profile)]
    server = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, tries=120)
        graphql_cursors, plain_cursors = await page_cursors(base, key, 20)

        def gql(query: str, variables: dict[str, Any], as_key: str = key) -> bytes:
            body = orjson.dumps({"query": query, "variables": variables})
            return http_request("POST", "/graphql", as_key, body)

        def get(path: str, params: dict[str, Any], as_key: str = key) -> bytes:
            query = urlencode({k: v for k, v in params.items() if v is not None})
            return http_request("GET", f"{path}?{query}" if query else path, as_key)

        scenarios = {
            "a": (
                [gql(PAGE, {"after": c}) for c in graphql_cursors],
                [get("/plain/page", {"after": c}) for c in plain_cursors],
            ),
            "b": (
                [gql(SUGGEST, {"org": org}, secret) for org, secret in members.items()],
                [get("/plain/suggest", {"org": org}, secret) for org, secret in members.items()],
            ),
            "c": (
                [gql(SEARCH, {"text": t}) for t in SEARCH_TEXTS],
                [get("/plain/search", {"text": t}) for t in SEARCH_TEXTS],
            ),
        }
        pids = (server.pid, ManagedNeo4j(settings).status().pid)
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
        table = Table(title=f"GraphQL API, {args.orgs:,} organizations, {args.seconds:g} s per cell")
        table.caption = (
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start; server: clusterkg "
            f"serve's (uvicorn, one worker, {loop}, httptools with the bounded head); CPU = ms of CPU per "
            "request (API server process / bench client / Neo4j)"
        )
        if pids[1] is None:
            table.caption += (
                "; Neo4j's CPU not measured (–): its process is not the managed server of these settings "
                "(CLUSTERKG_HOME, CLUSTERKG_NEO4J_BOLT_PORT)"
            )
        for column in (
            "scenario",
            "clients",
            "GraphQL p50 ms",
            "p95 ms",
            "req/s",
            "CPU srv/cli/neo4j",
            "plain p50 ms",
            "p95 ms",
            "req/s",
            "CPU srv/cli/neo4j",
            "tax p50",
            "tax srv CPU",
        ):
            table.add_column(column, justify="right" if column != "scenario" else "left")
        for name in args.scenarios:
            graphql_requests, plain_requests = scenarios[name]
            middle = len(graphql_requests) // 2
            await check_same_payload(port, name, graphql_requests[middle], plain_requests[middle])
            await measure(port, graphql_requests, 2, 2)  # warm up caches and the model
            await measure(port, plain_requests, 2, 2)
            for clients in args.clients:
                g = await measure_cell(port, graphql_requests, clients, args.seconds, pids)
                p = await measure_cell(port, plain_requests, clients, args.seconds, pids)
                table.add_row(
                    SCENARIOS[name],
                    str(clients),
                    f"{g.p50:.1f}",
                    f"{g.p95:.1f}",
                    f"{g.rate:.0f}",
                    g.cpu,
                    f"{p.p50:.1f}",
                    f"{p.p95:.1f}",
                    f"{p.rate:.0f}",
                    p.cpu,
                    f"{g.p50 / p.p50:.2f}x",
                    f"{g.server_cpu / p.server_cpu:.2f}x",
                )
                console.print(
                    f"{name} @{clients}: GraphQL p50 {g.p50:.1f} p95 {g.p95:.1f} ms, server CPU "
                    f"{g.server_cpu:.1f} ms/req; plain p50 {p.p50:.1f} p95 {p.p95:.1f} ms, server CPU "
                    f"{p.server_cpu:.1f} ms/req"
                )
        console.print(table)
        console.print("targets: (a) p95 <= 60 ms @8, (b) p95 <= 120 ms @8, GraphQL tax <= 2x")
    finally:
        server.send_signal(signal.SIGINT)  # a graceful stop, after which a profiled server writes its stats
        server.wait(timeout=30)
    if profile is not None:
        print_profile(profile)
        shutil.rmtree(profile.parent)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=100_000, help="organizations in the graph")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per cell")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--scenarios", nargs="+", choices=sorted(SCENARIOS), default=sorted(SCENARIOS))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the server under cProfile and print where its CPU went (slows it down: figures of a "
        "profiled run are not the benchmark's)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.profile_to)
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
