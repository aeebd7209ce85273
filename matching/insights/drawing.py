"""The member network as nodes and edges for drawing (the cluster dashboard and report): every member, with
its community and flags, and the top outside partners as ``outside`` nodes tied to the members they work
with."""

from __future__ import annotations

from matching.insights.data import Snapshot
from matching.insights.network import Network
from matching.insights.result import Broker, Edge, Node, OutsidePartner


def drawing(
    net: Network, view: Snapshot, brokers: list[Broker], outside: list[OutsidePartner]
) -> tuple[list[Node], list[Edge]]:
    """Nodes (members first, then outside partners) and edges (member pairs, then outside ties)."""
    broker_ids = {b.id for b in brokers}
    nodes = [
        Node(
            id=id_,
            name=view.members[id_].name,
            role=view.members[id_].role,
            community=net.community[i],
            broker=id_ in broker_ids,
            isolate=net.isolated(i),
            peripheral=net.peripheral(i),
            degree=net.degree[i],
            betweenness=net.betweenness[i],
        )
        for i, id_ in enumerate(net.ids)
    ]
    nodes += [Node(id=p.id, name=p.name, role=p.role, outside=True) for p in outside]
    edges = [Edge(source=a, target=b) for a, b in sorted(view.internal)]
    shown = {p.id for p in outside}
    edges += [
        Edge(source=member, target=partner, outside=True)
        for member, partner in sorted(pair for pair in view.external if pair[1] in shown)
    ]
    return nodes, edges
