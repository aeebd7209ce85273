"""Entity resolution: which node an organization record belongs to.

The index holds, for every organization already in the graph (read once per run) and every one loaded so far
in this run, the keys records are matched on. Rules are tried in order (by default registry id or VAT, then
website domain, then normalized name + city); the first rule with exactly one candidate decides. A rule with
several candidates is an ambiguity: reported, and the record is loaded as its own node rather than merged
blindly. A candidate whose registry id or VAT contradicts the record's is never a match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ingest import normalize
from schema.errors import IngestError, echo
from schema.models import OrganizationRecord

RULES = ("registry_id", "vat", "domain", "name_city")
DEFAULT_RULES = RULES
HASH_SEPARATOR = "\u001f"


def check_rules(rules: Iterable[str]) -> None:
    """Refuse a resolution key that is none of :data:`DEFAULT_RULES` (the CLI before Neo4j is reached, a run
    before it starts)."""
    unknown = set(rules) - set(DEFAULT_RULES)
    if unknown:
        raise IngestError(
            f"unknown resolution keys {', '.join(echo(rule) for rule in sorted(unknown))}; "
            f"use {', '.join(DEFAULT_RULES)}"
        )


class Keys(NamedTuple):
    """The values a record is matched on, computed once per record (a named tuple: cheap to make, and
    the rules read it by name)."""

    registry_id: str | None
    vat: str | None
    domain: str | None
    name_city: str | None

    @classmethod
    def of(cls, record: OrganizationRecord) -> Keys:
        return cls(
            record.registry_id,
            record.vat,
            normalize.domain(record.website),
            normalize.name_key(record.name, record.city),
        )


class Resolution(NamedTuple):
    """The node a record belongs to. ``primary``: the record is that node's own (its id is the node id)."""

    node: str
    primary: bool
    rule: str | None = None
    ambiguous: tuple[str, ...] = ()
    ambiguous_rule: str | None = None


@dataclass
class OrganizationIndex:
    """Resolution keys and record hashes of the organizations known so far."""

    rules: tuple[str, ...] = DEFAULT_RULES
    alias: dict[str, str] = field(default_factory=dict)
    # rule -> key value -> the nodes with that value (a tuple: nearly always one node, and 100,000s of them)
    keys: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=lambda: {rule: {} for rule in RULES})
    strong: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    hashes: set[str] = field(default_factory=set)

    @classmethod
    def from_rows(
        cls, rows: Iterable[Sequence[Any]], rules: tuple[str, ...] = DEFAULT_RULES
    ) -> OrganizationIndex:
        """Build from the rows of ``graph.queries.ingest.known.ORGANIZATION_KEYS``: ``[id, source_ids,
        registry_id, vat, domain, name_key, record_hashes]``."""
        index = cls(rules=rules)
        for node, source_ids, registry_id, vat, domain, name_key, record_hashes in rows:
            index.alias[node] = node
            for source_id in source_ids or ():
                index.alias[source_id] = node
            index._add_keys(node, registry_id, vat, domain, name_key)
            index.hashes.update(record_hashes or ())
        return index

    def _add_keys(
        self, node: str, registry_id: str | None, vat: str | None, domain: str | None, name_key: str | None
    ) -> None:
        for rule, value in (
            ("registry_id", registry_id),
            ("vat", vat),
            ("domain", domain),
            ("name_city", name_key),
        ):
            if value:
                bucket = self.keys[rule]
                nodes = bucket.get(value)
                if nodes is None:
                    bucket[value] = (node,)
                elif node not in nodes:
                    bucket[value] = (*nodes, node)
        old_registry, old_vat = self.strong.get(node, (None, None))
        self.strong[node] = (old_registry or registry_id, old_vat or vat)

    def node_of(self, record_id: str) -> str | None:
        """The node an id (a node id or any source id it was seen under) belongs to."""
        return self.alias.get(record_id)

    def _contradicts(self, node: str, record: OrganizationRecord) -> bool:
        registry_id, vat = self.strong.get(node, (None, None))
        return bool(
            (registry_id and record.registry_id and registry_id != record.registry_id)
            or (vat and record.vat and vat != record.vat)
        )

    def resolve(self, record: OrganizationRecord, keys: Keys) -> Resolution:
        """Find the node of ``record``; a record already seen under its id keeps its node."""
        known = self.alias.get(record.id)
        if known is not None:
            return Resolution(node=known, primary=known == record.id)
        first_ambiguity: tuple[str, tuple[str, ...]] | None = None
        for rule in self.rules:
            value = getattr(keys, rule)
            bucket = self.keys[rule].get(value) if value else None
            if not bucket:
                continue
            candidates = sorted(n for n in bucket if not self._contradicts(n, record))
            if len(candidates) == 1:
                return Resolution(node=candidates[0], primary=False, rule=rule)
            if len(candidates) > 1 and first_ambiguity is None:
                first_ambiguity = (rule, tuple(candidates))
        if first_ambiguity:
            return Resolution(
                node=record.id, primary=True, ambiguous=first_ambiguity[1], ambiguous_rule=first_ambiguity[0]
            )
        return Resolution(node=record.id, primary=True)

    def remember(self, record: OrganizationRecord, keys: Keys, node: str, hash_entry: str) -> None:
        """Record that ``record`` now lives in ``node`` (before its batch is written, so later records of
        the same batch resolve to it too)."""
        self.alias[record.id] = node
        self.alias.setdefault(node, node)
        self._add_keys(node, keys.registry_id, keys.vat, keys.domain, keys.name_city)
        self.hashes.add(hash_entry)


def hash_entry(record_id: str, content_hash: str) -> tuple[str, str]:
    """The ``(prefix, entry)`` a node keeps per record in ``record_hashes``: record id and content hash."""
    prefix = f"{record_id}{HASH_SEPARATOR}"
    return prefix, f"{prefix}{content_hash}"
