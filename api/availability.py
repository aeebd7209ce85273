"""Whether the graph answers, so that requests fail at once while it does not.

The first query to find Neo4j gone marks the graph down (:meth:`Availability.lost`); from then on every
request that needs the graph is answered 503 at once (``UNAVAILABLE``, with ``Retry-After``) instead of
waiting out the driver's retries and the request deadline, and a probe asks Neo4j every
``probe_seconds`` until it answers again. API keys are still checked meanwhile, against the keys read while
the graph was up (``api.auth.KeyCache``), so a wrong key is still told 401.
"""

from __future__ import annotations

import asyncio
import logging
import time

from graph.db import AsyncGraph
from graph.queries import api as q
from schema.errors import GraphError, GraphUnavailable

log = logging.getLogger(__name__)


class Availability:
    def __init__(self, graph: AsyncGraph, probe_seconds: float) -> None:
        self.graph = graph
        self.probe_seconds = probe_seconds
        self.down_since: float | None = None
        self._probe: asyncio.Task[None] | None = None

    @property
    def up(self) -> bool:
        return self.down_since is None

    def check(self) -> None:
        """Raise :class:`GraphUnavailable` while the graph is down."""
        if self.down_since is not None:
            raise GraphUnavailable(
                f"Neo4j has not answered for {time.monotonic() - self.down_since:.0f} s; try again shortly"
            )

    def lost(self) -> None:
        """A query found Neo4j gone: mark the graph down and start probing (once)."""
        if self.down_since is None:
            log.warning("Neo4j does not answer; requests get 503 until it does")
            self.down_since = time.monotonic()
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._until_answered())

    async def _until_answered(self) -> None:
        while self.down_since is not None:
            await asyncio.sleep(self.probe_seconds)
            try:
                await self.graph.run(q.PING)
            except GraphError:
                continue
            log.warning("Neo4j answers again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
