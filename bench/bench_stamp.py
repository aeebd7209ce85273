"""The graph's stamp, asked before every learned suggestion, as answers and ingest runs pile up.

    NEO4J_URI=bolt://... CLUSTERKG_HOME=... python bench/bench_stamp.py [--answers 200000] [--runs 20000]

The stamp (``graph/queries/snapshot.py: VERSION``) reads counts from the count store and the last ingest
run's end and the last feedback answer's time from one end of their range indexes. This adds ``--answers``
feedback answers between the graph's organizations and ``--runs`` finished ingest runs (every API upsert is
one), marked, then removes them; before and after adding, it times the stamp against a trivial query's round
trip in the same run, in this process and in the managed server's CPU. Target: the stamp's cost does not
grow with the answers and runs (the ratio of the two rows near 1). With them added it also times the
collaboration snapshot's first read in this process (the graph's, or ``tune``'s file if the stamp is its),
then its refresh after one more answer (only the answers since the held ones are read). Needs a loaded
graph (two organizations at least; ``clusterkg demo`` will do).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from graph.db import Graph
from graph.queries import admin, snapshot
from graph.query import Query
from graph.server import ManagedNeo4j, cpu_seconds
from matching import snapshot as snapshots
from schema.settings import Settings

console = Console()
BATCH = 10_000
ROUND_TRIP = Query("bench.round_trip", "RETURN 1 AS one")


def server_cpu(settings: Settings) -> float | None:
    """CPU seconds the managed Neo4j has used, when NEO4J_URI is the server CLUSTERKG_HOME runs."""
    if settings.neo4j_uri.rsplit(":", 1)[-1] != str(settings.neo4j_bolt_port):
        return None
    return cpu_seconds(ManagedNeo4j(settings).status().pid)


def timed(graph: Graph, settings: Settings, query: Query, repeats: int) -> tuple[float, float | None]:
    """p50 wall milliseconds of ``query`` and the server's mean CPU milliseconds per run, after a warm-up."""
    for _ in range(20):
        graph.run(query)
    walls = []
    before = server_cpu(settings)
    for _ in range(repeats):
        started = time.perf_counter()
        graph.run(query)
        walls.append(1000 * (time.perf_counter() - started))
    after = server_cpu(settings)
    cpu = None if before is None or after is None else 1000 * (after - before) / repeats
    return statistics.median(walls), cpu


def add_answers(graph: Graph, answers: int, seed: int) -> None:
    ids = [row["id"] for row in graph.run(admin.ORGANIZATION_IDS, limit=20_000)]
    if len(ids) < 2:
        raise SystemExit("The graph holds fewer than two organizations: load a region first")
    rng = np.random.default_rng(seed)
    for start in track(range(0, answers, BATCH), description="adding answers", console=console):
        pairs = rng.integers(0, len(ids), (min(BATCH, answers - start), 2))
        seconds = rng.integers(0, 10_000_000, len(pairs))
        rows = [[ids[a], ids[b], bool(s % 2), int(s)] for (a, b), s in zip(pairs, seconds, strict=True)]
        graph.run(admin.ADD_BENCH_ANSWERS, pairs=[row for row in rows if row[0] != row[1]])


def first_two(graph: Graph) -> list[str]:
    return [row["id"] for row in graph.run(admin.ORGANIZATION_IDS, limit=2)]


def add_runs(graph: Graph, runs: int) -> None:
    for start in track(range(0, runs, BATCH), description="adding runs", console=console):
        graph.run(admin.ADD_BENCH_RUNS, ids=[f"bench-{i}" for i in range(start, min(start + BATCH, runs))])


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=200_000, help="Feedback answers to add.")
    parser.add_argument("--runs", type=int, default=20_000, help="Finished ingest runs to add.")
    parser.add_argument("--repeats", type=int, default=300, help="Stamps timed per row.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = Settings()
    table = Table(title="the graph's stamp (one query before every learned suggestion)")
    for column in ("graph", "answers", "runs", "stamp p50 ms", "Neo4j CPU ms", "x round trip (CPU)"):
        table.add_column(column, justify="right")
    with Graph.connect(settings) as graph:
        graph.run_autocommit(admin.CLEAR_BENCH_ANSWERS)
        graph.run_autocommit(admin.CLEAR_BENCH_RUNS)
        rows = []
        refresh = ""
        try:
            for label in ("as loaded", "added"):
                if rows:
                    add_answers(graph, args.answers, args.seed)
                    add_runs(graph, args.runs)
                    first = seconds(lambda: snapshots.current(graph, settings))
                    graph.run(admin.ADD_BENCH_ANSWERS, pairs=[[*first_two(graph), False, 0]])
                    again = seconds(lambda: snapshots.current(graph, settings))
                    refresh = (
                        f"snapshot refresh after one more answer: {again:.3f} s (a whole read: {first:.2f} s)"
                    )
                stamp = graph.run(snapshot.VERSION)[0]["version"]
                wall, cpu = timed(graph, settings, snapshot.VERSION, args.repeats)
                _, trip = timed(graph, settings, ROUND_TRIP, args.repeats)
                ratio = f"{cpu / trip:.1f}" if cpu is not None and trip else "-"
                cpu_text = "-" if cpu is None else f"{cpu:.2f}"
                rows.append(cpu)
                counts = f"{stamp['answers']:,}", f"{stamp['runs']:,}"
                table.add_row(label, *counts, f"{wall:.2f}", cpu_text, ratio)
        finally:
            graph.run_autocommit(admin.CLEAR_BENCH_ANSWERS)
            graph.run_autocommit(admin.CLEAR_BENCH_RUNS)
    console.print(table)
    console.print(refresh)
    if rows[0] and rows[-1] is not None:
        console.print(f"stamp CPU with the answers and runs / as loaded: {rows[-1] / rows[0]:.2f}")


if __name__ == "__main__":
    main()
