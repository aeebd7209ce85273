"""The search form's choices (regions and towns), read at most once a minute.

The search page is the one page that needs no key, and its choices come from a scan of every organization:
on a graph of 100,000 organizations each load cost about 150 ms of the server's time, and anyone could ask
for it as often as they liked. The choices change only when a registry is loaded, so they are kept for
:data:`KEEP_SECONDS`, and requests that find them stale meanwhile wait for the one read under way.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from api.availability import Availability
from graph.db import AsyncGraph
from graph.queries import web as q

KEEP_SECONDS = 60.0
"""How long the choices are kept: a town loaded by a registry is offered at most this much later."""


class SearchChoices:
    """The form's regions (countries and regions first, by name) and towns, read through ``graph``."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS) -> None:
        self.keep_seconds = keep_seconds
        self._lock = anyio.Lock()
        self._value: dict[str, list[Any]] | None = None
        self._read_at = 0.0

    async def get(
        self, graph: AsyncGraph, wait_seconds: float, availability: Availability
    ) -> dict[str, list[Any]]:
        """The choices, read again when stale; :class:`TimeoutError` after ``wait_seconds`` without them.

        Stale choices are not asked for while ``availability`` knows Neo4j down (``GraphUnavailable`` at
        once): each read would wait out the driver's retries (1.6 s with the default
        ``api_graph_retry_seconds``) before the page could say that the database is gone."""
        if self._fresh():
            assert self._value is not None
            return self._value
        availability.check()
        with anyio.fail_after(wait_seconds):
            return await self._read(graph)

    async def _read(self, graph: AsyncGraph) -> dict[str, list[Any]]:
        async with self._lock:
            if not self._fresh():  # another request may have read them while this one waited
                rows = await graph.run(q.SEARCH_CHOICES)
                row = rows[0] if rows else {"regions": [], "towns": []}
                self._value = {
                    "regions": sorted(row["regions"], key=lambda r: (r["level"] != "country", r["name"])),
                    "towns": sorted(row["towns"]),
                }
                self._read_at = time.monotonic()
            assert self._value is not None
            return self._value

    def _fresh(self) -> bool:
        return self._value is not None and time.monotonic() - self._read_at < self.keep_seconds
