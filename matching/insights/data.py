"""Clusters as read from the graph, with every date, and the view of one as of a date.

The graph is read once per cluster (three small queries, or the same three for several clusters at once in a
region's summary); every as-of view (the one asked for and the trend's two earlier ones) is cut from that read
in Python. A membership or a link counts as of a date when it is dated on or before it; one without a date
counts at every date (it is known to exist, not when it began; dropping it would make every trend show growth
that never happened, and the report says how many there are). An organization founded after the date counts
nowhere. Capabilities carry no date in the graph model: as of a date, an organization's capabilities count
when the organization itself counts.

The links are held as numpy columns over one sorted list of ids (members and outside partners together), so
that a view is a few array masks rather than a Python loop over a 2,000-member cluster's 20,000 links, three
times per insight; index order is id order, so a pair of indices ordered is the pair of ids ordered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.db import Graph
from graph.queries import insights as queries
from schema.errors import NotFound, echo


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str
    size_class: str | None
    founded: int | None
    since: dt.date | None


@dataclass(frozen=True)
class Links:
    """Every collaboration touching a member, one row per end read (a link between two members comes twice):
    columns of equal length, organizations as indices into ``ClusterData.ids``."""

    member: np.ndarray
    partner: np.ndarray
    since: np.ndarray
    """``datetime64[D]``; NaT when undated."""
    kind: np.ndarray
    """A code per distinct kind (None is one kind too): only equality matters."""
    weight: np.ndarray
    partner_founded: np.ndarray
    """Year as float; NaN when unknown."""


@dataclass
class ClusterData:
    """Everything the insights of one cluster are computed from."""

    cluster: dict[str, Any]
    members: dict[str, Member]
    ids: list[str]
    """Members and their outside partners, sorted: the index space of ``links`` and the member columns."""
    is_member: np.ndarray
    member_since: np.ndarray
    member_founded: np.ndarray
    links: Links
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
    rows = graph.run(queries.CLUSTERS, clusters=[cluster_id])
    if not rows:
        raise NotFound(f"no cluster with id {echo(cluster_id)}")
    [data] = read_clusters(
        graph, [rows[0]["cluster"]], read_private_needs=read_private_needs, manager=manager
    )
    return data


def read_clusters(
    graph: Graph, clusters: Sequence[dict[str, Any]], *, read_private_needs: bool, manager: str | None
) -> list[ClusterData]:
    """Read ``clusters`` (as ``queries.CLUSTERS`` returns them) with three queries in all, whatever their
    number; private needs as in :func:`read_cluster`, per cluster."""
    ids = [c["id"] for c in clusters]
    private = [
        c["id"] for c in clusters if read_private_needs or (manager is not None and manager in c["managers"])
    ]
    members = _by_cluster(graph.run(queries.MEMBERS, clusters=ids))
    links = _by_cluster(graph.run(queries.LINKS, clusters=ids))
    capabilities = _by_cluster(graph.run(queries.CAPABILITIES, clusters=ids, private=private))
    return [
        _cluster_data(c, members[c["id"]], links[c["id"]], capabilities[c["id"]], c["id"] in private)
        for c in clusters
    ]


def _by_cluster(records: list[dict[str, Any]]) -> dict[str, list[list[Any]]]:
    return {record["cluster"]: record["rows"] for record in records}


def _cluster_data(
    cluster: dict[str, Any],
    member_rows: list[list[Any]],
    link_rows: list[list[Any]],
    capability_rows: list[list[Any]],
    private_needs_read: bool,
) -> ClusterData:
    """The columns of one cluster's read (see :class:`ClusterData`)."""
    members = {
        row[0]: Member(row[0], row[1] or row[0], row[2] or "", row[3], row[4], parse_date(row[5]))
        for row in member_rows
    }
    ids = sorted(set(members).union(row[1] for row in link_rows))
    index = {id_: i for i, id_ in enumerate(ids)}
    is_member = np.zeros(len(ids), dtype=bool)
    member_since = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[D]")
    member_founded = np.full(len(ids), np.nan)
    for row in member_rows:
        i = index[row[0]]
        is_member[i] = True
        member_since[i] = np.datetime64(row[5] or "NaT", "D")
        member_founded[i] = np.nan if row[4] is None else row[4]
    kinds: dict[Any, int] = {}
    columns = list(zip(*link_rows, strict=True)) if link_rows else [()] * 6
    links = Links(
        member=np.array([index[id_] for id_ in columns[0]], dtype=np.int64),
        partner=np.array([index[id_] for id_ in columns[1]], dtype=np.int64),
        since=np.array(columns[2], dtype="datetime64[D]"),
        kind=np.array([kinds.setdefault(k, len(kinds)) for k in columns[3]], dtype=np.int64),
        weight=np.array([float(w or 1.0) for w in columns[4]], dtype=np.float64),
        partner_founded=np.array(columns[5], dtype=np.float64),
    )
    capabilities = [(row[0], row[1], row[2], row[3] or row[2]) for row in capability_rows]
    return ClusterData(
        cluster,
        members,
        ids,
        is_member,
        member_since,
        member_founded,
        links,
        capabilities,
        private_needs_read,
    )


def _exists(since: np.ndarray, founded: np.ndarray, date: dt.date | None) -> np.ndarray:
    """Which rows count as of ``date``: dated on or before it (or undated), founded in or before its year."""
    if date is None:
        return np.ones(len(since), dtype=bool)
    day = np.datetime64(date, "D")
    with np.errstate(invalid="ignore"):
        return (np.isnat(since) | (since <= day)) & (np.isnan(founded) | (founded <= date.year))


def snapshot(data: ClusterData, date: dt.date | None, *, capabilities: bool = True) -> Snapshot:
    """The members, member pairs, outside ties and (unless not ``capabilities``: the trend's views need
    none) capabilities that count as of ``date``."""
    ids, links, size = data.ids, data.links, len(data.ids)
    member_now = data.is_member & _exists(data.member_since, data.member_founded, date)
    members = {ids[i]: data.members[ids[i]] for i in np.flatnonzero(member_now).tolist()}
    counted = member_now[links.member] & _exists(links.since, links.partner_founded, date)
    inside = counted & member_now[links.partner]
    low, high = np.minimum(links.member, links.partner), np.maximum(links.member, links.partner)
    pairs = np.unique(low[inside] * size + high[inside])
    outside = counted & ~member_now[links.partner]
    ties, first, which = np.unique(
        links.member[outside] * size + links.partner[outside], return_index=True, return_inverse=True
    )
    weights = np.bincount(which, weights=links.weight[outside], minlength=len(ties))
    read_order = np.argsort(first)  # the ties in the order their first link was read
    undated = counted & np.isnat(links.since)
    kinds = int(links.kind.max(initial=0)) + 1
    undated_links = len(np.unique((low[undated] * size + high[undated]) * kinds + links.kind[undated]))
    view = Snapshot(
        date=date,
        members=members,
        internal={(ids[p // size], ids[p % size]) for p in pairs.tolist()},
        external={
            (ids[t // size], ids[t % size]): w
            for t, w in zip(ties[read_order].tolist(), weights[read_order].tolist(), strict=True)
        },
        undated_memberships=int(np.count_nonzero(member_now & np.isnat(data.member_since))),
        undated_links=undated_links,
    )
    for member, kind, capability, name in data.capabilities if capabilities else ():
        if member in members:
            (view.offers if kind == "OFFERS" else view.needs).setdefault(capability, set()).add(member)
            view.capability_names[capability] = name
    return view
