"""``clusterInsights`` and ``regionInsights``: ``matching.insights`` (synchronous, CPU-bound: igraph and the
gap suggestions) run in a worker thread, never on the event loop.

The work stops at the request's deadline (``matching.insights.deadline``): a thread cannot be cancelled,
and a whole graph's summary takes tens of CPU seconds. A region's insights are analysed a page of clusters
at a time (:meth:`RegionInsights.clusters`), as its clusters are listed: a region of 1,000 clusters answered
whole is seconds of analysis and megabytes of answer for a query of a few bytes, the complexity limit
taking its list for 10 rows. ``clusterkg insights --region`` reads the whole region (``matching.insights``).

Private needs count in the gaps only for a cluster_manager key bound to the organization that manages the
cluster (``matching.insights`` checks the cluster's managers); every other caller gets figures that no
private need changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from api.auth import ApiRole
from api.graphql.context import Ctx
from api.graphql.costs import SUPPLIED_GAPS
from api.graphql.insight_types import ClusterInsights
from api.graphql.sizes import FULL_PAGE, check_page_size
from matching.insights import analyse_clusters, cluster_insights, page_of, region_clusters
from matching.insights.result import iso
from schema.days import future_day
from schema.errors import InvalidInput

MAX_SUPPLIERS = 10


def _manager(info: Ctx) -> str | None:
    """The organization of a cluster_manager caller (whose clusters' private needs it may read)."""
    caller = info.context.who
    return caller.organization_id if caller.role is ApiRole.CLUSTER_MANAGER else None


def _check_as_of(as_of: dt.date | None) -> None:
    """A day to come is refused as ``clusterkg insights --as-of`` refuses it (``schema.days``)."""
    if as_of is not None and (problem := future_day(as_of)):
        raise InvalidInput.of("asOf", problem)


async def cluster(info: Ctx, cluster_id: str, as_of: dt.date | None, suppliers: int) -> ClusterInsights:
    _check_as_of(as_of)
    if not 0 <= suppliers <= MAX_SUPPLIERS:
        raise InvalidInput.of("suppliers", f"must be between 0 and {MAX_SUPPLIERS}; got {suppliers}")
    context = info.context
    manager = _manager(info)
    result = await context.compute.run(
        lambda: cluster_insights(
            context.sync_graph,
            cluster_id,
            as_of=as_of,
            manager=manager,
            suppliers=suppliers,
            settings=context.settings,
            stop_at=context.deadline,
            supplied_gaps=SUPPLIED_GAPS,
        )
    )
    return ClusterInsights.of(result)


@strawberry.type(description="The insights of the clusters of a region (no suppliers, no network).")
class RegionInsights:
    region: str | None
    as_of: str | None
    date: strawberry.Private[dt.date | None]
    found: strawberry.Private[list[dict[str, Any]]]
    """The region's clusters by name, then id, not yet analysed."""

    @strawberry.field(
        description="The clusters' insights by name, `limit` at a time (at most the page size): the next "
        "page is the one `after` the last cluster's id; a page shorter than `limit` is the last."
    )
    async def clusters(
        self, info: Ctx, limit: int = FULL_PAGE, after: strawberry.ID | None = None
    ) -> list[ClusterInsights]:
        context = info.context
        check_page_size(limit, context.settings.api_max_page_size, "limit")
        page = page_of(self.found, limit, after)
        manager = _manager(info)
        result = await context.compute.run(
            lambda: analyse_clusters(
                context.sync_graph, page, as_of=self.date, manager=manager, stop_at=context.deadline
            )
        )
        return [ClusterInsights.of(c) for c in result]


async def region(info: Ctx, name: str | None, as_of: dt.date | None) -> RegionInsights:
    """The region, its clusters listed (an unknown region is :class:`~schema.errors.NotFound` here, whatever
    the query selects) and analysed only as ``clusters`` pages them."""
    _check_as_of(as_of)
    context = info.context
    found = await context.compute.run(lambda: region_clusters(context.sync_graph, name))
    return RegionInsights(region=name, as_of=iso(as_of), date=as_of, found=found)
