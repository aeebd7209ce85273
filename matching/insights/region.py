"""The insights of every cluster of a region, as one summary table: the same figures as for one cluster,
without the suggested suppliers (each would cost a suggestion per gap) and without the drawing."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from graph.db import Graph
from graph.queries import insights as queries
from matching.insights.cluster import analyse
from matching.insights.data import read_cluster
from matching.insights.result import ClusterInsights, iso

SUMMARY_BROKERS = 3
WORKERS = 2
"""Clusters analysed at once: while one waits for Neo4j to read its links, another's network is analysed
in Python (the driver is thread-safe; a region's clusters are independent)."""


@dataclass
class RegionInsights:
    region: str | None
    as_of: str | None
    clusters: list[ClusterInsights]

    def to_json(self) -> dict[str, Any]:
        """One summary row per cluster (``summary``), with the keys of the one-cluster JSON where they
        agree, isolates and gaps as counts."""
        return {"region": self.region, "as_of": self.as_of, "clusters": [summary(c) for c in self.clusters]}


def summary(insights: ClusterInsights) -> dict[str, Any]:
    """A cluster's row in the region's table."""
    return {
        "cluster": insights.cluster,
        "name": insights.name,
        "members": insights.members,
        "links": insights.links,
        "density": insights.density,
        "average_degree": insights.average_degree,
        "components": insights.components,
        "isolates": len(insights.isolates),
        "peripheral": len(insights.peripheral),
        "communities": len(insights.communities),
        "brokers": [
            {"id": b.id, "name": b.name, "betweenness": b.betweenness}
            for b in insights.brokers[:SUMMARY_BROKERS]
        ],
        "external_share": insights.external_share,
        "gaps": len(insights.gaps),
        "stage": {
            "computed": insights.stage.computed,
            "declared": insights.stage.declared,
            "rule": insights.stage.rule,
        },
    }


def region_insights(
    graph: Graph,
    region: str | None = None,
    *,
    as_of: dt.date | None = None,
    manager: str | None = None,
    today: dt.date | None = None,
) -> RegionInsights:
    """The insights of every cluster whose ``region`` is ``region`` (any case; every cluster when None).
    ``manager``: the organization of a cluster_manager caller; private needs count in the clusters it
    manages."""
    ids = [row["id"] for row in graph.run(queries.CLUSTERS_IN_REGION, region=region)]

    def one(cluster_id: str) -> ClusterInsights:
        data = read_cluster(graph, cluster_id, read_private_needs=False, manager=manager)
        return analyse(data, graph, as_of=as_of, suppliers=0, settings=None, today=today, draw=False)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        clusters = list(pool.map(one, ids))
    return RegionInsights(region=region, as_of=iso(as_of), clusters=clusters)
