"""``clusterInsights`` and ``regionInsights``: ``matching.insights`` (synchronous, CPU-bound: igraph and the
gap suggestions) run in a worker thread, never on the event loop.

The work stops at the request's deadline (``matching.insights.deadline``): a thread cannot be cancelled,
and a whole graph's summary takes tens of CPU seconds.

Private needs count in the gaps only for a cluster_manager key bound to the organization that manages the
cluster (``matching.insights`` checks the cluster's managers); every other caller gets figures that no
private need changes.
"""

from __future__ import annotations

import datetime as dt

from api.auth import ApiRole
from api.graphql.context import Ctx
from api.graphql.insight_types import ClusterInsights, RegionInsights
from matching.insights import cluster_insights, region_insights
from schema.errors import InvalidInput

MAX_SUPPLIERS = 10


def _manager(info: Ctx) -> str | None:
    """The organization of a cluster_manager caller (whose clusters' private needs it may read)."""
    caller = info.context.who
    return caller.organization_id if caller.role is ApiRole.CLUSTER_MANAGER else None


async def cluster(info: Ctx, cluster_id: str, as_of: dt.date | None, suppliers: int) -> ClusterInsights:
    if not 0 <= suppliers <= MAX_SUPPLIERS:
        raise InvalidInput(f"`suppliers` must be between 0 and {MAX_SUPPLIERS}; got {suppliers}")
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
        )
    )
    return ClusterInsights.of(result)


async def region(info: Ctx, name: str | None, as_of: dt.date | None) -> RegionInsights:
    context = info.context
    manager = _manager(info)
    result = await context.compute.run(
        lambda: region_insights(
            context.sync_graph, name, as_of=as_of, manager=manager, stop_at=context.deadline
        )
    )
    return RegionInsights.of(result)
