"""Resolving a row: which node it belongs to, what it changes (added, updated, unchanged, merged), and the row
it writes.

Everything here is decided from what the run knows (``ingest.known``: the graph as read once at the start,
kept up to date as rows go by), never by asking the graph again, so a row costs no round trip. An
organization, cluster or project id, or a link, seen twice in one run with the same values is folded into its
first row ("merged", not written), so duplicates in a registry cannot flip a node back and forth between
loads; seen again with other values, it is rejected instead (``ingest.repeats``).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as Values
from dataclasses import dataclass
from functools import partial
from typing import Any

from ingest import writer
from ingest.known import Known, change, content_hash, link_key
from ingest.repeats import Conflict, Earlier, Repeats
from ingest.report import Ambiguity, FileSummary, Merge, Outcome, Tally
from ingest.resolve import Keys, hash_entry
from schema.graph_model import Label, RelType
from schema.models import (
    ClusterRecord,
    CollaborationRecord,
    MembershipRecord,
    OrganizationRecord,
    ParticipationRecord,
    ProjectRecord,
    RecordKind,
)

Row = dict[str, Any]
Classified = tuple[Outcome, Row | None]
"""A row's outcome and the row to write (None when it writes nothing)."""


@dataclass(frozen=True)
class _OrganizationLink:
    """A kind of organization -> cluster/project link: the field naming its target, the target's label, the
    relationship, the tag of its keys in the run's repeats, and the row it writes."""

    what: str
    target_field: str
    target_label: Label
    rel: RelType
    tag: str
    row: Callable[[Any, str, str, bool], Row]


_MEMBERSHIP = _OrganizationLink(
    "membership", "cluster", Label.CLUSTER, RelType.MEMBER_OF, "M", writer.membership_row
)
_PARTICIPATION = _OrganizationLink(
    "participation", "project", Label.PROJECT, RelType.PARTICIPATES_IN, "I", writer.participation_row
)

_SKIPPED = frozenset({Outcome.UNCHANGED, Outcome.MERGED})  # outcomes of rows that write nothing


