"""An organization's partners, a page at a time: a region's hub has hundreds of collaborations, and its page
lists :data:`PAGE` of them, says how many there are in all and links to the pages before and after
(``/organizations/ID?partners=2``), each page one bounded query (``graph.queries.web.PARTNERS_PAGE``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from graph.db import AsyncGraph
from graph.queries import web as q
from schema.errors import InvalidInput, echo

PAGE = 50
"""Partners on one page of an organization's profile."""
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
"""A page number from 1, short enough that the rows it skips fit the database's integers."""


@dataclass(frozen=True)
class Partners:
    """One page of an organization's collaborations, strongest first, and how many it has in all."""

    rows: list[dict[str, Any]]
    total: int
    page: int

    size: int = PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first(self) -> int:
        """The number of the page's first row, counting from 1."""
        return (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def page_number(text: str) -> int:
    """The page ``?partners=`` asks for: a whole number from 1; none, the first."""
    if not text.strip():
        return 1
    if not PAGE_NUMBER.fullmatch(text.strip()):
        raise InvalidInput(f"the page of partners must be a whole number from 1, not {echo(text)}")
    return int(text)


async def partners(graph: AsyncGraph, organization_id: str, page: int) -> Partners:
    """Page ``page`` of the organization's partners (empty past the last one)."""
    rows = await graph.run(q.PARTNERS_PAGE, id=organization_id, skip=(page - 1) * PAGE, limit=PAGE)
    if not rows:  # deleted since its profile was read
        return Partners([], 0, page)
    return Partners(rows[0]["partners"], rows[0]["total"], page)
