"""The member network drawn as SVG on the server, one renderer for the dashboard and the shared report.

The layout is computed here (igraph's Fruchterman–Reingold, started from a circle so the same graph always
gets the same drawing); members without a tie to another member are lined up under the drawing instead of
being flung to its edges, so isolates are easy to find. Members are coloured by role, brokers wear a black
ring and isolates a dashed red one, outside partners are grey. Each node carries its name as a ``<title>``
(hover, and its name to assistive technology) and a label shown on hover. On the dashboard it links to the
organization's page, and the label shows when the link has the keyboard focus; in the report, which links
nowhere, a node takes no focus: a Tab stop there would lead nowhere, and the members table lists them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import igraph

from matching.insights.result import Edge, Node
from schema.graph_model import Role

ROLE_COLOURS = {
    Role.FIRM.value: "#0072b2",
    Role.VENDOR.value: "#e69f00",
    Role.UNIVERSITY.value: "#009e73",
    Role.RESEARCH_INSTITUTE.value: "#56b4e9",
    Role.KNOWLEDGE_BROKER.value: "#cc79a7",
    Role.CLUSTER_ORGANIZATION.value: "#d55e00",
    Role.PUBLIC_BODY.value: "#8c7a00",
    Role.OTHER.value: "#6b4c9a",
}
"""Okabe–Ito colours (told apart with the common colour-vision deficiencies), one per role."""
OUTSIDE_COLOUR = "#b5b5b5"
WIDTH = 1000.0
MARGIN = 30.0
ISOLATE_ROW = 34.0
"""Height of one row of isolates under the drawing."""
NAMED_ISOLATES = 24
"""Up to this many isolates stand with their names shown, four to a row; more stand closer, named on hover."""
ISOLATE_SLOT = 240.0
"""The width of a named isolate's place in its row, its dot and its name."""
ISOLATE_LABEL = 26
"""The letters of an isolate's name shown in its row, a cut one ending in "…": a 13 px letter takes about 8
units of the drawing's 1,000, and the 30 letters of "Architekturbüro Heindl ZT GmbH" ran into the next
isolate's dot. The whole name is the node's title (hover, screen readers) and in the Members table."""
GRID_FROM = 200
"""From this many connected nodes on, the layout uses igraph's grid approximation of the repulsion."""
LABELLED_BROKERS = 5
"""The best brokers keep their name shown; everyone else's shows on hover or focus."""


@dataclass(frozen=True)
class PlacedNode:
    """A node with its place and size in the drawing."""

    node: Node
    x: float
    y: float
    r: float
    colour: str
    labelled: bool
    label: str
    """The name as written beside the node: cut to :data:`ISOLATE_LABEL` letters in the isolates' rows."""


@dataclass(frozen=True)
class Drawing:
    """What the template draws: the view box, the placed nodes and the edges as coordinates."""

    width: float
    height: float
    nodes: list[PlacedNode]
    edges: list[tuple[float, float, float, float, bool]]
    """(x1, y1, x2, y2, outside) per edge."""
    isolates_from: float | None
    """The y where the isolates' rows start (None: no isolate)."""


def radius(node: Node, members: int) -> float:
    """Bigger for more ties, smaller when there are many members (500 must fit a page)."""
    base = 7.0 if members < 60 else 5.0 if members < 200 else 3.5
    return min(base * (1 + 0.4 * math.sqrt(node.degree)), 3 * base)


def _layout(connected: list[Node], edges: list[Edge], size: float) -> dict[str, tuple[float, float]]:
    """Fruchterman–Reingold positions of the connected nodes, scaled into a ``size`` square."""
    if not connected:
        return {}
    index = {node.id: i for i, node in enumerate(connected)}
    graph = igraph.Graph(
        n=len(connected),
        edges=[(index[e.source], index[e.target]) for e in edges if e.source in index and e.target in index],
    )
    start = [
        [math.cos(2 * math.pi * i / len(connected)), math.sin(2 * math.pi * i / len(connected))]
        for i in index.values()
    ]
    # The grid variant approximates far repulsion: half the time at a few hundred nodes, same picture.
    coords = graph.layout_fruchterman_reingold(seed=start, niter=500, grid=len(connected) > GRID_FROM).coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    return {
        node.id: (
            MARGIN + (coords[i][0] - min(xs)) / span * (size - 2 * MARGIN),
            MARGIN + (coords[i][1] - min(ys)) / span * (size - 2 * MARGIN),
        )
        for node, i in ((node, index[node.id]) for node in connected)
    }


def draw(nodes: list[Node], edges: list[Edge]) -> Drawing:
    """Place every node: connected ones by force layout, isolates in rows underneath."""
    members = sum(1 for node in nodes if not node.outside)
    linked = {e.source for e in edges} | {e.target for e in edges}
    connected = [node for node in nodes if node.id in linked]
    alone = [node for node in nodes if node.id not in linked]
    size = WIDTH * (0.7 if len(connected) < 40 else 0.8)  # room on the right for the labels
    places = _layout(connected, edges, size)
    named = len(alone) <= NAMED_ISOLATES
    slot = ISOLATE_SLOT if named else 40.0
    per_row = max(1, int((WIDTH - 2 * MARGIN) // slot))
    top = (max((y for _, y in places.values()), default=0.0) + 2 * MARGIN) if alone else None
    for i, node in enumerate(alone):
        places[node.id] = (MARGIN + 20 + (i % per_row) * slot, (top or 0.0) + (i // per_row) * ISOLATE_ROW)
    brokers = sorted((n for n in nodes if n.broker), key=lambda n: -n.betweenness)[:LABELLED_BROKERS]
    shown = {n.id for n in brokers} | ({n.id for n in alone} if named else set())
    placed = [
        PlacedNode(
            node=node,
            x=_rounded(places[node.id])[0],
            y=_rounded(places[node.id])[1],
            r=round(radius(node, members), 1),
            colour=OUTSIDE_COLOUR if node.outside else ROLE_COLOURS.get(node.role, ROLE_COLOURS["other"]),
            labelled=node.id in shown,
            label=_cut(node.name) if named and node.id not in linked else node.name,
        )
        for node in nodes
    ]
    lines = [
        (*_rounded(places[e.source]), *_rounded(places[e.target]), e.outside)
        for e in edges
        if e.source in places and e.target in places
    ]
    height = max((y for _, y in places.values()), default=0.0) + 2 * MARGIN
    return Drawing(WIDTH, round(height, 1), placed, lines, top)


def _cut(name: str) -> str:
    return name if len(name) <= ISOLATE_LABEL else name[: ISOLATE_LABEL - 1].rstrip() + "…"


def _rounded(point: tuple[float, float]) -> tuple[float, float]:
    return round(point[0], 1), round(point[1], 1)