class RowRejected(Exception):
    """A row refers to something that exists nowhere; carries the field and reason."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


class RowConflict(RowRejected):
    """A row's id or link is already at an earlier row of the run with other values; the reject names the
    fields once the file is read (``ingest.repeats``)."""

    def __init__(self, conflict: Conflict) -> None:
        super().__init__(conflict.ends[0], f"{conflict.subject} is already at another row")
        self.conflict = conflict


def _text(values: Values[str, Any], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value).strip()


def _nowhere(field_name: str, what: str, record_id: str) -> RowRejected:
    return RowRejected(field_name, f"{what} {record_id!r} exists nowhere (not in the graph, not loaded)")


def _named(record_id: str, node: str) -> str:
    """An organization as a link row names it, and the node it resolved to when that is another id."""
    return repr(record_id) if node == record_id else f"{record_id!r} (merged into {node!r})"


class Outcomes:
    """The outcome of each row of one run, and the rows to write."""

    def __init__(self, known: Known, tally: Tally) -> None:
        self.state = known
        self.tally = tally
        self.managers: dict[str, str] = {}  # cluster id -> managed_by, linked once the organizations are in
        self.repeats = Repeats()  # node ids and links: where first seen, with what
        self._handlers: dict[RecordKind, Callable[[Any, FileSummary, int, str], Classified]] = {
            RecordKind.CLUSTERS: self._cluster,
            RecordKind.ORGANIZATIONS: self._organization,
            RecordKind.MEMBERSHIPS: partial(self._organization_link, _MEMBERSHIP),
            RecordKind.COLLABORATIONS: self._collaboration,
            RecordKind.PROJECTS: self._project,
            RecordKind.PARTICIPATIONS: partial(self._organization_link, _PARTICIPATION),
        }

    def classify(
        self, kind: RecordKind, record: Any, file: FileSummary, number: int, row_hash: str
    ) -> Classified:
        """The outcome of validated ``record`` (row ``number`` of ``file``; ``row_hash`` its
        :func:`~ingest.known.row_digest`) and its row to write; raises :class:`RowRejected`."""
        return self._handlers[kind](record, file, number, row_hash)

    def _repeat(
        self, run_key: str, number: int, row_hash: str, conflict: Callable[[Earlier], Conflict]
    ) -> bool:
        """Whether ``run_key`` (an id or link key, tagged with its kind) was seen before in this run with the
        same values (a harmless repeat, merged); raises :class:`RowConflict` with ``conflict`` of the
        earlier row when with other values; False the first time."""
        earlier = self.repeats.first(run_key, number, row_hash)
        if earlier is None:
            return False
        if not earlier.same:
            raise RowConflict(conflict(earlier))
        return True

    def _id_repeat(self, what: str, tag: str, record_id: str, number: int, row_hash: str) -> bool:
        """:meth:`_repeat` of node id ``record_id`` (``what``: organization, cluster, project)."""

        def conflict(earlier: Earlier) -> Conflict:
            node = self.state.orgs.node_of(record_id) if tag == "O" else None
            return Conflict(number, f"{what} {record_id!r}", record_id, node or record_id, earlier)

        return self._repeat(f"{tag}\x1f{record_id}", number, row_hash, conflict)

    # --- organizations -------------------------------------------------------------------------------------

    def _organization(
        self, record: OrganizationRecord, file: FileSummary, number: int, row_hash: str
    ) -> Classified:
        clusters = self.state.nodes(Label.CLUSTER)
        for cluster in record.clusters:
            if cluster not in clusters:
                raise _nowhere("clusters", "cluster", cluster)
        orgs = self.state.orgs
        if self._id_repeat("organization", "O", record.id, number, row_hash):
            node = orgs.node_of(record.id) or record.id
            self.tally.merge(Merge(file.file, number, record.id, node, "same id"))
            return Outcome.MERGED, None
        known_before = orgs.node_of(record.id) is not None
        keys = Keys.of(record)
        resolution = orgs.resolve(record, keys)
        prefix, entry = hash_entry(record.id, row_hash)
        if resolution.ambiguous:
            rule = resolution.ambiguous_rule or ""
            self.tally.ambiguity(Ambiguity(file.file, number, record.id, rule, resolution.ambiguous))
        if entry in orgs.hashes:
            return Outcome.UNCHANGED, None
        if known_before:
            outcome = Outcome.UPDATED
        elif resolution.primary:
            outcome = Outcome.ADDED
        else:
            outcome = Outcome.MERGED
            self.tally.merge(Merge(file.file, number, record.id, resolution.node, resolution.rule or ""))
        fresh = outcome is Outcome.ADDED and resolution.node not in orgs.alias
        orgs.remember(record, keys, resolution.node, entry)
        row = writer.organization_row(record, keys, resolution.node, resolution.primary, fresh, prefix, entry)
        return outcome, row

    def _organization_of(self, record_id: str, field_name: str) -> str:
        node = self.state.orgs.node_of(record_id)
        if node is None:
            raise _nowhere(field_name, "organization", record_id)
        return node

    # --- clusters and projects -----------------------------------------------------------------------------

    def _cluster(self, record: ClusterRecord, file: FileSummary, number: int, row_hash: str) -> Classified:
        if self._id_repeat("cluster", "C", record.id, number, row_hash):
            return Outcome.MERGED, None
        outcome = change(self.state.nodes(Label.CLUSTER), record.id, row_hash)
        if record.managed_by:
            self.managers[record.id] = record.managed_by
        return outcome, None if outcome in _SKIPPED else writer.cluster_row(record, row_hash)

    def _project(self, record: ProjectRecord, file: FileSummary, number: int, row_hash: str) -> Classified:
        if self._id_repeat("project", "P", record.id, number, row_hash):
            return Outcome.MERGED, None
        outcome = change(self.state.nodes(Label.PROJECT), record.id, row_hash)
        return outcome, None if outcome in _SKIPPED else writer.project_row(record, row_hash)

    # --- links ---------------------------------------------------------------------------------------------

    def _collaboration(
        self, record: CollaborationRecord, file: FileSummary, number: int, row_hash: str
    ) -> Classified:
        a = self._organization_of(record.source, "source")
        b = self._organization_of(record.target, "target")
        if a == b:
            raise RowRejected(
                "target", f"{record.source!r} and {record.target!r} are the same organization ({a})"
            )
        low, high = sorted((a, b))
        digest = content_hash(row_hash, low, high)
        key = link_key(low, high, record.kind.value)
        known = self.state.links(RelType.COLLABORATES_WITH)
        fresh = key not in known

        def conflict(earlier: Earlier) -> Conflict:
            pair = f"{_named(record.source, a)} and {_named(record.target, b)}"
            subject = f"collaboration ({record.kind.value}) of {pair}"
            return Conflict(number, subject, key, None, earlier, ("source", "target", "kind"))

        outcome = self._change(known, key, digest, f"W\x1f{key}", number, row_hash, conflict)
        return outcome, None if outcome in _SKIPPED else writer.collaboration_row(record, a, b, digest, fresh)

    def _organization_link(
        self,
        link: _OrganizationLink,
        record: MembershipRecord | ParticipationRecord,
        file: FileSummary,
        number: int,
        row_hash: str,
    ) -> Classified:
        """Resolve both ends of a membership or participation row (``link`` says which), classify the change
        and make its row."""
        node = self._organization_of(record.organization, "organization")
        target: str = getattr(record, link.target_field)
        if target not in self.state.nodes(link.target_label):
            raise _nowhere(link.target_field, link.target_label.value.lower(), target)
        digest = content_hash(row_hash, node)
        key = link_key(node, target)
        known = self.state.links(link.rel)
        fresh = key not in known

        def conflict(earlier: Earlier) -> Conflict:
            subject = f"{link.what} of {_named(record.organization, node)} in {link.target_field} {target!r}"
            return Conflict(number, subject, key, None, earlier, ("organization", link.target_field))

        outcome = self._change(known, key, digest, f"{link.tag}\x1f{key}", number, row_hash, conflict)
        return outcome, None if outcome in _SKIPPED else link.row(record, node, digest, fresh)

    def _change(
        self,
        known: dict[str, str | None],
        key: str,
        digest: str,
        run_key: str,
        number: int,
        row_hash: str,
        conflict: Callable[[Earlier], Conflict],
    ) -> Outcome:
        """The outcome of a link row: a repeat of the link within the run is merged, the link with other
        values rejected (:meth:`_repeat`)."""
        if self._repeat(run_key, number, row_hash, conflict):
            return Outcome.MERGED
        return change(known, key, digest)

    # --- rows known unchanged before validation ------------------------------------------------------------

    def unchanged(self, kind: RecordKind, values: Values[str, Any], row_hash: str, number: int) -> bool:
        """Whether a row is known unchanged from its values alone (same key, same content hash as stored;
        ``row_hash`` is its :func:`~ingest.known.row_digest`), so it needs no validation: this is what makes
        a second load of the same files cheap. An id seen before in the run is never unchanged here: it is
        a repeat or a conflict, which validation and :meth:`classify` tell apart."""
        if kind is RecordKind.ORGANIZATIONS:
            record_id = _text(values, "id")
            entry = hash_entry(record_id, row_hash)[1]
            return (
                bool(record_id)
                and entry in self.state.orgs.hashes
                and self._new("O", record_id, number, row_hash)
            )
        if kind in (RecordKind.CLUSTERS, RecordKind.PROJECTS):
            node_id = _text(values, "id")
            label, tag = (Label.CLUSTER, "C") if kind is RecordKind.CLUSTERS else (Label.PROJECT, "P")
            same = self.state.nodes(label).get(node_id) == row_hash
            if not (same and self._new(tag, node_id, number, row_hash)):
                return False
            if kind is RecordKind.CLUSTERS and _text(values, "managed_by"):
                self.managers[node_id] = _text(values, "managed_by")
            return True
        orgs = self.state.orgs
        if kind is RecordKind.COLLABORATIONS:
            a, b = orgs.node_of(_text(values, "source")), orgs.node_of(_text(values, "target"))
            if a is None or b is None:
                return False
            low, high = sorted((a, b))
            key = link_key(low, high, _text(values, "kind").lower() or "joint_project")
            return self._same_link(RelType.COLLABORATES_WITH, "W", key, number, row_hash, low, high)
        node = orgs.node_of(_text(values, "organization"))
        if node is None:
            return False
        link = _MEMBERSHIP if kind is RecordKind.MEMBERSHIPS else _PARTICIPATION
        key = link_key(node, _text(values, link.target_field))
        return self._same_link(link.rel, link.tag, key, number, row_hash, node)

    def _new(self, tag: str, key: str, number: int, row_hash: str) -> bool:
        """Whether id or link ``key`` is new to the run (then remembered at row ``number``)."""
        return self.repeats.first(f"{tag}\x1f{key}", number, row_hash) is None

    def _same_link(self, rel: RelType, tag: str, key: str, number: int, row_hash: str, *ends: str) -> bool:
        """Whether the graph holds link ``key`` with this row's content hash (hashed only for a known key:
        in a first load no link is known), the first time the run sees ``key``."""
        stored = self.state.links(rel).get(key)
        return (
            stored is not None
            and stored == content_hash(row_hash, *ends)
            and self._new(tag, key, number, row_hash)
        )

    # --- after the files -----------------------------------------------------------------------------------

    def manager_rows(self) -> list[Row]:
        """``managed_by`` of the clusters seen in this run, resolved now that the organizations are loaded;
        a manager that exists nowhere is reported in the summary."""
        rows = []
        for cluster, manager in self.managers.items():
            node = self.state.orgs.node_of(manager)
            if node is None:
                self.tally.summary.unresolved_managers.append(f"{cluster}: {manager}")
            else:
                rows.append({"cluster": cluster, "organization": node})
        return rows
