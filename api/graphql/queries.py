"""The root ``Query``: organizations, clusters, search, partner suggestions and cluster insights."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from api.graphql import insights
from api.graphql.context import Ctx
from api.graphql.costs import SUPPLIED_GAPS
from api.graphql.inputs import OrganizationFilterInput, OrganizationOrderInput
from api.graphql.insight_types import ClusterInsights
from api.graphql.insights import RegionInsights
from api.graphql.pages import embed, organization_page, text_argument, to_filter
from api.graphql.sizes import FULL_PAGE, check_page_size
from api.graphql.suggestions import partner_suggestions
from api.graphql.types import Cluster, Organization, OrganizationConnection, PartnerSuggestion, SearchHit
from graph.queries import api as q
from graph.queries import organizations as orgs
from schema.errors import InvalidInput, NotFound, echo


async def _found(loader: DataLoader[str, dict[str, Any] | None], what: str, node_id: str) -> dict[str, Any]:
    """The row of node ``node_id`` (``what``: organization, cluster) through its loader; a node that does
    not exist is an error naming the id, never a null beside no error."""
    row = await loader.load(node_id)
    if row is None:
        raise NotFound(f"no {what} with id {echo(node_id)}")
    return row


@strawberry.type
class Query:
    @strawberry.field(description="One organization by id.")
    async def organization(self, info: Ctx, id: strawberry.ID) -> Organization | None:  # noqa: A002
        return Organization.from_row(await _found(info.context.loaders.organization, "organization", id))

    @strawberry.field(description="Organizations matching a filter, one keyset-paged connection.")
    async def organizations(
        self,
        info: Ctx,
        filter: OrganizationFilterInput | None = None,  # noqa: A002
        order_by: OrganizationOrderInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> OrganizationConnection:
        return OrganizationConnection.of(await organization_page(info, filter, order_by, first, after))

    @strawberry.field(description="One cluster by id.")
    async def cluster(self, info: Ctx, id: strawberry.ID) -> Cluster | None:  # noqa: A002
        return Cluster.from_row(await _found(info.context.loaders.cluster, "cluster", id))

    @strawberry.field(
        description="The clusters by name, `limit` at a time (at most the page size): the next page is the "
        "one `after` the last cluster's id; a page shorter than `limit` is the last."
    )
    async def clusters(
        self, info: Ctx, limit: int = FULL_PAGE, after: strawberry.ID | None = None
    ) -> list[Cluster]:
        check_page_size(limit, info.context.settings.api_max_page_size, "limit")
        last = None
        if after is not None:
            last = await info.context.loaders.cluster.load(after)
            if last is None:
                raise NotFound(f"no cluster with id {echo(after)} to list the clusters after")
        rows = await info.context.graph.run(
            q.CLUSTERS_PAGE, limit=limit, after_name=last["name"] if last else None, after_id=after
        )
        return [Cluster.from_row(row["cluster"]) for row in rows]

    @strawberry.field(
        description="Hybrid search: full-text on names and descriptions plus meaning (capability vectors), "
        "with the same filters as `organizations` (its `text` and `similarTo` aside)."
    )
    async def search(
        self,
        info: Ctx,
        text: str,
        filter: OrganizationFilterInput | None = None,  # noqa: A002
        limit: int = 10,
    ) -> list[SearchHit]:
        settings = info.context.settings
        check_page_size(limit, settings.api_max_page_size, "limit")
        text = text_argument("text", text) or ""
        given = filter or OrganizationFilterInput()
        for name, value in (("text", given.text), ("similarTo", given.similar_to)):
            if value is not None:
                raise InvalidInput.of(
                    f"filter.{name}", "is not taken by `search`, which takes its text as `text`"
                )
        flt = await to_filter(info.context, filter)
        query, params = orgs.hybrid_search(
            flt,
            text=text,
            vector=list(await embed(text, settings, info.context.compute)),
            limit=limit,
            candidates=settings.api_vector_candidates,
            text_weight=settings.api_search_text_weight,
        )
        return [
            SearchHit(
                organization=Organization.from_row(row["organization"]),
                score=row["score"],
                text_score=row["text_score"],
                vector_score=row["vector_score"],
            )
            for row in await info.context.graph.run(query, **params)
        ]

    @strawberry.field(
        description="Partners for an organization's needs (member keys: their own organization, the "
        "default; manager keys: members of their clusters) or for a free-text `need` (any key), best first, "
        "with reasons."
    )
    async def partner_suggestions(
        self,
        info: Ctx,
        organization_id: strawberry.ID | None = None,
        need: str | None = None,
        filter: OrganizationFilterInput | None = None,  # noqa: A002
        limit: int = 10,
        max_km: float | None = None,
    ) -> list[PartnerSuggestion]:
        return await partner_suggestions(info, organization_id, need, filter, limit, max_km)

    @strawberry.field(
        description="A cluster's network analysis: composition, density, components, brokers, isolates and "
        "periphery, openness, capability gaps with outside suppliers (for the "
        f"{SUPPLIED_GAPS} most needed gaps), computed stage and trend; as of `asOf` "
        "(memberships and links dated after it hidden). Private needs count only for the cluster's managers."
    )
    async def cluster_insights(
        self,
        info: Ctx,
        cluster_id: strawberry.ID,
        as_of: dt.date | None = None,
        suppliers: int = 3,
    ) -> ClusterInsights:
        return await insights.cluster(info, cluster_id, as_of, suppliers)

    @strawberry.field(
        description="The insights of the clusters of a region (its `region` name, any case; every cluster "
        "without one), a page at a time, without suppliers or the network."
    )
    async def region_insights(
        self, info: Ctx, region: str | None = None, as_of: dt.date | None = None
    ) -> RegionInsights:
        return await insights.region(info, region, as_of)
