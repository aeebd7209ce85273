"""The GraphQL types of cluster insights: the figures of ``matching.insights`` (``result.py``), one type per
dataclass, with maps turned into lists of ``{key, count}``. Definitions of every figure: ``docs/insights.md``.

A list as long as a cluster's members (isolates, peripheral members, communities, gaps and who needs
them, anchors, knowledge brokers; the member network's nodes and edges, ``network_types``) is answered the
first ``limit`` at a time (:func:`first`), like every list that grows with the graph: the complexity limit
counts its ``limit``, where a list without one counts 10 rows, and a region's page of 100 clusters of 2,000
members each holds 200,000 isolates. The other lists are short by construction (the top ten by degree,
betweenness or outside ties; roles; size classes).
"""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry

from api.graphql.context import Ctx
from api.graphql.inputs import ClusterStageEnum
from api.graphql.network_types import MemberNetwork
from api.graphql.sizes import FULL_PAGE, check_page_size
from matching.insights import ClusterInsights as Result
from matching.insights import result as r
from schema.graph_model import ClusterStage

T = TypeVar("T")


def first(items: list[T], limit: int, info: Ctx) -> list[T]:
    """The first ``limit`` of ``items``, the limit checked as every page size is."""
    check_page_size(limit, info.context.settings.api_max_page_size, "limit")
    return items[:limit]


def _stage(value: str | None) -> Any:
    return ClusterStage(value) if value else None


@strawberry.type(description="A member or an outside organization.")
class InsightActor:
    id: strawberry.ID
    name: str
    role: str

    @classmethod
    def of(cls, a: r.Actor) -> InsightActor:
        return cls(id=strawberry.ID(a.id), name=a.name, role=a.role)


@strawberry.type(description="A member with its degree and normalized betweenness.")
class RankedMember(InsightActor):
    degree: int
    betweenness: float

    @classmethod
    def of_ranked(cls, a: r.Ranked) -> RankedMember:
        return cls(
            id=strawberry.ID(a.id), name=a.name, role=a.role, degree=a.degree, betweenness=a.betweenness
        )


@strawberry.type(description="Gould–Fernandez brokerage: open two-paths through a member, by role.")
class BrokerageCounts:
    coordinator: int
    itinerant: int
    gatekeeper: int
    liaison: int


@strawberry.type(description="A member ranked by betweenness, with its brokerage roles.")
class InsightBroker(RankedMember):
    knowledge_broker: bool
    community: int | None
    brokerage: BrokerageCounts = strawberry.field(description="Across Leiden communities.")
    brokerage_by_role: BrokerageCounts = strawberry.field(description="Across the members' roles.")
    dominant_role: str | None

    @classmethod
    def of_broker(cls, a: r.Broker) -> InsightBroker:
        return cls(
            id=strawberry.ID(a.id),
            name=a.name,
            role=a.role,
            degree=a.degree,
            betweenness=a.betweenness,
            knowledge_broker=a.knowledge_broker,
            community=a.community,
            brokerage=BrokerageCounts(**a.brokerage),
            brokerage_by_role=BrokerageCounts(**a.brokerage_by_role),
            dominant_role=a.dominant_role,
        )


def _actors(actors: list[r.Actor]) -> list[InsightActor]:
    return [InsightActor.of(a) for a in actors]


@strawberry.type(description="A Leiden community of the member network.")
class InsightCommunity:
    number: int
    size: int
    members: list[InsightActor] = strawberry.field(description="At most ten, most connected first.")


@strawberry.type(description="An organization outside the cluster that members collaborate with.")
class OutsidePartner(InsightActor):
    members: int = strawberry.field(description="How many members it collaborates with.")
    weight: float
    clusters: list[str]


@strawberry.type(description="An outside organization suggested for a gap, with the matcher's reasons.")
class GapSupplier(InsightActor):
    score: float
    offers_capability: bool
    reasons: list[str]


@strawberry.type(description="A capability some member needs and no member offers.")
class CapabilityGap:
    capability: str
    capability_id: strawberry.ID
    offered_outside: int = strawberry.field(description="Organizations outside that offer it in the graph.")
    suppliers: list[GapSupplier]
    suppliers_searched: bool = strawberry.field(
        description="Whether outside suppliers were looked for (only the most needed gaps get them): an "
        "empty `suppliers` then means that none fits."
    )
    needing: strawberry.Private[list[r.Actor]]

    @strawberry.field(description="The members that need it (the first `limit`).")
    def needed_by(self, info: Ctx, limit: int = FULL_PAGE) -> list[InsightActor]:
        return _actors(first(self.needing, limit, info))

    @classmethod
    def of(cls, g: r.Gap) -> CapabilityGap:
        return cls(
            capability=g.capability,
            capability_id=strawberry.ID(g.capability_id),
            offered_outside=g.offered_outside,
            suppliers=[GapSupplier(**vars(s)) for s in g.suppliers],
            suppliers_searched=g.suppliers_searched,
            needing=g.needed_by,
        )


@strawberry.type(description="A capability offered by several members.")
class CapabilityConcentration:
    capability: str
    offered_by: int
    share: float


@strawberry.type(description="A count by key (a role, a size class, a year).")
class CountByKey:
    key: str
    count: int


def counts(values: dict[str, int]) -> list[CountByKey]:
    return [CountByKey(key=k, count=v) for k, v in values.items()]


