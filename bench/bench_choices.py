"""The search page's choices read (``graph.queries.web.SEARCH_CHOICES``) on a generated region.

    python bench/bench_choices.py [--orgs 100000] [--n 7]

It starts its own Neo4j (the managed Community server, throwaway folder, free port), loads the organizations
of a generated region (``clusterkg generate``; no collaborations, nothing embedded: the read touches
neither), and runs the read ``--n`` times after two warm-ups, then the form's lists alone (regions and towns,
without the places a region filter matches) as many times. Printed: the median and the maximum of each, and
what the read found. The read runs at most once a minute, and once in ``REREAD_SECONDS`` more for a region it
lacks (``api/web/choices.py``), so its time bounds what the choices cost the server.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import ingest
from graph import migrations
from graph.db import Graph
from graph.queries import web as q
from graph.query import Query
from graph.server import scratch_server
from ingest.generate import generate

LISTS_ONLY = Query(
    "bench.choices_lists_only",
    "CALL { MATCH (r:Region) WHERE r.level IN ['country', 'region'] "
    "RETURN collect({id: r.id, name: coalesce(r.name, r.id), level: r.level}) AS regions } "
    "CALL { MATCH (o:Organization) WHERE o.city IS NOT NULL AND o.lat IS NOT NULL "
    "RETURN collect(DISTINCT o.city) AS towns } "
    "RETURN regions, towns",
    plain=True,
)
"""The form's lists alone: what the read costs without the places a search may be limited to."""


def timed(graph: Graph, query: Query, n: int) -> tuple[list[float], dict[str, int]]:
    """Milliseconds of ``n`` runs of ``query`` after two warm-ups, and the size of each list it returned."""
    for _ in range(2):
        graph.run(query)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        rows = graph.run(query)
        times.append((time.perf_counter() - started) * 1000)
    return times, {name: len(value) for name, value in rows[0].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100_000, help="organizations of the generated region")
    parser.add_argument("--n", type=int, default=7, help="timed reads of each query")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-choices-"))
    region = generate(work / "region", orgs=args.orgs, collaborations=0, seed=1)
    scratch = scratch_server(work / "neo4j-home", neo4j_heap="1g", neo4j_pagecache="512m")
    with scratch as (settings, _), Graph.connect(settings) as graph:
        migrations.migrate(graph)
        organizations = [path for path in region.files if "organizations" in path.name]
        ingest.load(graph, organizations, source="bench-choices")
        for query in (q.SEARCH_CHOICES, LISTS_ONLY):
            times, found = timed(graph, query, args.n)
            print(
                f"{query.name}: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms "
                f"({args.orgs:,} organizations; found {found})"
            )


if __name__ == "__main__":
    main()
