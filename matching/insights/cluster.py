"""The insights of one cluster, as of a date: the network's figures, brokers, periphery, openness, gaps,
the computed stage and the trend, from one read of the cluster (``data``)."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from graph.db import Graph
from graph.queries import insights as queries
from matching.insights import stage as stages
from matching.insights.brokerage import ROLES, brokerage
from matching.insights.composition import composition
from matching.insights.data import ClusterData, Snapshot, read_cluster, snapshot
from matching.insights.drawing import drawing
from matching.insights.gaps import add_suppliers, concentration, find_gaps
from matching.insights.network import Network, build, count_components
from matching.insights.result import (
    Actor,
    Broker,
    ClusterInsights,
    Community,
    Figures,
    Gap,
    OutsidePartner,
    Ranked,
    Stage,
    iso,
)
from schema.graph_model import Role
from schema.settings import Settings
from schema.settings_loader import get_settings

TOP = 10
"""Length of the top-actor lists (degree, brokers, outside partners)."""

PERIPHERY_RULE = (
    "peripheral: members with a tie to another member but outside the network's 2-core (coreness 1: one "
    "removed tie cuts them off); when the network has no 2-core, its leaves (degree 1); core: the members "
    "of the densest k-core (k = core.k)"
)


def cluster_insights(
    graph: Graph,
    cluster_id: str,
    *,
    as_of: dt.date | None = None,
    read_private_needs: bool = False,
    manager: str | None = None,
    suppliers: int = 3,
    settings: Settings | None = None,
    today: dt.date | None = None,
    stop_at: float | None = None,
    supplied_gaps: int | None = None,
) -> ClusterInsights:
    """The insights of cluster ``cluster_id`` as of ``as_of`` (None: the graph now).

    ``read_private_needs``: count members' private needs in the gaps (only for callers who may read them:
    the cluster's managers); ``manager``: the organization of a cluster_manager caller, whose private needs
    count when it manages this cluster. ``suppliers``: outside suppliers suggested per gap (0: none, no
    model needed). ``today`` dates "now" for the stage's window and the trend when ``as_of`` is None.
    ``stop_at``: the asking request's deadline (``time.monotonic()``); past it no further gap's suppliers
    are looked up (:class:`~schema.errors.TimedOut`). ``supplied_gaps``: suppliers for only the first that
    many gaps, the most needed (None: every gap)."""
    data = read_cluster(graph, cluster_id, read_private_needs=read_private_needs, manager=manager)
    return analyse(
        data,
        graph,
        as_of=as_of,
        suppliers=suppliers,
        settings=settings,
        today=today,
        stop_at=stop_at,
        supplied_gaps=supplied_gaps,
    )


def analyse(
    data: ClusterData,
    graph: Graph,
    *,
    as_of: dt.date | None,
    suppliers: int,
    settings: Settings | None,
    today: dt.date | None,
    draw: bool = True,
    stop_at: float | None = None,
    supplied_gaps: int | None = None,
) -> ClusterInsights:
    """The insights of ``data`` as of ``as_of``; ``draw``: with the network's nodes and edges.

    The gaps' suppliers (one ``suggest`` per gap, mostly waiting on Neo4j's vector index) are looked up in a
    second thread while this one analyses the network: the two overlap instead of adding up."""
    view = snapshot(data, as_of)
    gaps = find_gaps(view, graph)
    with ThreadPoolExecutor(max_workers=1) as pool:
        lookup = pool.submit(_add_suppliers, gaps, graph, data, suppliers, settings, stop_at, supplied_gaps)
        net = build(list(view.members), view.internal)
        components = net.components()
        now, before, stage_rule = _figures_and_stage(
            data, view, len(components), as_of or today or dt.date.today()
        )
        outside = _outside_partners(view, graph)
        brokers = _brokers(net, view)
        lookup.result()
    insights = ClusterInsights(
        cluster=data.cluster["id"],
        name=data.cluster.get("name") or data.cluster["id"],
        sector=data.cluster.get("sector"),
        region=data.cluster.get("region"),
        as_of=iso(as_of),
        members=net.members,
        links=net.edges,
        density=net.density,
        average_degree=net.average_degree,
        components=len(components),
        largest_component=len(components[0]) if components else 0,
        isolates=[_actor(view, net.ids[i]) for i in range(net.members) if net.isolated(i)],
        peripheral=[_actor(view, net.ids[i]) for i in range(net.members) if net.peripheral(i)],
        core={"k": net.max_core, "members": sum(1 for c in net.coreness if c == net.max_core and c > 0)},
        periphery_rule=PERIPHERY_RULE,
        degree=_top_degree(net, view),
        brokers=brokers,
        communities=_communities(net, view),
        modularity=net.modularity,
        external_share=now.external_share,
        outside_links=len(view.external),
        outside_partners=outside,
        gaps=gaps,
        concentration=concentration(view),
        composition=composition(view.members),
        stage=Stage(
            computed=now.stage,
            declared=data.cluster.get("stage"),
            rule=stage_rule,
            differs=bool(data.cluster.get("stage")) and data.cluster.get("stage") != now.stage,
        ),
        trend={"from": before.date, "then": before, "now": now},
        private_needs_counted=data.private_needs_read,
        undated={"memberships": view.undated_memberships, "links": view.undated_links},
    )
    if draw:
        insights.nodes, insights.edges = drawing(net, view, brokers, outside)
    return insights


def _add_suppliers(
    gaps: list[Gap],
    graph: Graph,
    data: ClusterData,
    suppliers: int,
    settings: Settings | None,
    stop_at: float | None,
    supplied_gaps: int | None,
) -> None:
    if suppliers > 0 and gaps:
        add_suppliers(
            gaps,
            graph,
            set(data.members),
            per_gap=suppliers,
            settings=settings or get_settings(),
            stop_at=stop_at,
            supplied_gaps=supplied_gaps,
        )


def _figures_and_stage(
    data: ClusterData, view: Snapshot, components: int, date: dt.date
) -> tuple[Figures, Figures, str]:
    """The headline figures now and one window earlier, each with its computed stage; the rule now."""
    start = stages.years_before(date, stages.WINDOW_YEARS)
    earlier = stages.years_before(start, stages.WINDOW_YEARS)
    then_view = snapshot(data, start, capabilities=False)
    earlier_view = snapshot(data, earlier, capabilities=False)
    now = stages.headline(view, components)
    now.date = iso(date)
    then = stages.headline(then_view, count_components(list(then_view.members), then_view.internal))
    earliest = stages.headline(earlier_view, 0)
    now.stage, rule = stages.computed_stage(now, then, stages.joined_since(view, start), start)
    then.stage, _ = stages.computed_stage(then, earliest, stages.joined_since(then_view, earlier), earlier)
    return now, then, rule


def _actor(view: Snapshot, member_id: str) -> Actor:
    member = view.members[member_id]
    return Actor(id=member.id, name=member.name, role=member.role)


def _ranked(net: Network, view: Snapshot, i: int) -> Ranked:
    m = view.members[net.ids[i]]
    return Ranked(m.id, m.name, m.role, net.degree[i], net.betweenness[i])


def _top_degree(net: Network, view: Snapshot) -> list[Ranked]:
    order = sorted(range(net.members), key=lambda i: (-net.degree[i], -net.betweenness[i], net.ids[i]))
    return [_ranked(net, view, i) for i in order[:TOP] if net.degree[i] > 0]


def _brokers(net: Network, view: Snapshot) -> list[Broker]:
    """Members with a positive betweenness, highest first, with their brokerage roles."""
    order = sorted(range(net.members), key=lambda i: (-net.betweenness[i], -net.degree[i], net.ids[i]))
    roles = [view.members[id_].role for id_ in net.ids]
    result = []
    for i in order[:TOP]:
        if net.betweenness[i] <= 0:
            break
        by_community = brokerage(net.graph, i, net.community)
        ranked = _ranked(net, view, i)
        result.append(
            Broker(
                **vars(ranked),
                knowledge_broker=ranked.role == Role.KNOWLEDGE_BROKER.value,
                community=net.community[i],
                brokerage=by_community,
                brokerage_by_role=brokerage(net.graph, i, roles),
                dominant_role=max(ROLES, key=lambda r: (by_community[r], -ROLES.index(r)))
                if any(by_community.values())
                else None,
            )
        )
    return result


def _communities(net: Network, view: Snapshot) -> list[Community]:
    groups: dict[int, list[int]] = defaultdict(list)
    for i, number in enumerate(net.community):
        if number is not None:
            groups[number].append(i)
    return [
        Community(
            number=number,
            size=len(group),
            members=[
                _actor(view, net.ids[i]) for i in sorted(group, key=lambda i: (-net.degree[i], net.ids[i]))
            ][:TOP],
        )
        for number, group in sorted(groups.items())
    ]


def _outside_partners(view: Snapshot, graph: Graph) -> list[OutsidePartner]:
    """The outside organizations tied to most members (then by summed link weight), named."""
    members: dict[str, int] = defaultdict(int)
    weight: dict[str, float] = defaultdict(float)
    for (_, partner), w in view.external.items():
        members[partner] += 1
        weight[partner] += w
    top = heapq.nsmallest(TOP, members, key=lambda p: (-members[p], -weight[p], p))
    if not top:
        return []
    rows = {
        row["organization"]["id"]: row["organization"] for row in graph.run(queries.ORGANIZATIONS, ids=top)
    }
    return [
        OutsidePartner(
            id=p,
            name=rows.get(p, {}).get("name") or p,
            role=rows.get(p, {}).get("role") or "",
            members=members[p],
            weight=weight[p],
            clusters=sorted(rows.get(p, {}).get("clusters") or []),
        )
        for p in top
    ]
