"""Cluster insights at 100,000 organizations: the cost of one cluster's insights against its size, and of a
whole region's per-cluster summary.

    NEO4J_URI=bolt://... NEO4J_PASSWORD=... python bench/bench_insights.py [--orgs 100000] [--suppliers 3]

The region is ``clusterkg generate``'s (seeded; 4 regions x 12 sectors = 48 clusters of about 2,000 members
each), loaded through ``ingest.load`` when the graph holds fewer organizations. The generator plants links
between a need and an offer of another sector, so its clusters have almost no tie inside (a dozen among
2,000 members): that would time an empty network. This script adds, per cluster, collaborations among its
members by preferential attachment (each member, in file order, ties to ``--ties`` earlier members, chosen
four times in five in proportion to their ties so far: hubs and a long tail, as in real clusters; dated
2005-2024), written as one more collaborations file and loaded with the rest. Cluster sizes below 2,000
come from the same clusters as of earlier dates (memberships are dated 2000-2023, so a cluster as of 2005
has about a fifth of its members): the read is the whole cluster's either way, the network analysed is the
smaller one. ``--suppliers N`` (3, the CLI's default; 0 skips it) times, for the sampled clusters as they
are now, the insights with the gaps' suggested suppliers (one ``suggest`` per gap) against those without: the
difference is the supplier lookup. It needs capability vectors, made as ``bench_suggest.py`` makes them
(templates encoded for real plus calibrated noise) when the graph lacks them.

Targets: one 2,000-member cluster <= 5 s; a whole region's per-cluster summary <= 60 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

import ingest
from graph import migrations
from graph.db import Graph
from graph.queries import admin as admin_queries
from graph.queries import insights as queries
from graph.server import ManagedNeo4j, cpu_seconds
from ingest.generate import generate
from matching.insights import ClusterInsights, cluster_insights, region_insights
from schema.settings import Settings

console = Console(width=200)
REGION_FILES = ("clusters.csv", "organizations.csv", "memberships.csv", "collaborations.csv")
T = TypeVar("T")
AS_OF = [dt.date(2002, 1, 1), dt.date(2005, 1, 1), dt.date(2010, 1, 1), dt.date(2016, 1, 1), None]


def load_region(graph: Graph, orgs: int, seed: int, ties: int, data: Path) -> float:
    """Generate and ingest the region (with the ties inside clusters) unless the graph already holds it;
    seconds spent loading."""
    held = graph.run(admin_queries.COUNT_NODES, labels=["Organization"])[0]["count"]
    if held >= orgs:
        console.print(f"graph already holds {held:,} organizations; not loading")
        return 0.0
    generate(data, orgs=orgs, seed=seed)
    inside = write_cluster_ties(data, seed, ties)
    started = time.perf_counter()
    ingest.load(graph, [*(data / name for name in REGION_FILES), inside])
    return time.perf_counter() - started


def write_cluster_ties(data: Path, seed: int, ties: int) -> Path:
    """Collaborations among each cluster's members by preferential attachment (see the module docstring)."""
    members: dict[str, list[str]] = defaultdict(list)
    with (data / "memberships.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            members[row["cluster"]].append(row["organization"])
    rng = random.Random(seed)
    path = data / "cluster_collaborations.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["source", "target", "kind", "since", "weight"])
        for ids in members.values():
            ends: list[str] = []  # every tie's two ends: a draw from it is proportional to the ties
            for i, member in enumerate(ids):
                chosen = {
                    rng.choice(ends) if ends and rng.random() < 0.8 else ids[rng.randrange(i)]
                    for _ in range(min(ties, i))
                }
                for other in chosen:
                    since = f"{rng.randint(2005, 2024)}-{rng.randint(1, 12):02d}-01"
                    out.writerow([member, other, "joint_project", since, 1])
                    ends += [member, other]
    return path


def make_vectors(graph: Graph, settings: Settings, seed: int) -> None:
    """Capability and needs vectors for every organization that lacks them (``bench_suggest``'s way)."""
    from bench_suggest import write_generated_vectors  # the script next to this one

    write_generated_vectors(graph, settings, seed)


@dataclass
class Cost:
    """Wall-clock seconds, and CPU seconds of this process and of the managed Neo4j (None when not known):
    on a shared machine the CPU seconds say more than the wall clock."""

    wall: float
    cpu: float
    neo4j: float | None


def measured(settings: Settings, work: Callable[[], T]) -> tuple[Cost, T]:
    server = ManagedNeo4j(settings).status().pid
    neo4j_before, cpu_before, started = cpu_seconds(server), time.process_time(), time.perf_counter()
    result = work()
    wall, cpu, neo4j_after = (
        time.perf_counter() - started,
        time.process_time() - cpu_before,
        cpu_seconds(server),
    )
    neo4j = None if neo4j_before is None or neo4j_after is None else neo4j_after - neo4j_before
    return Cost(wall, cpu, neo4j), result


def timed_cluster(
    graph: Graph, settings: Settings, cluster: str, as_of: dt.date | None, suppliers: int
) -> tuple[Cost, ClusterInsights]:
    """The cost of one cluster's insights, and the insights."""
    return measured(settings, lambda: cluster_insights(graph, cluster, as_of=as_of, suppliers=suppliers))


def median(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.2f}" if known else "n/a"


def by_size(graph: Graph, settings: Settings, clusters: list[str], repeats: int) -> None:
    """Per as-of date: the median cluster size and the median costs over the clusters sampled (no
    suppliers)."""
    table = Table(title=f"one cluster's insights vs its size ({len(clusters)} clusters, {repeats} runs each)")
    columns = ("as of", "members", "links", "gaps", "wall p50 s", "wall max s", "CPU s", "Neo4j CPU s")
    for column in (*columns, "target"):
        table.add_column(column, justify="right")
    for as_of in AS_OF:
        costs, members, gaps, links = [], [], [], []
        for cluster in clusters:
            for _ in range(repeats):
                cost, result = timed_cluster(graph, settings, cluster, as_of, 0)
                costs.append(cost)
            members.append(result.members)
            gaps.append(len(result.gaps))
            links.append(result.links)
        table.add_row(
            str(as_of or "now"),
            f"{statistics.median(members):,.0f}",
            f"{statistics.median(links):,.0f}",
            f"{statistics.median(gaps):.0f}",
            median([c.wall for c in costs]),
            f"{max(c.wall for c in costs):.2f}",
            median([c.cpu for c in costs]),
            median([c.neo4j for c in costs]),
            "<= 5 s" if as_of is None else "",
        )
    console.print(table)


def with_suppliers(
    graph: Graph, settings: Settings, clusters: list[str], suppliers: int, repeats: int
) -> None:
    """Per cluster as it is now: the insights without and with the gaps' suppliers, and the difference (the
    supplier lookup), medians over the runs."""
    table = Table(title=f"one cluster's insights with the gaps' suppliers ({suppliers} per gap), now")
    columns = (
        "cluster",
        "members",
        "gaps",
        "wall s without",
        "wall s with",
        "CPU s with",
        "Neo4j CPU s with",
    )
    for column in (*columns, "lookup wall s", "per gap s", "lookup CPU s", "lookup Neo4j CPU s", "target"):
        table.add_column(column, justify="right")
    for cluster in clusters:
        without, full = [], []
        for _ in range(repeats):
            without.append(timed_cluster(graph, settings, cluster, None, 0)[0])
            cost, result = timed_cluster(graph, settings, cluster, None, suppliers)
            full.append(cost)
        lookup = [minus(f, w) for f, w in zip(full, without, strict=True)]
        table.add_row(
            cluster,
            f"{result.members:,}",
            str(len(result.gaps)),
            median([c.wall for c in without]),
            median([c.wall for c in full]),
            median([c.cpu for c in full]),
            median([c.neo4j for c in full]),
            median([c.wall for c in lookup]),
            median([c.wall / max(1, len(result.gaps)) for c in lookup]),
            median([c.cpu for c in lookup]),
            median([c.neo4j for c in lookup]),
            "<= 5 s",
        )
    console.print(table)


def minus(a: Cost, b: Cost) -> Cost:
    return Cost(
        a.wall - b.wall, a.cpu - b.cpu, None if a.neo4j is None or b.neo4j is None else a.neo4j - b.neo4j
    )


def regions(graph: Graph, settings: Settings) -> None:
    """The per-cluster summary of each region and of every cluster of the graph."""
    names = [row["region"] for row in graph.run(queries.REGION_NAMES)]
    table = Table(title="a region's per-cluster summary (region_insights, no suppliers)")
    for column in ("region", "clusters", "members", "wall s", "CPU s", "Neo4j CPU s", "target"):
        table.add_column(column, justify="right")
    for name in [*names, None]:
        cost, result = measured(settings, partial(region_insights, graph, name))
        table.add_row(
            name or "every cluster of the graph",
            str(len(result.clusters)),
            f"{sum(c.members for c in result.clusters):,}",
            f"{cost.wall:.1f}",
            f"{cost.cpu:.1f}",
            "n/a" if cost.neo4j is None else f"{cost.neo4j:.1f}",
            "<= 60 s",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clusters", type=int, default=6, help="Clusters timed one by one.")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--ties", type=int, default=3, help="Ties of each member to earlier ones.")
    parser.add_argument("--suppliers", type=int, default=3, help="Suppliers per gap timed (0: none).")
    parser.add_argument("--data", type=Path, default=None, help="Where the generated files go (a temp dir).")
    args = parser.parse_args()
    settings = Settings()
    graph = Graph.connect(settings)
    migrations.migrate(graph)
    data = args.data or Path(tempfile.mkdtemp(prefix="clusterkg-bench-"))
    load_seconds = load_region(graph, args.orgs, args.seed, args.ties, data)
    if args.suppliers:
        make_vectors(graph, settings, args.seed)
    clusters = [row["cluster"]["id"] for row in graph.run(queries.CLUSTERS_IN_REGION, region=None)]
    sample = clusters[:: max(1, len(clusters) // args.clusters)][: args.clusters]
    timed_cluster(graph, settings, sample[0], None, args.suppliers)  # warm: plans, model (with suppliers)
    by_size(graph, settings, sample, args.repeats)
    if args.suppliers:
        with_suppliers(graph, settings, sample, args.suppliers, args.repeats)
    regions(graph, settings)
    notes = Table(title="data")
    notes.add_column("what")
    notes.add_column("value", justify="right")
    notes.add_row("clusters in the graph", str(len(clusters)))
    notes.add_row("suppliers per gap", str(args.suppliers))
    notes.add_row("ties of each member to earlier ones (when loaded)", str(args.ties))
    notes.add_row(
        "region loaded through ingest.load (s)", f"{load_seconds:.0f}" if load_seconds else "reused"
    )
    notes.add_row("load average (1 / 5 / 15 min) at the end", " / ".join(f"{x:.1f}" for x in os.getloadavg()))
    console.print(notes)
    graph.close()


if __name__ == "__main__":
    main()
