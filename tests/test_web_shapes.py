"""Each kind of member is drawn in a shape of its own (``api.web.network.ROLE_SHAPES``), all of the same area
at the same radius: the triangles and the star, outlined at two thirds of a circle's area, looked smaller
than the circles, squares and diamonds of members with as many ties."""

from __future__ import annotations

import math
import re

import pytest

from api.web.network import CORNERS, ROLE_SHAPES, draw
from matching.insights.result import Edge, Node
from schema.graph_model import Role


@pytest.mark.parametrize("shape", sorted(CORNERS))
def test_every_shape_has_a_circles_area(shape: str) -> None:
    corners = CORNERS[shape]
    pairs = zip(corners, corners[1:] + corners[:1], strict=True)
    area = abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)) / 2
    assert area == pytest.approx(math.pi, rel=0.01), (shape, area)


def test_a_brokers_ring_goes_round_its_marks_tips() -> None:
    """A broker of each kind, tied to the next: its ring stands outside every corner of its mark."""
    roles = [role.value for role in Role]
    nodes = [Node(id=role, name=role, role=role, broker=True, degree=2, betweenness=1.0) for role in roles]
    drawing = draw(nodes, [Edge(a, b) for a, b in zip(roles, roles[1:], strict=False)])
    for p in drawing.nodes:
        assert p.shape == ROLE_SHAPES[p.node.role] and p.ring is not None
        corners = [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", p.mark)]
        tips = max(math.hypot(x - p.x, y - p.y) for x, y in corners) if p.shape != "circle" else p.r
        assert tips + 1.5 <= p.ring, (p.shape, tips, p.ring)
