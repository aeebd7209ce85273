"""The member network drawn as SVG on the server, one renderer for the dashboard and the shared report.

The layout is computed here (igraph's Fruchterman–Reingold, started from a circle and nudged by a seeded
generator, so the same graph always gets the same drawing); members without a tie to another member are lined
up under the drawing instead of being flung to its edges, so isolates are easy to find. Members are coloured
and shaped by role, brokers wear a black ring and isolates a dashed red one, outside partners are hollow and
grey. Each node carries its name as a ``<title>`` (hover, and its name to assistive technology) and a label
shown on hover; the best brokers' labels always show, each where it covers no other shown name and no mark
(``api.web.labels``). On the dashboard it links to the organization's page, and the label shows when the link
has the keyboard focus; in the report, which links nowhere, a node takes no focus: a Tab stop there would lead
nowhere, and the members table lists them all.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

import igraph

from api.web.labels import Label, beside, place
from matching.insights.result import Edge, Node
from schema.graph_model import Role

ROLE_COLOURS = {
    Role.FIRM.value: "#0072b2",
    Role.VENDOR.value: "#9a6700",
    Role.UNIVERSITY.value: "#009e73",
    Role.RESEARCH_INSTITUTE.value: "#007c99",
    Role.KNOWLEDGE_BROKER.value: "#b8408f",
    Role.CLUSTER_ORGANIZATION.value: "#d55e00",
    Role.PUBLIC_BODY.value: "#8c7a00",
    Role.OTHER.value: "#6b4c9a",
}
"""One colour per role, the Okabe–Ito hues (told apart with the common colour-vision deficiencies) darkened
where they stood below 3:1 against the white drawing (WCAG's least for a graphic that carries meaning): the
orange, sky blue and pink read 2.3, 2.3 and 3.1, now 4.9, 4.8 and 5.0."""
OUTSIDE_COLOUR = "#767676"
"""Outside partners' outline (4.5:1 on white): they are drawn hollow, in their role's shape."""
ROLE_SHAPES = {
    Role.FIRM.value: "circle",
    Role.VENDOR.value: "square",
    Role.UNIVERSITY.value: "triangle",
    Role.RESEARCH_INSTITUTE.value: "triangle-down",
    Role.KNOWLEDGE_BROKER.value: "diamond",
    Role.CLUSTER_ORGANIZATION.value: "star",
    Role.PUBLIC_BODY.value: "plus",
    Role.OTHER.value: "hexagon",
}
"""One shape per role, so that colour is not the only cue to a member's kind (a reader who cannot tell two
colours apart, a grey print of the report), the same in the drawing and in its legend."""
_STAR = [(1.3 if i % 2 == 0 else 0.55, math.pi * (i / 5 - 0.5)) for i in range(10)]
_HEXAGON = [(1.1, math.pi * (i / 3 - 0.5)) for i in range(6)]
_OUTLINES: dict[str, list[tuple[float, float]]] = {
    "square": [(-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)],
    "triangle": [(0.0, -1.25), (1.1, 0.7), (-1.1, 0.7)],
    "triangle-down": [(0.0, 1.25), (1.1, -0.7), (-1.1, -0.7)],
    "diamond": [(0.0, -1.25), (1.25, 0.0), (0.0, 1.25), (-1.25, 0.0)],
    "star": [(r * math.cos(a), r * math.sin(a)) for r, a in _STAR],
    "plus": [
        (-0.4, -1.15),
        (0.4, -1.15),
        (0.4, -0.4),
        (1.15, -0.4),
        (1.15, 0.4),
        (0.4, 0.4),
        (0.4, 1.15),
        (-0.4, 1.15),
        (-0.4, 0.4),
        (-1.15, 0.4),
        (-1.15, -0.4),
        (-0.4, -0.4),
    ],  # fmt: skip
    "hexagon": [(r * math.cos(a), r * math.sin(a)) for r, a in _HEXAGON],
}


def _as_large_as_a_circle(corners: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``corners`` scaled to a circle's area (the shoelace formula)."""
    pairs = zip(corners, corners[1:] + corners[:1], strict=True)
    area = abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)) / 2
    scale = math.sqrt(math.pi / area)
    return [(dx * scale, dy * scale) for dx, dy in corners]


CORNERS = {shape: _as_large_as_a_circle(corners) for shape, corners in _OUTLINES.items()}
"""Each shape's corners around its centre, in radii, scaled to a circle's area, so that no kind of member
looks smaller than another of the same ties: the triangles and the star, outlined at two thirds of it, looked
it. Their points reach further: the star's 1.6 radii."""
REACH = {shape: max(math.hypot(dx, dy) for dx, dy in corners) for shape, corners in CORNERS.items()}
"""How far each shape reaches from its centre, in radii (a circle: 1)."""


