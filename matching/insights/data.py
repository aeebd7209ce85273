"""One cluster as read from the graph, with every date, and the view of it as of a date.

The graph is read once per cluster (four small queries); every as-of view (the one asked for and the trend's
earlier one) is cut from that read in Python. A membership or a link counts as of a date when it is dated on
or before it; one without a date counts at every date (it is known to exist, not when it began; dropping it
would make every trend show growth that never happened, and the report says how many there are). An
organization founded after the date counts nowhere. Capabilities carry no date in the graph model: as of a
date, an organization's capabilities count when the organization itself counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graph.db import Graph
from graph.queries import insights as queries
from schema.errors import NotFound


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str
    size_class: str | None
    founded: int | None
    since: dt.date | None


@dataclass(frozen=True)
class Link:
    """A collaboration as seen from a member (a link between two members is read from both ends)."""

    member: str
    partner: str
    since: dt.date | None
    kind: str | None
    weight: float
    partner_founded: int | None
    pair: tuple[str, str]
    """The two ends, smaller id first (one key per pair, whichever end the link was read from)."""


@dataclass
class ClusterData:
    """Everything the insights of one cluster are computed from."""

    cluster: dict[str, Any]
    members: dict[str, Member]
    links: list[Link]
    capabilities: list[tuple[str, str, str, str]]
    """``(member, 'OFFERS' | 'NEEDS', capability id, capability name)``"""
    private_needs_read: bool


@dataclass
class Snapshot:
    """The cluster as of ``date`` (None: everything in the graph now)."""

    date: dt.date | None
    members: dict[str, Member]
    internal: set[tuple[str, str]]
    """Member pairs with at least one collaboration, each pair once as ``(smaller id, larger id)``."""
    external: dict[tuple[str, str], float]
    """``(member, outside partner)`` pairs with their summed link weight."""
    offers: dict[str, set[str]] = field(default_factory=dict)
    needs: dict[str, set[str]] = field(default_factory=dict)
    capability_names: dict[str, str] = field(default_factory=dict)
    undated_memberships: int = 0
    undated_links: int = 0


def parse_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def read_cluster(
    graph: Graph, cluster_id: str, *, read_private_needs: bool, manager: str | None = None
) -> ClusterData:
    """Read one cluster; its members' private needs only when ``read_private_needs`` or when ``manager`` (the
    organization of a cluster_manager caller) manages this cluster: the only callers who may read them."""
    rows = graph.run(queries.CLUSTER, cluster=cluster_id)
    if not rows:
        raise NotFound(f"no cluster with id {cluster_id!r}")
    cluster = rows[0]["cluster"]
    read_private_needs = read_private_needs or (manager is not None and manager in cluster["managers"])
    members = {
        row[0]: Member(row[0], row[1] or row[0], row[2] or "", row[3], row[4], parse_date(row[5]))
        for row in graph.value(queries.MEMBERS, cluster=cluster_id)
    }
    links = [
        Link(row[0], row[1], parse_date(row[2]), row[3], float(row[4] or 1.0), row[5], _pair(row[0], row[1]))
        for row in graph.value(queries.LINKS, cluster=cluster_id)
    ]
    capabilities = [
        (row[0], row[1], row[2], row[3] or row[2])
        for row in graph.value(queries.CAPABILITIES, cluster=cluster_id, private=read_private_needs)
    ]
    return ClusterData(cluster, members, links, capabilities, read_private_needs)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _exists(since: dt.date | None, founded: int | None, date: dt.date | None) -> bool:
    if date is None:
        return True
    return (since is None or since <= date) and (founded is None or founded <= date.year)


def snapshot(data: ClusterData, date: dt.date | None) -> Snapshot:
    """The members, member pairs, outside ties and capabilities that count as of ``date``."""
    members = {m.id: m for m in data.members.values() if _exists(m.since, m.founded, date)}
    internal: set[tuple[str, str]] = set()
    external: dict[tuple[str, str], float] = defaultdict(float)
    undated_links: set[tuple[str, str, str | None]] = set()
    for link in data.links:
        if link.member not in members or not _exists(link.since, link.partner_founded, date):
            continue
        if link.since is None:
            undated_links.add((*link.pair, link.kind))
        if link.partner in members:
            internal.add(link.pair)
        else:
            external[(link.member, link.partner)] += link.weight
    view = Snapshot(
        date=date,
        members=members,
        internal=internal,
        external=dict(external),
        undated_memberships=sum(1 for m in members.values() if m.since is None),
        undated_links=len(undated_links),
    )
    for member, kind, capability, name in data.capabilities:
        if member in members:
            (view.offers if kind == "OFFERS" else view.needs).setdefault(capability, set()).add(member)
            view.capability_names[capability] = name
    return view
