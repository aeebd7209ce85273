"""The member network's figures, computed by python-igraph (centralities, components, k-cores) and leidenalg
(communities): C code that takes milliseconds where networkx takes seconds for the betweenness of a
2,000-member cluster (``docs/insights.md``).

Members are the nodes; any collaboration between two members is one undirected edge, however many kinds of
link the pair has.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import leidenalg

LEIDEN_SEED = 42
"""Leiden is randomized; a fixed seed gives the same communities on the same network every time."""


@dataclass
class Network:
    """The network and its per-member figures, in the order of ``ids``."""

    ids: list[str]
    graph: ig.Graph
    degree: list[int]
    betweenness: list[float]
    """Normalized: the share of shortest paths between other members' pairs that pass through the member,
    ``2 b / ((n - 1)(n - 2))`` for an undirected network."""
    community: list[int | None]
    """Community number (0 is the largest); None for an isolate, which forms no community."""
    coreness: list[int]
    modularity: float
    max_core: int
    """k of the densest k-core (0 without an edge)."""

    @property
    def members(self) -> int:
        return len(self.ids)

    @property
    def edges(self) -> int:
        return int(self.graph.ecount())

    @property
    def density(self) -> float:
        """``2m / (n (n - 1))``: the share of possible member pairs that collaborate (0 below two members)."""
        n = self.members
        return 2 * self.edges / (n * (n - 1)) if n > 1 else 0.0

    @property
    def average_degree(self) -> float:
        return 2 * self.edges / self.members if self.members else 0.0

    def components(self) -> list[list[int]]:
        """Connected components (isolates each form one), largest first."""
        return sorted((list(c) for c in self.graph.connected_components()), key=lambda c: (-len(c), min(c)))

    def isolated(self, i: int) -> bool:
        return self.degree[i] == 0

    def peripheral(self, i: int) -> bool:
        """Outside the 2-core: connected, but tied to the rest by a tree-like chain, so that removing one tie
        cuts the member off (coreness 1). When the network has no 2-core (it is a forest), every connected
        member would qualify, so only its leaves (degree 1) count."""
        if self.degree[i] == 0:
            return False
        if self.max_core >= 2:
            return self.coreness[i] == 1
        return self.degree[i] == 1


def build(member_ids: list[str], pairs: set[tuple[str, str]]) -> Network:
    """Compute the figures of the network of ``member_ids`` with the undirected ``pairs`` as edges."""
    ids = sorted(member_ids)
    index = {id_: i for i, id_ in enumerate(ids)}
    edges = sorted((index[a], index[b]) for a, b in pairs)
    graph = ig.Graph(n=len(ids), edges=edges, directed=False)
    n = len(ids)
    raw = graph.betweenness(directed=False) if n > 2 else [0.0] * n
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    community, modularity = _communities(graph)
    coreness = [int(c) for c in graph.coreness()]
    return Network(
        ids=ids,
        graph=graph,
        degree=[int(d) for d in graph.degree()],
        betweenness=[b * scale for b in raw],
        community=community,
        coreness=coreness,
        modularity=modularity,
        max_core=max(coreness, default=0),
    )


def _communities(graph: ig.Graph) -> tuple[list[int | None], float]:
    """Leiden communities maximizing modularity, numbered by size (largest 0); isolates get None."""
    if graph.ecount() == 0:
        return [None] * graph.vcount(), 0.0
    partition = leidenalg.find_partition(graph, leidenalg.ModularityVertexPartition, seed=LEIDEN_SEED)
    groups = [sorted(g) for g in partition if len(g) > 1 or graph.degree(g[0]) > 0]
    groups.sort(key=lambda g: (-len(g), g[0]))
    community: list[int | None] = [None] * graph.vcount()
    for number, group in enumerate(groups):
        for vertex in group:
            community[vertex] = number
    return community, float(partition.modularity)


def count_components(member_ids: list[str], pairs: set[tuple[str, str]]) -> int:
    """The number of connected components alone (isolates each one), for the trend's earlier views."""
    index = {id_: i for i, id_ in enumerate(member_ids)}
    graph = ig.Graph(n=len(member_ids), edges=[(index[a], index[b]) for a, b in pairs], directed=False)
    return len(graph.connected_components())