@strawberry.type(description="Who the members are.")
class ClusterComposition:
    by_role: list[CountByKey]
    by_size_class: list[CountByKey]
    smb_share: float | None
    joined_per_year: list[CountByKey]
    composition: strawberry.Private[r.Composition]

    @strawberry.field(description="Universities and research institutes (the first `limit`).")
    def anchors(self, info: Ctx, limit: int = FULL_PAGE) -> list[InsightActor]:
        return _actors(first(self.composition.anchors, limit, info))

    @strawberry.field(description="The members that are knowledge brokers (the first `limit`).")
    def knowledge_brokers(self, info: Ctx, limit: int = FULL_PAGE) -> list[InsightActor]:
        return _actors(first(self.composition.knowledge_brokers, limit, info))


@strawberry.type(description="The stage computed from the graph, the rule that fired, the declared stage.")
class ComputedStage:
    computed: ClusterStageEnum  # type: ignore[valid-type]
    declared: ClusterStageEnum | None  # type: ignore[valid-type]
    rule: str
    differs: bool


@strawberry.type(description="The headline figures of one date.")
class InsightFigures:
    date: str | None
    members: int
    links: int
    density: float
    average_degree: float
    components: int
    isolates: int
    external_share: float
    stage: ClusterStageEnum  # type: ignore[valid-type]

    @classmethod
    def of(cls, f: r.Figures) -> InsightFigures:
        return cls(**{**vars(f), "stage": ClusterStage(f.stage)})


@strawberry.type(description="The same figures at an earlier date and now.")
class InsightTrend:
    since: str | None = strawberry.field(description="The earlier date.")
    then: InsightFigures
    now: InsightFigures


_SCALARS = [
    "name",
    "sector",
    "region",
    "as_of",
    "members",
    "links",
    "density",
    "average_degree",
    "components",
    "largest_component",
    "periphery_rule",
    "modularity",
    "external_share",
    "outside_links",
    "private_needs_counted",
]
"""Fields copied as they are from the result."""


@strawberry.type(description="A cluster's network analysis as of a date (docs/insights.md).")
class ClusterInsights:
    cluster: strawberry.ID
    name: str
    sector: str | None
    region: str | None
    as_of: str | None
    members: int
    links: int = strawberry.field(description="Member pairs that collaborate (edges of the member network).")
    density: float = strawberry.field(description="2m / (n (n - 1)).")
    average_degree: float
    components: int
    largest_component: int
    core_k: int = strawberry.field(description="k of the densest k-core.")
    core_members: int
    periphery_rule: str
    degree: list[RankedMember]
    brokers: list[InsightBroker]
    modularity: float
    external_share: float = strawberry.field(
        description="Of the collaborating pairs that touch a member, the share whose other end is no member."
    )
    outside_links: int
    outside_partners: list[OutsidePartner]
    concentration: list[CapabilityConcentration]
    composition: ClusterComposition
    stage: ComputedStage
    trend: InsightTrend
    private_needs_counted: bool
    undated_memberships: int
    undated_links: int
    network: MemberNetwork
    result: strawberry.Private[Result]
    """What the member-sized lists are answered from, a page at a time."""

    @strawberry.field(description="Members with no tie to another member (the first `limit`).")
    def isolates(self, info: Ctx, limit: int = FULL_PAGE) -> list[InsightActor]:
        return _actors(first(self.result.isolates, limit, info))

    @strawberry.field(description="Peripheral members, as `peripheryRule` says (the first `limit`).")
    def peripheral(self, info: Ctx, limit: int = FULL_PAGE) -> list[InsightActor]:
        return _actors(first(self.result.peripheral, limit, info))

    @strawberry.field(description="The Leiden communities, largest first (the first `limit`).")
    def communities(self, info: Ctx, limit: int = FULL_PAGE) -> list[InsightCommunity]:
        return [
            InsightCommunity(number=x.number, size=x.size, members=_actors(x.members))
            for x in first(self.result.communities, limit, info)
        ]

    @strawberry.field(description="Private needs count only for managers of the cluster (the first `limit`).")
    def gaps(self, info: Ctx, limit: int = FULL_PAGE) -> list[CapabilityGap]:
        return [CapabilityGap.of(g) for g in first(self.result.gaps, limit, info)]

    @classmethod
    def of(cls, i: Result) -> ClusterInsights:
        c = i.composition
        return cls(
            **{name: getattr(i, name) for name in _SCALARS},
            cluster=strawberry.ID(i.cluster),
            result=i,
            core_k=i.core["k"],
            core_members=i.core["members"],
            degree=[RankedMember.of_ranked(x) for x in i.degree],
            brokers=[InsightBroker.of_broker(b) for b in i.brokers],
            outside_partners=[OutsidePartner(**vars(p)) for p in i.outside_partners],
            concentration=[CapabilityConcentration(**vars(x)) for x in i.concentration],
            composition=ClusterComposition(
                by_role=counts(c.by_role),
                by_size_class=counts(c.by_size_class),
                smb_share=c.smb_share,
                joined_per_year=counts(c.joined_per_year),
                composition=c,
            ),
            stage=ComputedStage(
                computed=ClusterStage(i.stage.computed),
                declared=_stage(i.stage.declared),
                rule=i.stage.rule,
                differs=i.stage.differs,
            ),
            trend=InsightTrend(
                since=i.trend["from"],
                then=InsightFigures.of(i.trend["then"]),
                now=InsightFigures.of(i.trend["now"]),
            ),
            undated_memberships=i.undated["memberships"],
            undated_links=i.undated["links"],
            network=MemberNetwork.of(i.nodes, i.edges),
        )
