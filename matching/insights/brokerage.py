"""Gould–Fernandez brokerage roles of a member, on the undirected member network.

A member ``b`` brokers between two of its partners ``a`` and ``c`` that have no tie of their own (the open
two-path ``a - b - c``). Gould and Fernandez (1989) name the brokerage by the groups of the three: here the
groups are the Leiden communities (or the members' roles). On undirected ties the gatekeeper and the
representative (which differ only in the direction of flow) are one role, ``gatekeeper``:

- ``coordinator``: all three in one group (brokerage inside a group);
- ``itinerant``: ``a`` and ``c`` in one group, ``b`` in another (an outsider connects a group's members);
- ``gatekeeper``: ``b`` shares its group with exactly one of ``a`` and ``c`` (it opens its group to another);
- ``liaison``: three different groups (it joins groups it belongs to neither).

igraph has no brokerage function (R's ``sna::brokerage`` has one). The counts come from the partners' group
sizes (every pair of partners, by the groups it joins) less the pairs that are tied themselves (found by
walking the partners' own ties), so a hub of 300 partners costs its partners' degrees, not 45,000 pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import igraph as ig

ROLES = ("coordinator", "itinerant", "gatekeeper", "liaison")


def _pairs_by_role(sizes: Counter[Any], own: Any) -> dict[str, int]:
    """Every pair of partners by the role it gives the broker of group ``own``, from the partners' group
    sizes: pairs inside the broker's group, inside another group, with one end in the broker's group, and
    across two other groups."""
    k = sum(sizes.values())
    mine = sizes.get(own, 0)
    others = k - mine
    same_other = sum(n * (n - 1) // 2 for g, n in sizes.items() if g != own)
    squares_other = sum(n * n for g, n in sizes.items() if g != own)
    return {
        "coordinator": mine * (mine - 1) // 2,
        "itinerant": same_other,
        "gatekeeper": mine * others,
        "liaison": (others * others - squares_other) // 2,
    }


def brokerage(graph: ig.Graph, vertex: int, groups: Sequence[Any]) -> dict[str, int]:
    """How many open two-paths through ``vertex`` fall in each role, with ``groups`` per vertex (a vertex
    whose group is None is a group of its own)."""

    def group(v: int) -> Any:
        return ("alone", v) if groups[v] is None else groups[v]

    partners = set(graph.neighbors(vertex))
    own = group(vertex)
    counts = _pairs_by_role(Counter(group(v) for v in partners), own)
    for a in partners:
        for c in graph.neighbors(a):
            if c > a and c in partners:  # a tied pair of partners: no brokerage between them
                closed = _pairs_by_role(Counter((group(a), group(c))), own)
                for role in ROLES:
                    counts[role] -= closed[role]
    return counts
