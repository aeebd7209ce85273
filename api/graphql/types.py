"""The GraphQL object types. Rows from the graph become these objects; every nested field goes through the
request's DataLoaders (see ``loaders.py``), so a page costs a constant number of queries.

Pages of organizations are found by ``pages.py`` (filters, order, cursors, the page query) as plain rows;
:meth:`OrganizationConnection.of` makes them objects here, so ``pages.py`` needs no object type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from strawberry.dataloader import DataLoader

from api.graphql.context import Ctx
from api.graphql.inputs import (
    ClusterStageEnum,
    CollaborationKindEnum,
    OrganizationFilterInput,
    OrganizationOrderInput,
    OrganizationRole,
    SizeClassEnum,
)
from api.graphql.pages import Page, cursor_text, organization_page
from api.graphql.plain import computed
from api.graphql.sizes import check_page_size
from matching.reasons import QUOTED
from schema.dates import as_given
from schema.graph_model import ClusterStage, CollaborationKind, Role, SizeClass

T = TypeVar("T")


def _enum(enum: Any, value: Any) -> Any:
    return enum(value) if value is not None else None


@strawberry.type(description="Where an organization is.")
class Location:
    country: str | None
    region: str | None
    city: str | None
    lat: float | None
    lon: float | None


@strawberry.type(description="A term of the capability vocabulary.")
class Capability:
    id: strawberry.ID
    name: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Capability:
        return cls(id=row["id"], name=row["name"])


@strawberry.type(description="A region of the hierarchy country › region › city.")
class Region:
    id: strawberry.ID
    name: str | None
    level: str | None
    parent_id: strawberry.Private[str | None]

    @strawberry.field(description="The region this one is part of.")
    async def parent(self, info: Ctx) -> Region | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.region.load(self.parent_id)
        return Region.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Region:
        return cls(id=row["id"], name=row.get("name"), level=row.get("level"), parent_id=row.get("parent_id"))


@strawberry.type(description="A regional industry cluster.")
class Cluster:
    id: strawberry.ID
    name: str
    sector: str | None
    region: str | None = strawberry.field(description="The region the cluster names itself after.")
    stage: ClusterStageEnum | None  # type: ignore[valid-type]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Cluster:
        return cls(
            id=row["id"],
            name=row["name"],
            sector=row.get("sector"),
            region=row.get("region"),
            stage=_enum(ClusterStage, row.get("stage")),
        )

    @strawberry.field(description="The cluster organization that manages the cluster.")
    async def managed_by(self, info: Ctx) -> Organization | None:
        row = await info.context.loaders.manager_of.load(self.id)
        return Organization.from_row(row) if row else None

    @strawberry.field(description="How many organizations are members.")
    async def member_count(self, info: Ctx) -> int:
        return int(await info.context.loaders.member_count.load(self.id))

    @strawberry.field(description="The members, filtered and paged like `organizations`.")
    async def members(
        self,
        info: Ctx,
        filter: OrganizationFilterInput | None = None,  # noqa: A002 - the GraphQL argument's name
        order_by: OrganizationOrderInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> OrganizationConnection:
        page = await organization_page(info, filter, order_by, first, after, within_cluster=self.id)
        return OrganizationConnection.of(page)


AS_GIVEN = "at the precision the registry gave it: `1998`, `1998-05` or `1998-05-17`"


@strawberry.type(description="A joint project.")
class Project:
    id: strawberry.ID
    title: str | None
    start: str | None = strawberry.field(
        description="Its start, a full date (a year or a month given alone: its first day)."
    )
    end: str | None = strawberry.field(
        description="Its end, a full date (a year or a month given alone: its first day)."
    )
    start_as_given: str | None = strawberry.field(description=f"Its start {AS_GIVEN}.")
    end_as_given: str | None = strawberry.field(description=f"Its end {AS_GIVEN}.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Project:
        return cls(
            id=row["id"],
            title=row["title"],
            start=row["start"],
            end=row["end"],
            start_as_given=as_given(row["start"], row["start_precision"]),
            end_as_given=as_given(row["end"], row["end_precision"]),
        )


@strawberry.type(description="An organization's part in a project.")
class ProjectParticipation:
    role: str | None
    project: Project


@strawberry.type(description="A collaboration with another organization (read in both directions).")
class Collaboration:
    kind: CollaborationKindEnum | None  # type: ignore[valid-type]
    since: str | None = strawberry.field(
        description="When it began, a full date (a year or a month given alone: its first day)."
    )
    since_as_given: str | None = strawberry.field(description=f"When it began, {AS_GIVEN}.")
    weight: float | None
    partner: Organization


@strawberry.type(description="Employees and the EU size class derived from them.")
class Size:
    employees: int | None
    size_class: SizeClassEnum | None  # type: ignore[valid-type]


@strawberry.type(
    description="A firm, vendor, university, research institute, broker, cluster organization..."
)
class Organization:
    id: strawberry.ID
    name: str
    role: OrganizationRole  # type: ignore[valid-type]
    description: str | None = strawberry.field(description="What the organization offers.")
    website: str | None
    founded: int | None
    sectors: list[str]
    row: strawberry.Private[dict[str, Any]]
    """The graph row it was made from (``location`` and ``size`` are made from it when asked for)."""
    lists: strawberry.Private[dict[str, list[Any]]]
    """Nested lists the query that found the organization brought along (``graph.queries.api.NESTED_LISTS``
    by name), as GraphQL objects: their fields answer from these without a DataLoader, and without a resolver
    call either (``schema.build_schema`` installs :data:`INLINED_LISTS` with ``execution.answer_from``)."""

    @classmethod
    def from_row(
        cls, row: dict[str, Any], lists: dict[str, list[dict[str, Any]]] | None = None
    ) -> Organization:
        return cls(
            lists={name: list(map(INLINED_LISTS[name], rows)) for name, rows in lists.items()}
            if lists
            else {},
            id=row["id"],
            name=row["name"],
            role=Role(row["role"]),
            description=row.get("description"),
            website=row.get("website"),
            founded=row.get("founded"),
            sectors=row.get("sectors") or [],
            row=row,
        )

    @strawberry.field
    @computed
    def location(self) -> Location:
        row = self.row
        return Location(
            country=row.get("country"),
            region=row.get("region"),
            city=row.get("city"),
            lat=row.get("lat"),
            lon=row.get("lon"),
        )

    @strawberry.field
    @computed
    def size(self) -> Size:
        return Size(
            employees=self.row.get("employees"), size_class=_enum(SizeClass, self.row.get("size_class"))
        )

    @strawberry.field(
        description="What the organization seeks: null unless the needs are public, or the caller is the "
        "organization itself or a manager of one of its clusters."
    )
    async def needs(self, info: Ctx) -> str | None:
        return await info.context.loaders.needs_of.load(self.id)

    def _listed(
        self, name: str, loader: DataLoader[str, list[dict[str, Any]]], convert: Callable[[dict[str, Any]], T]
    ) -> list[T] | Awaitable[list[T]]:
        """The nested list ``name``: at once from :attr:`lists` when the query brought it, else a coroutine
        through ``loader`` (graphql-core awaits what a resolver returns). A page of 50 that inlined its lists
        so costs no coroutine, task and future per organization and field."""
        inlined = self.lists.get(name)
        if inlined is not None:
            return inlined

        async def load() -> list[T]:
            return [convert(row) for row in await loader.load(self.id)]

        return load()

    @strawberry.field(description="The capabilities it offers.", graphql_type=list[Capability])
    def capabilities(self, info: Ctx) -> list[Capability] | Awaitable[list[Capability]]:
        return self._listed("capabilities", info.context.loaders.capabilities_of, Capability.from_row)

    @strawberry.field(description="The clusters it is a member of.", graphql_type=list[Cluster])
    def clusters(self, info: Ctx) -> list[Cluster] | Awaitable[list[Cluster]]:
        return self._listed("clusters", info.context.loaders.clusters_of, Cluster.from_row)

    @strawberry.field(description="The most specific region it is located in.")
    async def region(self, info: Ctx) -> Region | None:
        region_id = await info.context.loaders.region_of.load(self.id)
        if region_id is None:
            return None
        row = await info.context.loaders.region.load(region_id)
        return Region.from_row(row) if row else None

    @strawberry.field(description="Its collaborations, strongest first.")
    async def collaborators(self, info: Ctx, limit: int = 20) -> list[Collaboration]:
        check_page_size(limit, info.context.settings.api_max_page_size, "limit")
        rows = await info.context.loaders.collaborators_of.load((self.id, limit))
        return [
            Collaboration(
                kind=_enum(CollaborationKind, row["kind"]),
                since=str(row["since"]) if row["since"] is not None else None,
                since_as_given=as_given(row["since"], row["since_precision"]),
                weight=row["weight"],
                partner=Organization.from_row(row["partner"]),
            )
            for row in rows
        ]

    @strawberry.field(description="The projects it took part in, newest first (the first `limit`).")
    async def projects(self, info: Ctx, limit: int = 20) -> list[ProjectParticipation]:
        check_page_size(limit, info.context.settings.api_max_page_size, "limit")
        rows = await info.context.loaders.projects_of.load((self.id, limit))
        return [
            ProjectParticipation(role=row["role"], project=Project.from_row(row["project"])) for row in rows
        ]

    @strawberry.field(description="The registries it was loaded from.")
    async def sources(self, info: Ctx) -> list[str]:
        return await info.context.loaders.sources_of.load(self.id)


INLINED_LISTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "clusters": Cluster.from_row,
    "capabilities": Capability.from_row,
}
"""The ``Organization`` list fields a query may bring along, and how their rows become GraphQL objects."""


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class OrganizationEdge:
    node: Organization
    score: float | None = strawberry.field(description="Relevance, if the filter has `text` or `similarTo`.")
    key: strawberry.Private[list[Any]]
    """What the cursor encodes (``api.graphql.pages.cursor_key``): made into one only when asked for."""

    @strawberry.field
    @computed
    def cursor(self) -> str:
        return cursor_text(self.key)


@strawberry.type(description="A page of organizations with keyset cursors (stable under inserts).")
class OrganizationConnection:
    edges: list[OrganizationEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @classmethod
    def of(cls, page: Page) -> OrganizationConnection:
        edges = [
            OrganizationEdge(key=key, node=Organization.from_row(row, lists), score=score)
            for key, row, lists, score in page.edges
        ]
        end_cursor = cursor_text(edges[-1].key) if edges else None
        page_info = PageInfo(has_next_page=page.has_next, end_cursor=end_cursor)
        return cls(edges=edges, page_info=page_info, count=page.total)

    @strawberry.field(description="How many organizations match the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="One hit of a hybrid (full-text + vector) search.")
class SearchHit:
    organization: Organization
    score: float
    text_score: float
    vector_score: float


@strawberry.type(description="One signal's part in a suggestion's score.")
class Reason:
    signal: str
    share: float = strawberry.field(description="The signal's share of the score (the shares add up to it).")
    sentence: str = strawberry.field(description="The reason in words.")


@strawberry.type(description="A suggested partner, with the reasons why and who could introduce you.")
class PartnerSuggestion:
    partner: Organization
    score: float
    reasons: list[Reason]
    explanation: list[str] = strawberry.field(description="Every reason in words, strongest first.")
    matched_need: str | None = strawberry.field(
        description=f'The sentence of the need that matches best (cut at {QUOTED} characters, with "…").'
    )
    matched_capability: str | None = strawberry.field(
        description="The partner's sentence that matches it best (cut as `matchedNeed`)."
    )
    introducers: list[Organization]
    ranking: str = strawberry.field(
        description="Which ranking ran: `learned` (the model `clusterkg tune` trained) or `signals` (the "
        "hand-weighted signals: no model trained, or asked with a need text)."
    )


@strawberry.type(description="A recorded answer to a suggestion.")
class SuggestionFeedback:
    organization_id: strawberry.ID
    partner_id: strawberry.ID
    accepted: bool
    comment: str | None
    at: str