def shape_path(shape: str, x: float, y: float, r: float) -> str:
    """The SVG path of ``shape`` (:data:`ROLE_SHAPES`) centred on (x, y), ``r`` the size of a circle's
    radius."""
    if shape not in CORNERS:  # a circle
        arc = f"a{r:.1f},{r:.1f} 0 1,0"
        return f"M{x - r:.1f},{y:.1f}{arc} {2 * r:.1f},0{arc} {-2 * r:.1f},0Z"
    return "M" + "L".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in CORNERS[shape]) + "Z"


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
HEADING = 18.0
"""How far above the isolates' first row their heading's baseline stands."""
HEADING_SIZE = 14.0
"""The heading's font size; the brokers' names stay above it."""


@dataclass(frozen=True)
class PlacedNode:
    """A node with its place and size in the drawing."""

    node: Node
    x: float
    y: float
    r: float
    colour: str
    shape: str
    """Its role's shape (:data:`ROLE_SHAPES`)."""
    mark: str
    """The SVG path of that shape."""
    ring: float | None
    """The radius of a broker's or an isolate's ring (None: the node wears none)."""
    labelled: bool
    label: str
    """The name as written beside the node: cut to :data:`ISOLATE_LABEL` letters in the isolates' rows."""
    text: Label
    """Where the name is written: the brokers' where no other shown name or mark is (:mod:`api.web.labels`),
    everyone else's to the right of the node."""


@dataclass(frozen=True)
class Drawing:
    """What the template draws: the view box, the placed nodes and the edges as coordinates."""

    width: float
    height: float
    nodes: list[PlacedNode]
    edges: list[tuple[float, float, float, float, bool]]
    """(x1, y1, x2, y2, outside) per edge."""
    heading: float | None
    """The baseline of the heading over the isolates' rows (None: no isolate)."""


def radius(node: Node, members: int) -> float:
    """Bigger for more ties, smaller when there are many members (500 must fit a page)."""
    base = 7.0 if members < 60 else 5.0 if members < 200 else 3.5
    return min(base * (1 + 0.4 * math.sqrt(node.degree)), 3 * base)


_RANDOM = threading.Lock()
"""Held while a layout draws from igraph's random number generator (:func:`_layout`)."""


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
    # igraph's Fruchterman–Reingold nudges each move by a random hair, which from the circle's symmetry
    # turned the same cluster's drawing upside down from one page to the next: it draws from a generator
    # seeded the same each time, one layout at a time since igraph's generator is the process's.
    with _RANDOM:
        igraph.set_random_number_generator(random.Random(0))
        try:
            # The grid variant approximates far repulsion: half the time at a few hundred nodes, same picture.
            coords = graph.layout_fruchterman_reingold(
                seed=start, niter=500, grid=len(connected) > GRID_FROM
            ).coords
        finally:
            igraph.set_random_number_generator(random)
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
    points = {node.id: _rounded(places[node.id]) for node in nodes}
    sizes = {node.id: round(radius(node, members), 1) for node in nodes}
    shapes = {node.id: ROLE_SHAPES.get(node.role, ROLE_SHAPES["other"]) for node in nodes}
    tips = {node.id: sizes[node.id] * REACH.get(shapes[node.id], 1.0) for node in nodes}
    # A ring stands 2 units outside its mark's tips; a mark's hover outline reaches 1.5 further.
    rings = {n.id: round(max(sizes[n.id] * 1.3, tips[n.id]) + 2, 1) for n in nodes if n.broker or n.isolate}
    reach = {n.id: rings[n.id] + 1.25 if n.id in rings else tips[n.id] + 1.5 for n in nodes}
    height = round(max((y for _, y in places.values()), default=0.0) + 2 * MARGIN, 1)
    heading = None if top is None else top - HEADING
    marks = [
        (x - reach[id_], y - reach[id_], x + reach[id_], y + reach[id_]) for id_, (x, y) in points.items()
    ]
    fixed = place(
        [(*points[n.id], reach[n.id], n.name) for n in brokers],
        marks,
        (0.0, 0.0, WIDTH, height if heading is None else heading - HEADING_SIZE - 2),
    )
    labels = dict(zip((n.id for n in brokers), fixed, strict=True))
    placed = []
    for node in nodes:
        label = _cut(node.name) if named and node.id not in linked else node.name
        placed.append(
            PlacedNode(
                node=node,
                x=points[node.id][0],
                y=points[node.id][1],
                r=sizes[node.id],
                ring=rings.get(node.id),
                colour=OUTSIDE_COLOUR if node.outside else ROLE_COLOURS.get(node.role, ROLE_COLOURS["other"]),
                shape=shapes[node.id],
                mark=shape_path(shapes[node.id], *points[node.id], sizes[node.id]),
                labelled=node.id in shown,
                label=label,
                text=labels.get(node.id) or beside(*points[node.id], reach[node.id], label),
            )
        )
    lines = [
        (*points[e.source], *points[e.target], e.outside)
        for e in edges
        if e.source in places and e.target in places
    ]
    return Drawing(WIDTH, height, placed, lines, heading)


def _cut(name: str) -> str:
    return name if len(name) <= ISOLATE_LABEL else name[: ISOLATE_LABEL - 1].rstrip() + "…"


def _rounded(point: tuple[float, float]) -> tuple[float, float]:
    return round(point[0], 1), round(point[1], 1)
