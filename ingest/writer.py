"""Turns validated, resolved records into the rows of the batched write queries, and writes them.

One write transaction per batch and kind (``graph.db.Graph.run`` retries transient errors); the regions and
capabilities a batch refers to are merged first, once per run. In a dry run nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.db import Graph
from graph.queries.ingest import writes as q
from graph.query import Query
from ingest.resolve import Keys
from schema.dates import plain, precision_of
from schema.graph_model import SizeClass
from schema.ids import capability_id, region_path
from schema.models import (
    ClusterRecord,
    CollaborationRecord,
    MembershipRecord,
    OrganizationRecord,
    ParticipationRecord,
    ProjectRecord,
    RecordKind,
)
from schema.properties import STORED

FILE_HASH_DIGITS = 16


def _value(value: Any) -> Any:
    """Enums travel as their values; dates stay dates (Neo4j ``date``)."""
    return value.value if hasattr(value, "value") else value


def _stored(value: Any) -> Any:
    """A record field as a property: an empty list is no property at all (Neo4j stores no nulls)."""
    value = _value(value)
    return None if isinstance(value, list) and not value else value


def organization_row(
    record: OrganizationRecord, keys: Keys, node: str, primary: bool, fresh: bool, prefix: str, entry: str
) -> dict[str, Any]:
    """The row of ``UPSERT_ORGANIZATIONS`` for one record folded into ``node``; ``fresh`` when the row
    creates the node (nothing stale to clean up)."""
    derived = {
        "domain": keys.domain,
        "size_class": _value(SizeClass.of(record.employees)),
        "name_key": keys.name_city,
    }
    props = {name: derived[name] if name in derived else _stored(getattr(record, name)) for name in STORED}
    path = region_path(record.country, record.region, record.city)
    return {
        "id": node,
        "record": record.id,
        "primary": primary,
        "fresh": fresh,
        "label": record.role.label,
        "props": props,
        "hash_prefix": prefix,
        "hash_entry": entry,
        "offers": [capability_id(c) for c in record.capabilities],
        "needs": [capability_id(c) for c in record.needed_capabilities],
        "needs_visibility": record.needs_visibility.value,
        # Only the node's own record places it; a merged record from another registry may spell the
        # region differently and must not move the node or create a second region hierarchy.
        "region": path[-1]["id"] if path and primary else None,
        "clusters": record.clusters,
    }


def cluster_row(record: ClusterRecord, content_hash: str) -> dict[str, Any]:
    props = {
        "name": record.name,
        "sector": record.sector,
        "region": record.region,
        "stage": _value(record.stage),
        "managed_by": record.managed_by,
    }
    return {"id": record.id, "props": props, "hash": content_hash}


def project_row(record: ProjectRecord, content_hash: str) -> dict[str, Any]:
    props = {
        "title": record.title,
        "acronym": record.acronym,
        "description": record.description,
        "topic": record.topic,
        "programme": record.programme,
        "start": plain(record.start),
        "start_precision": precision_of(record.start),
        "end": plain(record.end),
        "end_precision": precision_of(record.end),
    }
    return {"id": record.id, "props": props, "hash": content_hash}


def membership_row(
    record: MembershipRecord, organization: str, content_hash: str, fresh: bool
) -> dict[str, Any]:
    return {
        "fresh": fresh,
        "organization": organization,
        "cluster": record.cluster,
        "since": plain(record.since),
        "since_precision": precision_of(record.since),
        "hash": content_hash,
    }


def collaboration_row(
    record: CollaborationRecord, a: str, b: str, content_hash: str, fresh: bool
) -> dict[str, Any]:
    """``a`` < ``b``: each pair is stored once, in a fixed direction, and read undirected."""
    a, b = sorted((a, b))
    return {
        "fresh": fresh,
        "a": a,
        "b": b,
        "kind": record.kind.value,
        "since": plain(record.since),
        "since_precision": precision_of(record.since),
        "weight": record.weight,
        "hash": content_hash,
    }


def participation_row(
    record: ParticipationRecord, organization: str, content_hash: str, fresh: bool
) -> dict[str, Any]:
    return {
        "fresh": fresh,
        "organization": organization,
        "project": record.project,
        "role": record.role,
        "hash": content_hash,
    }


class BackgroundSender:
    """Runs write queries on background threads so that parsing and validating the next batch overlaps
    with Neo4j writing this one, and ``writers`` batches are written at once (one transaction runs on one
    server thread: on two cores a second writer keeps the server busy while the first one commits).

    Batches start in the order sent; a write that needs an earlier one committed (a record merged into a
    node created in an earlier batch, an organization pointing to a new capability) calls :meth:`drain`
    first. Only writes of one query that runs side by side with itself (``Query.side_by_side``: creating
    links, or updating links the graph holds) are in flight at once: any other write waits until those
    before it are committed, and the next waits for it. Transactions whose locks could cross (a batch's new
    links being created while its known links are updated, on the same cluster) thus never deadlock.
    At most ``depth`` batches per writer wait (memory stays bounded); a failure is raised to the caller on
    its next call, and nothing queued after it is sent."""

    def __init__(self, graph: Graph, depth: int = 2, writers: int = 1) -> None:
        self.graph = graph
        self._queue: queue.Queue[tuple[Query, dict[str, Any]] | None] = queue.Queue(maxsize=depth * writers)
        self._error: BaseException | None = None
        self._in_flight: Query | None = None  # the query of the writes sent since the last drain
        self._threads = [
            threading.Thread(target=self._work, name=f"ingest-writer-{n}", daemon=True)
            for n in range(writers)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    self.graph.run(item[0], **item[1])
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread by _raise
                self._error = e
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def send(self, query: Query, **params: Any) -> None:
        self._raise()
        alongside = self._in_flight is None or (query is self._in_flight and query.side_by_side)
        if not alongside and len(self._threads) > 1:
            self.drain()
        self._in_flight = query
        self._queue.put((query, params))

    def drain(self) -> None:
        """Wait until every queued write is committed (before a dependent write, before reading the graph
        or ending a file)."""
        self._queue.join()
        self._in_flight = None
        self._raise()

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()


@dataclass
class Writer:
    """Sends prepared rows to the graph with the run's provenance; a dry run (no sender) only counts."""

    sender: BackgroundSender | None
    prov: Mapping[str, Any]
    _regions: set[str] = field(default_factory=set)
    _capabilities: set[str] = field(default_factory=set)

    @classmethod
    def provenance(cls, source: str, file_hash: str, run_id: str, at: dt.datetime) -> dict[str, Any]:
        return dict(zip(q.PROVENANCE, (source, file_hash, run_id, at), strict=True))

    def for_file(self, source: str, file_hash: str) -> Writer:
        """The same writer stamping another source and file hash; the sender, and the regions and
        capabilities written so far, are shared. Nodes and relationships get the first 16 hex digits of the
        file's SHA-256 (enough to tell versions apart, and short enough to be stored inline by Neo4j rather
        than in a string record of its own); the :IngestRun keeps the whole hashes."""
        writer = Writer(
            self.sender, {**self.prov, "source": source, "file_hash": file_hash[:FILE_HASH_DIGITS]}
        )
        writer._regions, writer._capabilities = self._regions, self._capabilities
        return writer

    def _send(self, query: Query, rows: list[dict[str, Any]]) -> None:
        if self.sender is not None and rows:
            self.sender.send(query, rows=rows, prov=dict(self.prov))

    def drain(self) -> None:
        if self.sender is not None:
            self.sender.drain()

    def organizations(self, rows: list[dict[str, Any]], records: list[OrganizationRecord]) -> None:
        """Write organization rows, after the regions and capabilities they point to."""
        regions: dict[str, dict[str, Any]] = {}
        capabilities: dict[str, str] = {}
        for row, record in zip(rows, records, strict=True):
            places = region_path(record.country, record.region, record.city) if row["primary"] else []
            for region in places:
                if region["id"] not in self._regions:
                    regions.setdefault(str(region["id"]), region)
            for name in (*record.capabilities, *record.needed_capabilities):
                cid = capability_id(name)
                if cid not in self._capabilities:
                    capabilities.setdefault(cid, name)
        self._send(q.MERGE_REGIONS, list(regions.values()))
        self._send(q.MERGE_CAPABILITIES, [{"id": cid, "name": name} for cid, name in capabilities.items()])
        self._regions.update(regions)
        self._capabilities.update(capabilities)
        if regions or capabilities:
            self.drain()  # the organizations below point to them
        # New nodes first: a record merged into a node created in this or an earlier batch finds it.
        self._send(q.CREATE_ORGANIZATIONS, [row for row in rows if row["fresh"]])
        updates = [row for row in rows if not row["fresh"]]
        if updates:
            self.drain()
            self._send(q.UPSERT_ORGANIZATIONS, updates)

    def clusters(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.UPSERT_CLUSTERS, rows)

    def managers(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.LINK_MANAGERS, rows)

    def _links(self, upsert: Query, create: Query, rows: list[dict[str, Any]]) -> None:
        self._send(create, [row for row in rows if row["fresh"]])
        self._send(upsert, [row for row in rows if not row["fresh"]])

    def memberships(self, rows: list[dict[str, Any]]) -> None:
        self._links(q.UPSERT_MEMBERSHIPS, q.CREATE_MEMBERSHIPS, rows)

    def collaborations(self, rows: list[dict[str, Any]]) -> None:
        self._links(q.UPSERT_COLLABORATIONS, q.CREATE_COLLABORATIONS, rows)

    def projects(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.UPSERT_PROJECTS, rows)

    def participations(self, rows: list[dict[str, Any]]) -> None:
        self._links(q.UPSERT_PARTICIPATIONS, q.CREATE_PARTICIPATIONS, rows)

    def write(self, kind: RecordKind, rows: list[dict[str, Any]], records: list[Any]) -> None:
        """Write a batch of rows of ``kind``; ``records`` are the organization records behind organization
        rows (their regions and capabilities are written first)."""
        if kind is RecordKind.ORGANIZATIONS:
            self.organizations(rows, records)
        elif kind is RecordKind.CLUSTERS:
            self.clusters(rows)
        elif kind is RecordKind.MEMBERSHIPS:
            self.memberships(rows)
        elif kind is RecordKind.COLLABORATIONS:
            self.collaborations(rows)
        elif kind is RecordKind.PROJECTS:
            self.projects(rows)
        else:
            self.participations(rows)
