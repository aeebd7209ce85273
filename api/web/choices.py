"""The search form's choices (regions and towns) and the places a search may be limited to, read at most
once a minute, and at most once in :data:`REREAD_SECONDS` for a place not among them.

The search page is the one page that needs no key, and its choices come from a scan of every organization:
on a graph of 100,000 organizations each read costs about 215 ms of the server's time
(``bench/bench_choices.py``), and anyone could ask for it as often as they liked. The choices change only
when a registry is loaded, so they are kept for :data:`KEEP_SECONDS`, and one read at a time fetches them
again. A search limited to a place they lack reads them again first (a registry may just have loaded it),
unless they were read in the last :data:`REREAD_SECONDS`: a flood of searches for unknown places then costs
one read in that time, not one each.

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
import math
import time
from dataclasses import dataclass, field
from typing import Any

from api.availability import Availability
from api.web.render import by_name, name_key
from graph.db import AsyncGraph
from graph.queries import web as q
from schema.countries import country_name
from schema.errors import GraphUnavailable

KEEP_SECONDS = 60.0
"""How long the choices are kept: a town loaded by a registry is offered at most this much later."""
REREAD_SECONDS = 10.0
"""How old the choices must be for a search limited to a place they lack to read them again: a place loaded
by a registry is searched at most this much later, and unknown places cost at most one read in this time
(about 215 ms on 100,000 organizations: about 2% of the server's time)."""


@dataclass(frozen=True)
class Choices:
    """What the search form offers, and what a search may be limited to."""

    regions: list[dict[str, Any]] = field(default_factory=list)
    """The form's list: countries and regions (countries first, by label), each with ``id``, ``name`` (the
    value a region filter takes), ``level`` and ``label`` (what the list shows: a country's name for its
    code, :func:`schema.countries.country_name`)."""
    towns: list[str] = field(default_factory=list)
    """The towns offered as a person types (those that have a point)."""
    places: frozenset[str] = frozenset()
    """Every value a region filter matches some organization by (``graph.queries.web.SEARCH_CHOICES``): a
    region of any level, a town's included, by id or name."""
    names: dict[str, str] = field(default_factory=dict)
    """The name of each region some organization is in, by id: an address may name a town by its id
    (``AT/upper-austria/linz``), which the form's list lacks and shows by its name."""


class SearchChoices:
    """The form's choices (:class:`Choices`), read through ``graph``."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS, reread_seconds: float = REREAD_SECONDS) -> None:
        self.keep_seconds = keep_seconds
        self.reread_seconds = reread_seconds
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

    async def places(
        self, place: str, graph: AsyncGraph, wait_seconds: float, availability: Availability
    ) -> frozenset[str]:
        """The places a search may be limited to (:attr:`Choices.places`), read again first when they lack
        ``place`` and are older than :attr:`reread_seconds`; as :meth:`get` otherwise."""
        found = await self.get(graph, wait_seconds, availability)
        if place in found.places or time.monotonic() - self._read_at < self.reread_seconds:
            return found.places
        self._read_at = -math.inf  # stale: the next get reads them, one read at a time as ever
        return (await self.get(graph, wait_seconds, availability)).places

    async def _read(self, graph: AsyncGraph, availability: Availability) -> Choices:
        try:
            rows = await graph.run(q.SEARCH_CHOICES)
        except GraphUnavailable:
            availability.lost()  # the driver's verdict, which no page may have waited for
            raise
        row = rows[0]  # one row: the query only aggregates
        regions = [{**r, "label": label(r)} for r in row["regions"]]
        self._value = Choices(
            regions=sorted(regions, key=lambda r: (r["level"] != "country", name_key(r["label"]))),
            towns=by_name(row["towns"]),
            places=frozenset(row["places"]),
            names={r["id"]: r["name"] for r in row["named"] if r["name"]},
        )
        self._read_at = time.monotonic()
        return self._value

    def _fresh(self) -> bool:
        return self._value is not None and time.monotonic() - self._read_at < self.keep_seconds


def label(region: dict[str, Any]) -> str:
    """What the form's list shows for ``region``: a country by its name, as the graph keeps its code."""
    return country_name(region["name"]) if region["level"] == "country" else str(region["name"])


def _told(read: asyncio.Task[Choices]) -> None:
    """Take a read's failure from it, so that asyncio does not report one that no page waited for as "never
    retrieved": the pages that wait for a read show its failure and log it (``api.web.access``), and Neo4j
    gone is told by ``api.availability``."""
    if not read.cancelled():
        read.exception()
