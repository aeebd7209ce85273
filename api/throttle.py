"""What one caller may take from the server: requests per second per key, and turns at the compute threads.

:class:`RateLimits` is a token bucket per key: ``rate`` requests a second, ``burst`` at once; a request over
it is answered 429 with ``Retry-After`` (``api.app``). Requests without a valid key are counted by client
address. :class:`FairCompute` admits CPU work (suggestions, text embeddings) to the compute threads; waiting
work is admitted key by key in turn, so a caller with many requests queued cannot make another caller's one
request wait behind all of them (first come first served let 500 aliased suggestions of one key hold both
threads for 10 s while another key's search waited). :class:`GraphLane` admits Neo4j queries to
``api_graph_slots`` the same way: a GraphQL request's, a web page's and a key's look-up, each in its lane
(``api.graphql.context.graph_lane``).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, TypeVar

import anyio

from graph.db import AsyncGraph
from graph.query import Query
from schema.errors import ClusterkgError

T = TypeVar("T")

MAX_BUCKETS = 10_000
"""Keys and addresses remembered at once; full buckets are forgotten first (they hold no information)."""


class RateLimited(ClusterkgError):
    """A caller sent more requests than its rate allows; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimits:
    """A token bucket per key; ``rate`` 0 turns the limit off."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> None:
        """Count one request of ``key`` (``key:ID``, or an address's lane such as ``address:HOST``), or
        raise :class:`RateLimited` when its bucket is empty, saying whose rate it is."""
        if self.rate <= 0:
            return
        now = self.clock()
        tokens, at = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self.buckets[key] = (tokens, now)
            wait = math.ceil((1.0 - tokens) / self.rate)
            who = "this key" if key.startswith("key:") else "a client without a key"
            raise RateLimited(
                f"too many requests: {who} may send {self.rate:g} a second (bursts of {self.burst:g}); "
                f"retry after {wait} s",
                retry_after=wait,
            )
        self.buckets[key] = (tokens - 1.0, now)
        if len(self.buckets) > MAX_BUCKETS:
            self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        for key, (tokens, at) in list(self.buckets.items()):
            if tokens + (now - at) * self.rate >= self.burst:
                del self.buckets[key]


class FairCompute:
    """At most ``threads`` jobs run at once, and at most ``per_key`` of them for one key; the waiting ones are
    admitted one key at a time, in turn (the key served goes to the back of the line), and each key's own
    jobs in the order they came.

    ``per_key`` keeps slots free for the other keys: admitted in turn alone, one key's long jobs held every
    slot whenever no one else waited, and a job of another key arriving then waited for one of them to end
    (16 full-text counts of one key over 100,000 organizations, each seconds long on Neo4j's shared cores)."""

    def __init__(self, threads: int, per_key: int | None = None) -> None:
        self.threads = threads
        self.free = threads
        self.per_key = min(per_key or threads, threads)
        self.held: dict[str, int] = {}
        self.waiting: OrderedDict[str, deque[anyio.Event]] = OrderedDict()

    async def run(self, key: str, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread once ``key``'s turn comes. The slot is held until the thread ends,
        also when the request is cancelled meanwhile (a thread cannot be stopped)."""
        await self.acquire(key)
        try:
            return await anyio.to_thread.run_sync(work)
        finally:
            self.release(key)

    def _may_take(self, key: str) -> bool:
        return self.free > 0 and self.held.get(key, 0) < self.per_key

    async def acquire(self, key: str) -> None:
        """Wait for a slot on behalf of ``key``."""
        if self._may_take(key) and not any(self._may_take(waiting) for waiting in self.waiting):
            self._take(key)
            return
        turn = anyio.Event()
        self.waiting.setdefault(key, deque()).append(turn)
        try:
            await turn.wait()
        except BaseException:
            if turn.is_set():
                self.release(key)  # the slot was handed over just as the wait was cancelled
            else:
                self._leave(key, turn)
            raise

    async def drain(self, seconds: float) -> None:
        """Wait (at most ``seconds``) until no job runs: a request that timed out has had its answer, but its
        thread goes on with the app's graph connections, which shutdown must not close under it."""
        with anyio.move_on_after(seconds):
            while self.free < self.threads:
                await anyio.sleep(0.01)

    def release(self, key: str) -> None:
        """Give back ``key``'s slot, and hand free slots to the next keys in turn that hold fewer than
        ``per_key``."""
        self.free += 1
        held = self.held[key] - 1
        if held:
            self.held[key] = held
        else:
            del self.held[key]
        while self.free > 0:
            turn_of = next((waiting for waiting in self.waiting if self._may_take(waiting)), None)
            if turn_of is None:
                return
            line = self.waiting[turn_of]
            turn = line.popleft()
            if line:
                self.waiting.move_to_end(turn_of)
            else:
                del self.waiting[turn_of]
            self._take(turn_of)
            turn.set()

    def _take(self, key: str) -> None:
        self.free -= 1
        self.held[key] = self.held.get(key, 0) + 1

    def _leave(self, key: str, turn: anyio.Event) -> None:
        line = self.waiting.get(key)
        if line is None:
            return
        line.remove(turn)
        if not line:
            del self.waiting[key]


class Lane:
    """One request's way to the compute threads: :meth:`run` as its caller's key."""

    def __init__(self, compute: FairCompute, key: str) -> None:
        self.compute = compute
        self.key = key

    async def run(self, work: Callable[[], T]) -> T:
        return await self.compute.run(self.key, work)


class GraphLane(AsyncGraph):
    """One request's way to Neo4j: each query waits for one of ``slots`` (:class:`FairCompute`) in its lane's
    turn (a key's, or a client address's for a page without a key and for a key's look-up). Without it one
    request's aliases run all their queries at once: 200 filtered counts over 100,000 organizations take
    every connection of the driver's pool and Neo4j's cores, and a one-row look-up of another key waits
    10 s. Queued queries of a request that timed out leave the queue with it."""

    def __init__(self, graph: AsyncGraph, slots: FairCompute, key: str) -> None:
        super().__init__(
            graph.driver, database=graph.database, uri=graph.uri, retry_seconds=graph.retry_seconds
        )
        self.graph = graph
        self.slots = slots
        self.key = key

    @property
    def queries_run(self) -> int:
        return self.graph.queries_run

    async def run(self, query: Query, **params: Any) -> list[dict[str, Any]]:
        await self.slots.acquire(self.key)
        try:
            return await self.graph.run(query, **params)
        finally:
            self.slots.release(self.key)
