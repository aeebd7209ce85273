"""Turns validated, resolved records into the rows of the batched write queries, and writes them.

One write transaction per batch and kind (``graph.db.Graph.run`` retries transient errors); the regions and
capabilities a batch refers to are merged first, once per run. In a dry run nothing is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.db import Graph
from graph.queries import ingest as q
from graph.query import Query
from ingest import normalize
from schema.graph_model import SizeClass
from schema.models import (
    ClusterRecord,
    CollaborationRecord,
    MembershipRecord,
    OrganizationRecord,
    ParticipationRecord,
    ProjectRecord,
)


def _value(value: Any) -> Any:
    """Enums travel as their values; dates stay dates (Neo4j ``date``)."""
    return value.value if hasattr(value, "value") else value


def organization_row(
    record: OrganizationRecord, node: str, primary: bool, prefix: str, entry: str
) -> dict[str, Any]:
    """The row of ``UPSERT_ORGANIZATIONS`` for one record folded into ``node``."""
    props = {
        "name": record.name,
        "role": record.role.value,
        "description": record.description,
        "needs": record.needs,
        "needs_visibility": record.needs_visibility.value,
        "website": record.website,
        "domain": normalize.domain(record.website),
        "country": record.country,
        "region": record.region,
        "city": record.city,
        "lat": record.lat,
        "lon": record.lon,
        "employees": record.employees,
        "size_class": _value(SizeClass.of(record.employees)),
        "founded": record.founded,
        "sectors": record.sectors or None,
        "registry_id": record.registry_id,
        "vat": record.vat,
        "name_key": normalize.name_key(record.name, record.city),
    }
    path = normalize.region_path(record.country, record.region, record.city)
    return {
        "id": node,
        "record": record.id,
        "primary": primary,
        "label": record.role.label,
        "props": props,
        "hash_prefix": prefix,
        "hash_entry": entry,
        "offers": [normalize.capability_id(c) for c in record.capabilities],
        "needs": [normalize.capability_id(c) for c in record.needed_capabilities],
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
        "start": record.start,
        "end": record.end,
    }
    return {"id": record.id, "props": props, "hash": content_hash}


def membership_row(record: MembershipRecord, organization: str, content_hash: str) -> dict[str, Any]:
    return {
        "organization": organization,
        "cluster": record.cluster,
        "since": record.since,
        "hash": content_hash,
    }


def collaboration_row(record: CollaborationRecord, a: str, b: str, content_hash: str) -> dict[str, Any]:
    """``a`` < ``b``: each pair is stored once, in a fixed direction, and read undirected."""
    a, b = sorted((a, b))
    return {
        "a": a,
        "b": b,
        "kind": record.kind.value,
        "since": record.since,
        "weight": record.weight,
        "hash": content_hash,
    }


def participation_row(record: ParticipationRecord, organization: str, content_hash: str) -> dict[str, Any]:
    return {
        "organization": organization,
        "project": record.project,
        "role": record.role,
        "hash": content_hash,
    }


@dataclass
class Writer:
    """Sends prepared rows to the graph with the run's provenance; a dry run only counts."""

    graph: Graph | None
    prov: Mapping[str, Any]
    _regions: set[str] = field(default_factory=set)
    _capabilities: set[str] = field(default_factory=set)

    @classmethod
    def provenance(cls, source: str, file_hash: str, run_id: str, at: dt.datetime) -> dict[str, Any]:
        return {"source": source, "file_hash": file_hash, "ingest_run": run_id, "ingested_at": at}

    def for_file(self, source: str, file_hash: str) -> Writer:
        """The same writer stamping another source and file hash; the regions and capabilities it has
        written are shared."""
        writer = Writer(self.graph, {**self.prov, "source": source, "file_hash": file_hash})
        writer._regions, writer._capabilities = self._regions, self._capabilities
        return writer

    def _send(self, query: Query, rows: list[dict[str, Any]]) -> None:
        if self.graph is not None and rows:
            self.graph.run(query, rows=rows, prov=dict(self.prov))

    def organizations(self, rows: list[dict[str, Any]], records: list[OrganizationRecord]) -> None:
        """Write organization rows, after the regions and capabilities they point to."""
        regions: dict[str, dict[str, Any]] = {}
        capabilities: dict[str, str] = {}
        for row, record in zip(rows, records, strict=True):
            places = (
                normalize.region_path(record.country, record.region, record.city) if row["primary"] else []
            )
            for region in places:
                if region["id"] not in self._regions:
                    regions.setdefault(str(region["id"]), region)
            for name in (*record.capabilities, *record.needed_capabilities):
                cid = normalize.capability_id(name)
                if cid not in self._capabilities:
                    capabilities.setdefault(cid, name)
        self._send(q.MERGE_REGIONS, list(regions.values()))
        self._send(q.MERGE_CAPABILITIES, [{"id": cid, "name": name} for cid, name in capabilities.items()])
        self._regions.update(regions)
        self._capabilities.update(capabilities)
        self._send(q.UPSERT_ORGANIZATIONS, rows)

    def clusters(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.UPSERT_CLUSTERS, rows)

    def managers(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.LINK_MANAGERS, rows)

    def memberships(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.UPSERT_MEMBERSHIPS, rows)

    def collaborations(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.UPSERT_COLLABORATIONS, rows)

    def projects(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.UPSERT_PROJECTS, rows)

    def participations(self, rows: list[dict[str, Any]]) -> None:
        self._send(q.UPSERT_PARTICIPATIONS, rows)
