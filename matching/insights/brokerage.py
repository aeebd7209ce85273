"""Gould–Fernandez brokerage roles of a member, on the undirected member network.

A member ``b`` brokers between two of its partners ``a`` and ``c`` that have no tie of their own (the open
two-path ``a - b - c``). Gould and Fernandez (1989) name the brokerage by the groups of the three: here the
groups are the Leiden communities (or the members' roles). On undirected ties the gatekeeper and the
representative (which differ only in the direction of flow) are one role, ``gatekeeper``:

- ``coordinator``: all three in one group (brokerage inside a group);
- ``itinerant``: ``a`` and ``c`` in one group, ``b`` in another (an outsider connects a group's members);
- ``gatekeeper``: ``b`` shares its group with exactly one of ``a`` and ``c`` (it opens its group to another);
- ``liaison``: three different groups (it joins groups it belongs to neither).

igraph has no brokerage function (R's ``sna::brokerage`` has one); the count is a walk over each broker's
pairs of partners, done for the few top brokers only, so its cost is their squared degree.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import igraph as ig

ROLES = ("coordinator", "itinerant", "gatekeeper", "liaison")


def role_of(group_a: Any, group_b: Any, group_c: Any) -> str:
    """The Gould–Fernandez role of broker ``b`` on the open two-path ``a - b - c`` (undirected)."""
    if group_a == group_c:
        return "coordinator" if group_b == group_a else "itinerant"
    if group_b in (group_a, group_c):
        return "gatekeeper"
    return "liaison"


def brokerage(graph: ig.Graph, vertex: int, groups: Sequence[Any]) -> dict[str, int]:
    """How many open two-paths through ``vertex`` fall in each role, with ``groups`` per vertex (a vertex
    whose group is None is a group of its own)."""
    counts = dict.fromkeys(ROLES, 0)
    partners = sorted(set(graph.neighbors(vertex)))
    adjacent = {v: set(graph.neighbors(v)) for v in partners}

    def group(v: int) -> Any:
        return ("alone", v) if groups[v] is None else groups[v]

    for a, c in combinations(partners, 2):
        if c not in adjacent[a]:
            counts[role_of(group(a), group(vertex), group(c))] += 1
    return counts
