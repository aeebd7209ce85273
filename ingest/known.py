"""What a run knows before it writes: the organization index, and the ids and content hashes of the
clusters, projects and links in the graph (read once per run, kept up to date as rows go by), so each row
can be told added, updated or unchanged without asking the graph again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.db import Graph
from graph.queries.ingest import known as q
from ingest.report import Outcome
from ingest.resolve import OrganizationIndex
from schema.graph_model import Label, RelType


def row_digest(values: Mapping[str, Any]) -> str:
    """A short digest of a row's canonical values as read (after the mapping), computed once per row and
    before validation, so a row known unchanged skips validation altogether. Text values (all of a CSV
    row) are joined as they are; other values (JSON numbers, lists, objects) as JSON, marked so that ``1``
    and ``"1"`` differ."""
    parts = []
    for key in sorted(values):
        value = values[key]
        parts.append(key)
        parts.append(
            value
            if isinstance(value, str)
            else "\x00" + json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
        )
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def content_hash(digest: str, *resolved: str) -> str:
    """The content hash of a row: its :func:`row_digest` and the nodes its ids resolved to (a link whose
    end now resolves to another node has changed even if its row has not)."""
    if not resolved:
        return digest
    return hashlib.blake2b("\x1f".join((digest, *resolved)).encode(), digest_size=12).hexdigest()


@dataclass
class Known:
    """What one run knows: the organization index, ids and content hashes of clusters, projects and links."""

    graph: Graph | None
    rules: tuple[str, ...]
    _orgs: OrganizationIndex | None = None
    _nodes: dict[Label, dict[str, str | None]] = field(default_factory=dict)
    _links: dict[RelType, dict[str, str | None]] = field(default_factory=dict)

    @property
    def orgs(self) -> OrganizationIndex:
        if self._orgs is None:
            rows = self.graph.value(q.ORGANIZATION_KEYS) if self.graph else []
            self._orgs = OrganizationIndex.from_rows(rows, self.rules)
        return self._orgs

    def nodes(self, label: Label) -> dict[str, str | None]:
        if label not in self._nodes:
            rows = self.graph.value(q.NODE_HASHES, label=label.value) if self.graph else []
            self._nodes[label] = dict(rows)
        return self._nodes[label]

    def links(self, rel: RelType) -> dict[str, str | None]:
        if rel not in self._links:
            rows = (
                self.graph.value(q.LINK_HASHES, type=rel.value, separator=LINK_SEPARATOR)
                if self.graph
                else []
            )
            self._links[rel] = dict(rows)
        return self._links[rel]


LINK_SEPARATOR = "\x1f"


def link_key(a: str, b: str, kind: str | None = None) -> str:
    """The key of a link in :class:`Known` (``graph.queries.ingest.known.LINK_HASHES`` builds the same)."""
    return f"{a}{LINK_SEPARATOR}{b}{LINK_SEPARATOR}{kind or ''}"


def change(known: dict[str, str | None], key: str, digest: str) -> Outcome:
    """Added, updated or unchanged, by the content hash stored for ``key``; remembers the new hash."""
    if known.get(key) is None:  # new, or a MEMBER_OF edge an organization's ``clusters`` list created
        outcome = Outcome.ADDED
    elif known[key] == digest:
        return Outcome.UNCHANGED
    else:
        outcome = Outcome.UPDATED
    known[key] = digest
    return outcome
