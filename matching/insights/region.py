"""The insights of every cluster of a region, as one summary table: the same figures as for one cluster,
without the suggested suppliers (each would cost a suggestion per gap) and without the drawing.

The region's clusters are read a few at a time (``CLUSTERS_PER_READ`` per query, three queries per read),
not one cluster per query: each cluster's rows are the same as its own read's, so its figures are the same
as :func:`cluster_insights`'s; the reads of a region go in fewer round trips, and no read holds the whole
region's links at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from graph.db import Graph
from graph.queries import insights as queries
from matching.insights import deadline
from matching.insights.cluster import analyse
from matching.insights.data import read_clusters
from matching.insights.result import ClusterInsights, iso
from schema.errors import NotFound, echo

SUMMARY_BROKERS = 3
CLUSTERS_PER_READ = 4
"""Clusters read by one query: several, so that a region costs a few reads; a few, so that one read's rows
(about 20,000 links for a 2,000-member cluster) stay small and the next read overlaps this one's analysis."""
WORKERS = 2
"""Reads in flight at once: while one waits for Neo4j, the clusters of another are analysed in Python (the
driver is thread-safe; a region's clusters are independent)."""
SHOWN_REGIONS = 10
"""Known regions an unknown region's error names."""


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
    stop_at: float | None = None,
) -> RegionInsights:
    """The insights of every cluster whose ``region`` is ``region`` (any case; every cluster when None).
    ``manager``: the organization of a cluster_manager caller; private needs count in the clusters it
    manages. ``stop_at``: the asking request's deadline (``time.monotonic()``); past it the work stops
    before the next read or cluster with :class:`~schema.errors.TimedOut` (``deadline``)."""
    clusters = analyse_clusters(
        graph, region_clusters(graph, region), as_of=as_of, manager=manager, today=today, stop_at=stop_at
    )
    return RegionInsights(region=region, as_of=iso(as_of), clusters=clusters)


def region_clusters(graph: Graph, region: str | None) -> list[dict[str, Any]]:
    """The clusters of ``region`` by name, then id (every cluster when None), as rows for
    :func:`analyse_clusters`: reading them is one small query, analysing them is the work."""
    found = [row["cluster"] for row in graph.run(queries.CLUSTERS_IN_REGION, region=region)]
    if region is not None and not found:
        # An empty table for a misspelt region reads as "this region has no clusters": name the known ones.
        names = [row["region"] for row in graph.run(queries.REGION_NAMES)]
        known = ", ".join(echo(n) for n in names[:SHOWN_REGIONS]) or "none"
        more = f" and {len(names) - SHOWN_REGIONS} more" if len(names) > SHOWN_REGIONS else ""
        raise NotFound(f"No cluster is in the region {echo(region)}; the clusters' regions: {known}{more}")
    return found


def page_of(clusters: list[dict[str, Any]], limit: int, after: str | None) -> list[dict[str, Any]]:
    """The ``limit`` clusters of ``clusters`` (:func:`region_clusters`) after the one with id ``after``
    (None: from the first), as ``clusters(limit, after)`` pages the graph's clusters; an ``after`` that is
    no cluster of the list is :class:`~schema.errors.NotFound` (an empty page would read as the last)."""
    return page_after(clusters, limit, after, lambda cluster: cluster["id"], "cluster", "region")


Row = TypeVar("Row")


def page_after(
    rows: Sequence[Row], limit: int, after: str | None, id_of: Callable[[Row], str], what: str, where: str
) -> list[Row]:
    """The ``limit`` rows after the one whose id (``id_of``) is ``after`` (None: from the first): how the
    API's ``limit`` lists page. An ``after`` that is no row's id is :class:`~schema.errors.NotFound`, naming
    the ``what`` in the ``where``: an empty page would read as the last."""
    start = 0
    if after is not None:
        start = next((i + 1 for i, row in enumerate(rows) if id_of(row) == after), -1)
        if start < 0:
            raise NotFound(f"no {what} with id {echo(after)} in the {where} to list the {what}s after")
    return list(rows[start : start + limit])


def analyse_clusters(
    graph: Graph,
    clusters: list[dict[str, Any]],
    *,
    as_of: dt.date | None = None,
    manager: str | None = None,
    today: dt.date | None = None,
    stop_at: float | None = None,
) -> list[ClusterInsights]:
    """The insights of ``clusters`` (rows of :func:`region_clusters`), in their order, as
    :func:`region_insights` describes."""
    reads = [clusters[i : i + CLUSTERS_PER_READ] for i in range(0, len(clusters), CLUSTERS_PER_READ)]

    def analysed(part: list[dict[str, Any]]) -> list[ClusterInsights]:
        deadline.check(stop_at, "the region's insights")
        done = []
        for data in read_clusters(graph, part, read_private_needs=False, manager=manager):
            deadline.check(stop_at, "the region's insights")
            done.append(
                analyse(data, graph, as_of=as_of, suppliers=0, settings=None, today=today, draw=False)
            )
        return done

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return [insights for part in pool.map(analysed, reads) for insights in part]
