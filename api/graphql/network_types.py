"""The member network of ``clusterInsights`` for drawing, a page of its nodes and of its edges.

A cluster's network grows with the cluster: every member, the top outside partners, and every tie among them.
Answered whole it was the one list of an insight without a ``limit``: the complexity limit took it for 10 rows
while the largest cluster of a generated region of 20,000 organizations (499 members) answered 93 kB of it, 9
aliased insights 838 kB, growing with the region. So ``nodes`` and ``edges`` come the first ``limit`` at a
time (counted as every page size is), the next page the ``limit`` after the last node's or edge's ``id``,
as the clusters page, and ``nodeCount`` / ``edgeCount`` say how large the whole drawing is, so a caller knows
when it got part of it.

The part a caller gets is the one worth drawing: the nodes most connected first, and the edges in the order of
their later node, so the ties among the first ``n`` nodes come before any tie to a node past them. The web
dashboard and ``clusterkg report`` draw the whole network from ``matching.insights`` directly.
"""

from __future__ import annotations

import strawberry

from api.graphql.context import Ctx
from api.graphql.pages import cursor_text
from api.graphql.sizes import FULL_PAGE, check_page_size
from matching.insights import page_after
from matching.insights import result as r


@strawberry.type(description="A node of the member network; `outside` nodes are the top outside partners.")
class NetworkNode:
    id: strawberry.ID
    name: str
    role: str
    community: int | None
    broker: bool
    isolate: bool
    peripheral: bool
    outside: bool
    degree: int
    betweenness: float


@strawberry.type(description="A tie of the member network (`outside`: to an outside partner).")
class NetworkEdge:
    id: strawberry.ID = strawberry.field(description="Opaque; the `after` of the next page of `edges`.")
    source: strawberry.ID
    target: strawberry.ID
    outside: bool


def edge_id(edge: r.Edge) -> str:
    """An edge's id: the pair of its nodes, one tie each, as an opaque cursor."""
    return cursor_text([edge.source, edge.target])


def ranked(nodes: list[r.Node], edges: list[r.Edge]) -> tuple[list[r.Node], list[r.Edge]]:
    """The nodes by the ties they have in the drawing, most first (then by id), and the edges by the rank of
    their later node, then of their earlier one: a prefix of the edges holds every tie among a prefix of the
    nodes before any other."""
    ties = {node.id: 0 for node in nodes}
    for edge in edges:
        ties[edge.source] += 1
        ties[edge.target] += 1
    order = sorted(nodes, key=lambda node: (-ties[node.id], node.id))
    rank = {node.id: i for i, node in enumerate(order)}

    def later_first(edge: r.Edge) -> tuple[int, int]:
        a, b = rank[edge.source], rank[edge.target]
        return max(a, b), min(a, b)

    return order, sorted(edges, key=later_first)


@strawberry.type(description="The member network for drawing, the most connected nodes first.")
class MemberNetwork:
    node_count: int = strawberry.field(
        description="Nodes of the whole network: every member and the top outside partners."
    )
    edge_count: int = strawberry.field(description="Edges of the whole network.")
    ranked_nodes: strawberry.Private[list[r.Node]]
    ranked_edges: strawberry.Private[list[r.Edge]]

    @strawberry.field(
        description="The nodes, those with the most ties in the network first, `limit` at a time: the "
        "next page is the one `after` the last node's id; fewer than `nodeCount` in all: the drawing is cut."
    )
    def nodes(
        self, info: Ctx, limit: int = FULL_PAGE, after: strawberry.ID | None = None
    ) -> list[NetworkNode]:
        check_page_size(limit, info.context.settings.api_max_page_size, "limit")
        page = page_after(self.ranked_nodes, limit, after, lambda node: node.id, "node", "network")
        return [NetworkNode(**vars(n)) for n in page]

    @strawberry.field(
        description="The edges, `limit` at a time: every tie among the first n `nodes` comes before any tie "
        "to a node past them; the next page is the one `after` the last edge's id; fewer than `edgeCount` in "
        "all: the drawing is cut."
    )
    def edges(
        self, info: Ctx, limit: int = FULL_PAGE, after: strawberry.ID | None = None
    ) -> list[NetworkEdge]:
        check_page_size(limit, info.context.settings.api_max_page_size, "limit")
        page = page_after(self.ranked_edges, limit, after, edge_id, "edge", "network")
        return [NetworkEdge(id=strawberry.ID(edge_id(e)), **vars(e)) for e in page]

    @classmethod
    def of(cls, nodes: list[r.Node], edges: list[r.Edge]) -> MemberNetwork:
        ranked_nodes, ranked_edges = ranked(nodes, edges)
        return cls(
            node_count=len(nodes), edge_count=len(edges), ranked_nodes=ranked_nodes, ranked_edges=ranked_edges
        )
