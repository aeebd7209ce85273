"""The one door to Neo4j.

Every module reaches the graph through :class:`Graph` (synchronous: CLI, ingest, matching) or
:class:`AsyncGraph` (the API). Each call runs a named :class:`~graph.query.Query`, is logged at DEBUG and
counted (the API's N+1 test reads the counter), retries transient errors (a write as the driver's managed
transaction, a read as an auto-commit transaction retried the same way: one round trip instead of two), and
re-raises a driver failure as the project's own error naming the query.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import neo4j
from neo4j import AsyncGraphDatabase, GraphDatabase, RoutingControl
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph.query import Query
from schema.errors import ConstraintViolation, GraphError, GraphUnavailable
from schema.settings import Settings

log = logging.getLogger(__name__)

HOW_TO_START = (
    "start the local server with `clusterkg neo4j start`, or point NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD "
    "at a running Neo4j 5.26"
)


def translate_error(error: Exception, query: Query | None, uri: str) -> GraphError:
    """Turn a driver exception into the project's own error, naming the query that failed."""
    name = query.name if query else None
    where = f" (query {name})" if name else ""
    if isinstance(error, ServiceUnavailable | SessionExpired | OSError):
        return GraphUnavailable(f"No Neo4j answers at {uri}{where}: {HOW_TO_START}", query_name=name)
    if isinstance(error, AuthError):
        return GraphUnavailable(
            f"Neo4j at {uri} refused the user and password: check NEO4J_USER and NEO4J_PASSWORD "
            "(or --neo4j-user and --neo4j-password)",
            query_name=name,
        )
    if isinstance(error, ConstraintError):
        message = error.message or str(error)
        return ConstraintViolation(f"Constraint violated{where}: {message}", query_name=name)
    if isinstance(error, ClientError | Neo4jError):
        return GraphError(f"Neo4j rejected{where}: {error.code}: {error.message}", query_name=name)
    return GraphError(f"Neo4j call failed{where}: {error}", query_name=name)


