"""Where the network drawing writes the names it always shows, so that none covers another, a node's mark,
or runs past the drawing's edge.

The names are SVG text drawn on the server, so their extents are estimated here, not measured: each letter
is given at least its advance in DejaVu Sans (the sans-serif a Debian browser falls back to, and among the
widest), by class of letter. A name tries the places around its node in a fixed order (right, left, above,
below, then the four diagonals), first close to the node and then a ring further out each time, and takes
the first that is free; one standing off its node is tied to it by a leader line. Where no place is free (a
name wider than the room left), the name still shows, at the place that covers the least: out of the
drawing first, then other names, then marks. The same nodes in the same order always get the same places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Box = tuple[float, float, float, float]
"""left, top, right, bottom in the drawing's units."""

FONT_SIZE = 13.0
"""The names' size in the drawing's units (``.network .node text`` in ``style.css``)."""
HALO = 2.0
"""Half the white outline painted around each letter (its 4 px stroke), which keeps names apart too."""
ASCENT = 0.95 * FONT_SIZE
"""How far a line of DejaVu Sans rises above its baseline (0.93 em) and falls below it (0.24 em)."""
DESCENT = 0.25 * FONT_SIZE
HEIGHT = ASCENT + DESCENT + 2 * HALO
"""A name's box from top to bottom, its halo included."""
GAP = 1.0
"""Room between a node's reach and its name's box."""
RINGS = 10
"""How many times a name tries its places, each ring :data:`STEP` further from its node."""
STEP = HEIGHT / 2
"""Half a line: far enough to clear what covered a place, near enough to stay by the node."""
_NARROW = set(" fijlrtI.,:;'!|()[]-/")
_WIDE = set("mwMW@%&…—")
DIRECTIONS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (1, 1), (-1, -1), (-1, 1))
"""right, left, above, below, then the diagonals: the order in which a name tries its places."""
ANCHORS = {1: "start", -1: "end", 0: "middle"}
"""The SVG ``text-anchor`` of a name to the right of its node, to its left, above or below it."""


def width(text: str, size: float = FONT_SIZE) -> float:
    """An upper bound of ``text``'s width at ``size``: DejaVu Sans' advances are at most 0.42 em for the
    narrow letters and the space, 0.65 em for lower case and digits, 0.8 em for capitals and 1 em for
    "m", "w" and the like."""
    return (
        sum(0.42 if c in _NARROW else 1.0 if c in _WIDE else 0.8 if c.isupper() else 0.65 for c in text)
        * size
    )


@dataclass(frozen=True)
class Label:
    """Where a name is written: its text's anchor point and baseline, the SVG ``text-anchor``, the box it
    covers, and a leader line (x1, y1, x2, y2) from its node when it stands off it."""

    x: float
    y: float
    anchor: str
    box: Box
    leader: tuple[float, float, float, float] | None = None


def _at(x: float, y: float, reach: float, wide: float, direction: tuple[int, int], ring: int) -> Label:
    """A name ``wide`` across, ``ring`` rings off the node at (x, y) that reaches ``reach``, in
    ``direction``."""
    dx, dy = direction
    off = reach + GAP + ring * STEP
    left = x + off if dx > 0 else x - off - wide if dx < 0 else x - wide / 2
    top = y + off if dy > 0 else y - off - HEIGHT if dy < 0 else y - HEIGHT / 2
    box = (round(left, 1), round(top, 1), round(left + wide, 1), round(top + HEIGHT, 1))
    text_x = left + wide / 2 - dx * (wide / 2 - HALO)
    leader = _leader(x, y, reach, box) if ring else None
    return Label(round(text_x, 1), round(top + HALO + ASCENT, 1), ANCHORS[dx], box, leader)


def _leader(x: float, y: float, reach: float, box: Box) -> tuple[float, float, float, float]:
    """A line from the node's reach to the nearest point of ``box``."""
    near_x, near_y = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
    length = max(((near_x - x) ** 2 + (near_y - y) ** 2) ** 0.5, 1e-9)
    start = (x + (near_x - x) / length * reach, y + (near_y - y) / length * reach)
    return (round(start[0], 1), round(start[1], 1), round(near_x, 1), round(near_y, 1))


def beside(x: float, y: float, reach: float, text: str) -> Label:
    """The name to the right of its node: a name shown on hover, or an isolate's in its row."""
    return _at(x, y, reach, width(text) + 2 * HALO, (1, 0), 0)


def place(
    wanted: Sequence[tuple[float, float, float, str]], marks: Sequence[Box], bounds: Box
) -> list[Label]:
    """A place for each name of ``wanted`` (x, y, reach of its node, name), in that order, each at the first
    of its places that covers no name placed before it, no mark of ``marks`` and nothing outside
    ``bounds``."""
    placed: list[Label] = []
    covered = np.array(marks, dtype=float).reshape(-1, 4)
    for x, y, reach, text in wanted:
        wide = width(text) + 2 * HALO
        tried = [_at(x, y, reach, wide, d, ring) for ring in range(RINGS) for d in DIRECTIONS]
        boxes = np.array([label.box for label in tried])
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        outside = area - _overlap(boxes, np.array([bounds]))
        over_names = _overlap(boxes, np.array([label.box for label in placed]).reshape(-1, 4))
        # The least covered, the first of those: the first free place where there is one.
        best = int(np.lexsort((_overlap(boxes, covered), over_names, outside))[0])
        placed.append(tried[best])
    return placed


def _overlap(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For each of ``boxes``, the area it shares with all of ``others`` (nothing where they only touch)."""
    across = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(
        boxes[:, None, 0], others[None, :, 0]
    )
    down = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(
        boxes[:, None, 1], others[None, :, 1]
    )
    return (np.clip(across, 0, None) * np.clip(down, 0, None)).sum(axis=1)
