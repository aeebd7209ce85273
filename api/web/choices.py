"""The search form's choices (regions and towns), read at most once a minute.

The search page is the one page that needs no key, and its choices come from a scan of every organization:
on a graph of 100,000 organizations each load cost about 150 ms of the server's time, and anyone could ask
for it as often as they liked. The choices change only when a registry is loaded, so they are kept for
:data:`KEEP_SECONDS`, and one read at a time fetches them again.

A page waits for that read a limited time, and the read goes on when the page stops waiting: it ends in
choices kept for the next load, or in the driver's verdict that Neo4j is gone, which marks it down
(``api.availability``) so the next load says so at once. A page that finds a read already past its time
waits for it no longer. On a loaded machine the driver's retries outlast the first page's wait: were the
read dropped with that page, each load after it would wait the full time again, starting a read of its own
that finds out nothing either. A timeout alone never marks Neo4j down: a merely slow database keeps its
users.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from api.availability import Availability
from graph.db import AsyncGraph
from graph.queries import web as q
from schema.errors import GraphUnavailable

KEEP_SECONDS = 60.0
"""How long the choices are kept: a town loaded by a registry is offered at most this much later."""

Choices = dict[str, list[Any]]


class SearchChoices:
    """The form's regions (countries and regions first, by name) and towns, read through ``graph``."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS) -> None:
        self.keep_seconds = keep_seconds
        self._value: Choices | None = None
        self._read_at = 0.0
        self._reading: asyncio.Task[Choices] | None = None
        self._reading_since = 0.0

    async def get(self, graph: AsyncGraph, wait_seconds: float, availability: Availability) -> Choices:
        """The choices, read again when stale; :class:`TimeoutError` once the read under way has taken
        ``wait_seconds`` (at once when it already has).

        Stale choices are not asked for while ``availability`` knows Neo4j down (``GraphUnavailable`` at
        once): each read would wait out the driver's retries (1.6 s with the default
        ``api_graph_retry_seconds``) before the page could say that the database is gone."""
        if self._fresh():
            assert self._value is not None
            return self._value
        availability.check()
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self._read(graph, availability))
            self._reading.add_done_callback(_told)
            self._reading_since = time.monotonic()
        left = self._reading_since + wait_seconds - time.monotonic()
        if left <= 0:
            raise TimeoutError
        # Shielded: the page stops waiting, the read goes on.
        return await asyncio.wait_for(asyncio.shield(self._reading), left)

    async def _read(self, graph: AsyncGraph, availability: Availability) -> Choices:
        try:
            rows = await graph.run(q.SEARCH_CHOICES)
        except GraphUnavailable:
            availability.lost()  # the driver's verdict, which no page may have waited for
            raise
        row = rows[0] if rows else {"regions": [], "towns": []}
        self._value = {
            "regions": sorted(row["regions"], key=lambda r: (r["level"] != "country", r["name"])),
            "towns": sorted(row["towns"]),
        }
        self._read_at = time.monotonic()
        return self._value

    def _fresh(self) -> bool:
        return self._value is not None and time.monotonic() - self._read_at < self.keep_seconds


def _told(read: asyncio.Task[Choices]) -> None:
    """Take a read's failure from it, so that asyncio does not report one that no page waited for as "never
    retrieved": the pages that wait for a read show its failure and log it (``api.web.access``), and Neo4j
    gone is told by ``api.availability``."""
    if not read.cancelled():
        read.exception()