def batched(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    """Split an iterable of rows into lists of at most ``size`` rows (streaming, never all at once)."""
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


RETRY_FIRST_PAUSE = 0.05
"""Seconds before an auto-commit read is tried again; each further pause doubles."""


def retrying(error: Neo4jError | DriverError, deadline: float, pause: float) -> bool:
    """Whether a failed auto-commit read is tried again after ``pause``: as the driver retries a managed
    transaction, when the error is retryable (server unavailable, session expired, transient) and the
    retry time ending at ``deadline`` (monotonic) is not spent."""
    return error.is_retryable() and time.monotonic() + pause <= deadline


class _Counter:
    """Thread-safe count of queries sent, so tests can assert how many a request cost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


class Graph:
    """Synchronous access to the graph for the CLI, ingest and matching."""

    def __init__(self, driver: neo4j.Driver, *, database: str, uri: str, settings: Settings) -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self.settings = settings
        self._queries = _Counter()

    @classmethod
    def connect(cls, settings: Settings, *, verify: bool = True) -> Graph:
        """Open a driver for the configured server; fail with how to start one when none answers."""
        driver = GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password),
            notifications_min_severity="OFF",
            max_transaction_retry_time=settings.neo4j_retry_seconds,
        )
        graph = cls(driver, database=settings.neo4j_database, uri=settings.neo4j_uri, settings=settings)
        if verify:
            try:
                driver.verify_connectivity()
            except Exception as e:  # noqa: BLE001 - every failure here means "no usable server"
                driver.close()
                raise translate_error(e, None, settings.neo4j_uri) from e
        return graph

    @property
    def queries_run(self) -> int:
        return self._queries.value

    def close(self) -> None:
        self.driver.close()

    def another(self) -> Graph:
        """A graph with a driver of its own on the same server, for a background thread whose work may
        outlast this graph's user: a driver closed while another thread reads from it fails in both."""
        return Graph.connect(self.settings, verify=False)

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, query: Query, **params: Any) -> list[dict[str, Any]]:
        """Run one query in a managed (retried) transaction; return its records as dicts."""
        records = self._records(query, params)
        if query.plain:
            return [dict(record) for record in records]
        return [record.data() for record in records]

    def value(self, query: Query, **params: Any) -> Any:
        """The one value of a query that returns one record of one column, as the driver decoded it.

        For large aggregates (``RETURN collect([...]) AS rows``): one record holding a list is read many
        times faster than as many records, each converted by :meth:`run` (what a second ingest run reads
        first, 100,000s of keys, went from most of its time to a small part)."""
        return self._records(query, params)[0][0]

    def _records(self, query: Query, params: dict[str, Any]) -> list[neo4j.Record]:
        """Run one query, retried on transient errors, counted, timed and with errors translated: a write in
        a managed transaction, a read in an auto-commit one (:meth:`_read`)."""
        self._queries.add()
        started = time.perf_counter()
        try:
            if query.write:
                records, _, _ = self.driver.execute_query(
                    query.text, params, database_=self.database, routing_=RoutingControl.WRITE
                )
            else:
                records = self._read(query, params)
        except Exception as e:
            raise translate_error(e, query, self.uri) from e
        elapsed_ms = 1000 * (time.perf_counter() - started)
        log.debug("%s: %d records in %.1f ms", query.name, len(records), elapsed_ms)
        return records

    def _read(self, query: Query, params: dict[str, Any]) -> list[neo4j.Record]:
        """A read in an auto-commit transaction, as :meth:`AsyncGraph._read` runs one (the same retries and
        bookmarks): one round trip where a managed transaction takes two. A signal-ranking suggestion reads
        twice, and each read cost about 0.1 ms less of this process's CPU and of Neo4j's."""
        deadline = time.monotonic() + self.settings.neo4j_retry_seconds
        pause = RETRY_FIRST_PAUSE
        while True:
            try:
                with self.driver.session(
                    database=self.database,
                    default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=self.driver.execute_query_bookmark_manager,
                ) as session:
                    return list(session.run(query.text, params))
            except (Neo4jError, DriverError) as e:
                if not retrying(e, deadline, pause):
                    raise
            time.sleep(pause)
            pause *= 2

    def run_batches(
        self,
        query: Query,
        rows: Iterable[Mapping[str, Any]],
        *,
        batch_size: int,
        **params: Any,
    ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """Run ``query`` once per batch with ``$rows`` bound to the batch (one transaction each).

        Yields ``(rows_in_batch, records)`` so callers can advance a progress bar and collect results.
        """
        for batch in batched(rows, batch_size):
            yield len(batch), self.run(query, rows=batch, **params)

    def run_autocommit(self, query: Query, **params: Any) -> list[dict[str, Any]]:
        """Run one query in an auto-commit transaction: schema statements and ``CALL { } IN TRANSACTIONS``
        need one. Not retried, so callers use it only for idempotent statements."""
        self._queries.add()
        try:
            with self.driver.session(database=self.database) as session:
                return [record.data() for record in session.run(query.text, params)]
        except Exception as e:
            raise translate_error(e, query, self.uri) from e


class AsyncGraph:
    """Asynchronous access to the graph for the API (strawberry resolvers and DataLoaders are async)."""

    def __init__(
        self, driver: neo4j.AsyncDriver, *, database: str, uri: str, retry_seconds: float = 15.0
    ) -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self.retry_seconds = retry_seconds
        self._queries = _Counter()

    @classmethod
    def from_settings(cls, settings: Settings) -> AsyncGraph:
        driver = AsyncGraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password),
            notifications_min_severity="OFF",
            max_transaction_retry_time=settings.neo4j_retry_seconds,
        )
        return cls(
            driver,
            database=settings.neo4j_database,
            uri=settings.neo4j_uri,
            retry_seconds=settings.neo4j_retry_seconds,
        )

    @property
    def queries_run(self) -> int:
        return self._queries.value

    async def close(self) -> None:
        await self.driver.close()

    async def run(self, query: Query, **params: Any) -> list[dict[str, Any]]:
        """Run one query, retried on transient errors; return its records as dicts.

        Writes run in a managed transaction. Reads run in an auto-commit transaction (:meth:`_read`): one
        round trip (RUN and PULL) where a managed one takes two (BEGIN, RUN, PULL, then COMMIT); per API
        request of two reads that saved about 0.55 ms of the API's CPU and 0.2 ms of Neo4j's.

        Values come back as the driver decoded them (``dict(record)``): the API's queries return maps, lists
        and scalars only, never nodes, and ``record.data()`` would walk every nested value again to convert
        nodes (half the driver's CPU for a page of 50 organizations with their lists)."""
        self._queries.add()
        started = time.perf_counter()
        try:
            if query.write:
                records, _, _ = await self.driver.execute_query(
                    query.text, params, database_=self.database, routing_=RoutingControl.WRITE
                )
                rows = [dict(record) for record in records]
            else:
                rows = await self._read(query, params)
        except Exception as e:
            raise translate_error(e, query, self.uri) from e
        log.debug("%s: %d rows in %.1f ms", query.name, len(rows), 1000 * (time.perf_counter() - started))
        return rows

    async def _read(self, query: Query, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A read in an auto-commit transaction, retried as the driver retries managed ones: a retryable error
        (server unavailable, session expired, transient) again after a growing pause, until the retry time
        is spent. A read has no effect, so running it again is safe. It shares the bookmarks of the writes
        (``execute_query``'s bookmark manager), so it sees them on a cluster too."""
        deadline = time.monotonic() + self.retry_seconds
        pause = RETRY_FIRST_PAUSE
        while True:
            try:
                async with self.driver.session(
                    database=self.database,
                    default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=self.driver.execute_query_bookmark_manager,
                ) as session:
                    result = await session.run(query.text, params)
                    return [dict(record) async for record in result]
            except (Neo4jError, DriverError) as e:
                if not retrying(e, deadline, pause):
                    raise
            await asyncio.sleep(pause)
            pause *= 2
