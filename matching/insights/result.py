"""What :func:`matching.insights.cluster_insights` returns: plain dataclasses, so the CLI, the GraphQL types
and the web pages read the same figures, and :meth:`ClusterInsights.to_json` gives the one JSON object of
``clusterkg insights --json`` (its keys are described in ``docs/insights.md``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Actor:
    """A member or an outside organization, named."""

    id: str
    name: str
    role: str = ""


@dataclass
class Ranked:
    """A member with its degree and betweenness (the top-actor lists)."""

    id: str
    name: str
    role: str
    degree: int
    betweenness: float


@dataclass
class Broker(Ranked):
    """A member ranked by betweenness, with its Gould–Fernandez brokerage counts across communities and
    across roles (``matching.insights.brokerage``) and its dominant role across communities."""

    knowledge_broker: bool = False
    community: int | None = None
    brokerage: dict[str, int] = field(default_factory=dict)
    brokerage_by_role: dict[str, int] = field(default_factory=dict)
    dominant_role: str | None = None


@dataclass
class Community:
    number: int
    size: int
    members: list[Actor]
    """Its members by degree, most connected first (at most ten)."""


@dataclass
class OutsidePartner(Actor):
    """An organization outside the cluster that members collaborate with."""

    members: int = 0
    """How many members it collaborates with."""
    weight: float = 0.0
    clusters: list[str] = field(default_factory=list)


@dataclass
class Supplier(Actor):
    """An outside organization suggested by ``matching.suggest`` for a gap, with its reasons."""

    score: float = 0.0
    offers_capability: bool = False
    reasons: list[str] = field(default_factory=list)


@dataclass
class Gap:
    """A capability some member needs and no member offers."""

    capability: str
    capability_id: str
    needed_by: list[Actor]
    offered_outside: int
    """Organizations outside the cluster that offer it in the graph."""
    suppliers: list[Supplier] = field(default_factory=list)
    suppliers_searched: bool = False
    """Whether outside suppliers were looked for: an empty ``suppliers`` then means that none fits."""


@dataclass
class Concentration:
    """A capability offered by several members: a strength, or a crowded field."""

    capability: str
    offered_by: int
    share: float


@dataclass
class Composition:
    by_role: dict[str, int]
    by_size_class: dict[str, int]
    smb_share: float | None
    """SMBs (micro, small, medium) among members with a known size class; None when none has one."""
    anchors: list[Actor]
    """Universities and research institutes."""
    knowledge_brokers: list[Actor]
    joined_per_year: dict[str, int]


@dataclass
class Stage:
    computed: str
    declared: str | None
    rule: str
    """The rule that fired, with its numbers."""
    differs: bool


@dataclass
class Figures:
    """The headline figures of one as-of view; the trend compares two of them."""

    date: str | None
    members: int
    links: int
    density: float
    average_degree: float
    components: int
    isolates: int
    external_share: float
    stage: str


@dataclass
class Node:
    """A node of the member network for drawing; ``outside`` nodes are the top outside partners."""

    id: str
    name: str
    role: str
    community: int | None = None
    broker: bool = False
    isolate: bool = False
    peripheral: bool = False
    outside: bool = False
    degree: int = 0
    betweenness: float = 0.0


@dataclass
class Edge:
    source: str
    target: str
    outside: bool = False


@dataclass
class ClusterInsights:
    """The insights of one cluster as of a date (``as_of`` None: the graph now)."""

    cluster: str
    name: str
    sector: str | None
    region: str | None
    as_of: str | None
    members: int
    links: int
    density: float
    average_degree: float
    components: int
    largest_component: int
    isolates: list[Actor]
    peripheral: list[Actor]
    core: dict[str, int]
    periphery_rule: str
    degree: list[Ranked]
    brokers: list[Broker]
    communities: list[Community]
    modularity: float
    external_share: float
    outside_links: int
    outside_partners: list[OutsidePartner]
    gaps: list[Gap]
    concentration: list[Concentration]
    composition: Composition
    stage: Stage
    trend: dict[str, Any]
    """``{"from": date, "then": Figures, "now": Figures}``: the same figures at the earlier date."""
    private_needs_counted: bool
    undated: dict[str, int]
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``clusterkg insights --json`` (``network`` holds the nodes and edges)."""
        data = asdict(self)
        data["network"] = {"nodes": data.pop("nodes"), "edges": data.pop("edges")}
        return data


def iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None
