"""The ingest run: plan the files, then stream each through validate -> resolve -> detect changes -> write.

Files load in dependency order (clusters, organizations, memberships, collaborations, projects,
participations), so every link finds its ends. Each row ends in one outcome (see ``ingest.report``); rows
whose content hash the graph already holds are not written again, which makes a second load of the same
files cheap and a killed run resumable: running it again writes only what the killed run had not committed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from collections.abc import Mapping as Values
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from graph.db import Graph
from graph.queries import ingest as q
from ingest import readers, writer
from ingest.known import Known, change, content_hash, link_key, row_digest
from ingest.mapping import Mapping
from ingest.plan import PlannedFile, plan
from ingest.report import Ambiguity, FileSummary, Merge, Outcome, Reject, RejectWriter, Summary
from ingest.resolve import DEFAULT_RULES, Keys, hash_entry
from schema.errors import IngestError
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

log = logging.getLogger(__name__)

MAX_REPORTED = 10_000  # rejects / merges kept in the in-memory summary; the reject file gets every one


class Progress(Protocol):
    """What a run tells a progress display (the CLI's rich bar); rows are input rows of the current file."""

    def start_file(self, file: str, kind: RecordKind) -> None: ...

    def advance(self, rows: int) -> None: ...


def _text(values: Values[str, Any], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value).strip()


def _errors(error: ValidationError) -> list[tuple[str, str]]:
    out = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(row)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "required field is missing or empty"
        elif item["type"] == "extra_forbidden":
            message = "not a field of this kind"
        out.append((where, message))
    return out


_SKIPPED = frozenset({Outcome.UNCHANGED, Outcome.MERGED})  # outcomes of rows that write nothing


class _Reject(Exception):
    """A row refers to something that exists nowhere; carries the field and reason."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


class Run:
    """One call of :func:`load`: counts, reports and writes as rows stream by."""

    def __init__(
        self,
        graph: Graph | None,
        *,
        dry_run: bool,
        batch_size: int,
        rules: tuple[str, ...],
        rejects: Path | None,
        progress: Progress | None,
    ) -> None:
        self.graph = graph
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.state = Known(graph, rules)
        self.at = dt.datetime.now(dt.UTC)
        self.summary = Summary(run_id=f"{self.at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", dry_run=dry_run)
        self.reject_file = RejectWriter(rejects) if rejects else None
        self.progress = progress
        self.managers: dict[str, str] = {}
        # Keys written in this run: a later row with the same key is folded into the first ("merged",
        # not written), so duplicates in a registry cannot flip a node back and forth between loads.
        self.seen: set[str] = set()

    def _first(self, key: str) -> bool:
        """Whether ``key`` turns up for the first time in this run."""
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    # --- rows -> outcomes ----------------------------------------------------------------------------------

    def _organization(self, record: OrganizationRecord, file: FileSummary, number: int, row_hash: str) -> Any:
        clusters = self.state.nodes(Label.CLUSTER)
        for cluster in record.clusters:
            if cluster not in clusters:
                raise _Reject(
                    "clusters", f"cluster {cluster!r} exists nowhere (not in the graph, not loaded)"
                )
        orgs = self.state.orgs
        if not self._first(f"O\x1f{record.id}"):
            node = orgs.node_of(record.id) or record.id
            self._keep(self.summary.merges, Merge(file.file, number, record.id, node, "same id"))
            return Outcome.MERGED, None
        known_before = orgs.node_of(record.id) is not None
        keys = Keys.of(record)
        resolution = orgs.resolve(record, keys)
        prefix, entry = hash_entry(record.id, row_hash)
        if resolution.ambiguous:
            self._keep(
                self.summary.ambiguities,
                Ambiguity(
                    file.file, number, record.id, resolution.ambiguous_rule or "", resolution.ambiguous
                ),
            )
        if entry in orgs.hashes:
            return Outcome.UNCHANGED, None
        if known_before:
            outcome = Outcome.UPDATED
        elif resolution.primary:
            outcome = Outcome.ADDED
        else:
            outcome = Outcome.MERGED
            self._keep(
                self.summary.merges,
                Merge(file.file, number, record.id, resolution.node, resolution.rule or ""),
            )
        fresh = outcome is Outcome.ADDED and resolution.node not in orgs.alias
        orgs.remember(record, keys, resolution.node, entry)
        row = writer.organization_row(record, keys, resolution.node, resolution.primary, fresh, prefix, entry)
        return outcome, row

    def _organization_of(self, record_id: str, field_name: str) -> str:
        node = self.state.orgs.node_of(record_id)
        if node is None:
            raise _Reject(
                field_name, f"organization {record_id!r} exists nowhere (not in the graph, not loaded)"
            )
        return node

    def _known(self, label: Label, record_id: str, field_name: str) -> None:
        if record_id not in self.state.nodes(label):
            raise _Reject(
                field_name,
                f"{label.value.lower()} {record_id!r} exists nowhere (not in the graph, not loaded)",
            )

    def _cluster(self, record: ClusterRecord, file: FileSummary, number: int, row_hash: str) -> Any:
        outcome = self._change(self.state.nodes(Label.CLUSTER), f"C\x1f{record.id}", record.id, row_hash)
        if record.managed_by:
            self.managers[record.id] = record.managed_by
        return outcome, None if outcome in _SKIPPED else writer.cluster_row(record, row_hash)

    def _project(self, record: ProjectRecord, file: FileSummary, number: int, row_hash: str) -> Any:
        outcome = self._change(self.state.nodes(Label.PROJECT), f"P\x1f{record.id}", record.id, row_hash)
        return outcome, None if outcome in _SKIPPED else writer.project_row(record, row_hash)

    def _membership(self, record: MembershipRecord, file: FileSummary, number: int, row_hash: str) -> Any:
        node, digest, fresh, outcome = self._organization_link(
            record.organization, Label.CLUSTER, record.cluster, "cluster", RelType.MEMBER_OF, "M", row_hash
        )
        return outcome, None if outcome in _SKIPPED else writer.membership_row(record, node, digest, fresh)

    def _collaboration(
        self, record: CollaborationRecord, file: FileSummary, number: int, row_hash: str
    ) -> Any:
        a = self._organization_of(record.source, "source")
        b = self._organization_of(record.target, "target")
        if a == b:
            raise _Reject(
                "target", f"{record.source!r} and {record.target!r} are the same organization ({a})"
            )
        low, high = sorted((a, b))
        digest = content_hash(row_hash, low, high)
        key = link_key(low, high, record.kind.value)
        known = self.state.links(RelType.COLLABORATES_WITH)
        fresh = key not in known
        outcome = self._change(known, f"W\x1f{key}", key, digest)
        return outcome, None if outcome in _SKIPPED else writer.collaboration_row(record, a, b, digest, fresh)

    def _participation(
        self, record: ParticipationRecord, file: FileSummary, number: int, row_hash: str
    ) -> Any:
        node, digest, fresh, outcome = self._organization_link(
            record.organization,
            Label.PROJECT,
            record.project,
            "project",
            RelType.PARTICIPATES_IN,
            "I",
            row_hash,
        )
        return outcome, None if outcome in _SKIPPED else writer.participation_row(record, node, digest, fresh)

    def _organization_link(
        self,
        organization: str,
        target_label: Label,
        target: str,
        target_field: str,
        rel: RelType,
        tag: str,
        row_hash: str,
    ) -> tuple[str, str, bool, Outcome]:
        """Resolve both ends of an organization -> cluster/project link and classify the change:
        ``(organization node id, content hash, whether the link is new, outcome)``."""
        node = self._organization_of(organization, "organization")
        self._known(target_label, target, target_field)
        digest = content_hash(row_hash, node)
        key = link_key(node, target)
        known = self.state.links(rel)
        fresh = key not in known
        return node, digest, fresh, self._change(known, f"{tag}\x1f{key}", key, digest)

    def _unchanged(self, kind: RecordKind, values: Values[str, Any], row_hash: str) -> bool:
        """Whether a row is known unchanged from its values alone (same key, same content hash as stored;
        ``row_hash`` is its :func:`row_digest`), so it needs no validation: this is what makes a second
        load of the same files cheap."""
        if kind is RecordKind.ORGANIZATIONS:
            record_id = _text(values, "id")
            entry = hash_entry(record_id, row_hash)[1]
            return bool(record_id) and entry in self.state.orgs.hashes and self._first(f"O\x1f{record_id}")
        if kind in (RecordKind.CLUSTERS, RecordKind.PROJECTS):
            node_id = _text(values, "id")
            if kind is RecordKind.CLUSTERS and _text(values, "managed_by"):
                self.managers[node_id] = _text(values, "managed_by")
            label, tag = (Label.CLUSTER, "C") if kind is RecordKind.CLUSTERS else (Label.PROJECT, "P")
            same = self.state.nodes(label).get(node_id) == row_hash
            return same and self._first(f"{tag}\x1f{node_id}")
        orgs = self.state.orgs
        if kind is RecordKind.COLLABORATIONS:
            a, b = orgs.node_of(_text(values, "source")), orgs.node_of(_text(values, "target"))
            if a is None or b is None:
                return False
            low, high = sorted((a, b))
            key = link_key(low, high, _text(values, "kind").lower() or "joint_project")
            return self._same_link(RelType.COLLABORATES_WITH, "W", key, row_hash, low, high)
        node = orgs.node_of(_text(values, "organization"))
        if node is None:
            return False
        if kind is RecordKind.MEMBERSHIPS:
            key = link_key(node, _text(values, "cluster"))
            return self._same_link(RelType.MEMBER_OF, "M", key, row_hash, node)
        key = link_key(node, _text(values, "project"))
        return self._same_link(RelType.PARTICIPATES_IN, "I", key, row_hash, node)

    def _same_link(self, rel: RelType, tag: str, key: str, row_hash: str, *ends: str) -> bool:
        """Whether the graph holds link ``key`` with this row's content hash (hashed only for a known key:
        in a first load no link is known), the first time the run sees ``key``."""
        stored = self.state.links(rel).get(key)
        return (
            stored is not None and stored == content_hash(row_hash, *ends) and self._first(f"{tag}\x1f{key}")
        )

    def _change(self, known: dict[str, str | None], run_key: str, key: str, digest: str) -> Outcome:
        """The outcome of a cluster, project or link row; a repeat of a key within the run is merged."""
        if not self._first(run_key):
            return Outcome.MERGED
        return change(known, key, digest)

    # --- files ---------------------------------------------------------------------------------------------

    def _keep(self, items: list[Any], item: Any) -> None:
        if len(items) < MAX_REPORTED:
            items.append(item)

    def _reject(self, file: FileSummary, number: int, problems: list[tuple[str, str]]) -> None:
        file.count(Outcome.REJECTED)
        for field_name, reason in problems:
            reject = Reject(file.file, number, field_name, reason)
            self._keep(self.summary.rejects, reject)
            if self.reject_file:
                self.reject_file.write(reject)

    def load_file(self, planned: PlannedFile, out: writer.Writer) -> FileSummary:
        kind = planned.kind
        file = FileSummary(
            file=str(planned.path),
            kind=kind,
            source=planned.source,
            format=planned.fmt.format + (".gz" if planned.fmt.compressed else ""),
            encoding=planned.fmt.encoding,
            ignored_columns=planned.ignored,
            mapping=planned.mapping.origin,
        )
        self.summary.files.append(file)
        handlers: dict[RecordKind, Callable[[Any, FileSummary, int, str], Any]] = {
            RecordKind.CLUSTERS: self._cluster,
            RecordKind.ORGANIZATIONS: self._organization,
            RecordKind.MEMBERSHIPS: self._membership,
            RecordKind.COLLABORATIONS: self._collaboration,
            RecordKind.PROJECTS: self._project,
            RecordKind.PARTICIPATIONS: self._participation,
        }
        handle = handlers[kind]
        model = kind.model
        started = time.perf_counter()
        rows: list[dict[str, Any]] = []
        records: list[Any] = []
        pending = 0
        if self.progress:
            self.progress.start_file(file.file, kind)

        def flush() -> None:
            nonlocal rows, records, pending
            if rows:
                self._write(kind, out, rows, records)
            if self.progress and pending:
                self.progress.advance(pending)
            rows, records, pending = [], [], 0

        for row in readers.read(planned.path, planned.fmt):
            pending += 1
            if row.error:
                self._reject(file, row.number, [("(row)", row.error)])
                continue
            values, templated = planned.mapping.apply(row.values, planned.allowed)
            digest = row_digest(values)
            if self._unchanged(kind, values, digest):
                file.count(Outcome.UNCHANGED)
                if templated:
                    file.templated.update(templated)
                if pending >= self.batch_size:
                    flush()
                continue
            try:
                record = model.model_validate(values)
                outcome, prepared = handle(record, file, row.number, digest)
            except ValidationError as e:
                self._reject(file, row.number, _errors(e))
                continue
            except _Reject as e:
                self._reject(file, row.number, [(e.field, e.reason)])
                continue
            file.count(outcome)
            if templated:
                file.templated.update(templated)
            if prepared is not None:
                rows.append(prepared)
                records.append(record)
                if len(rows) >= self.batch_size:
                    flush()
            elif pending >= self.batch_size:
                flush()
        flush()
        out.drain()  # the file's time includes writing its last batches, not only queueing them
        file.seconds = time.perf_counter() - started
        log.info(
            "%s (%s): %d rows: %s",
            file.file,
            kind.value,
            file.rows,
            ", ".join(f"{n} {o.value}" for o, n in file.outcomes.items() if n),
        )
        return file

    def _write(
        self, kind: RecordKind, out: writer.Writer, rows: list[dict[str, Any]], records: list[Any]
    ) -> None:
        if kind is RecordKind.ORGANIZATIONS:
            out.organizations(rows, records)
        elif kind is RecordKind.CLUSTERS:
            out.clusters(rows)
        elif kind is RecordKind.MEMBERSHIPS:
            out.memberships(rows)
        elif kind is RecordKind.COLLABORATIONS:
            out.collaborations(rows)
        elif kind is RecordKind.PROJECTS:
            out.projects(rows)
        else:
            out.participations(rows)

    def link_managers(self, out: writer.Writer) -> None:
        """``managed_by`` of the clusters loaded in this run, once the organizations are there."""
        rows = []
        for cluster, manager in self.managers.items():
            node = self.state.orgs.node_of(manager)
            if node is None:
                self.summary.unresolved_managers.append(f"{cluster}: {manager}")
            else:
                rows.append({"cluster": cluster, "organization": node})
        out.managers(rows)


def load(
    graph: Graph | None,
    paths: Iterable[Path | str],
    *,
    mapping: Mapping | Path | str | None = None,
    source: str | None = None,
    kind: RecordKind | str | None = None,
    rejects: Path | str | None = None,
    dry_run: bool = False,
    batch_size: int = 5000,
    writers: int = 2,
    rules: tuple[str, ...] = DEFAULT_RULES,
    derive_collaborations: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Load registry files into the graph and say what happened to every row.

    ``graph`` may be ``None`` only for a dry run (then resolution sees only this run's files). ``rules`` are
    the entity-resolution keys in the order tried (``registry_id``, ``vat``, ``domain``, ``name_city``).
    ``derive_collaborations`` adds ``COLLABORATES_WITH {kind: 'joint_project'}`` between organizations that
    share a project of 2 to 30 participants, dated by the first shared project's start. ``writers`` write
    transactions run at once (see ``ingest.writer.BackgroundSender``).
    """
    if graph is None and not dry_run:
        raise IngestError("a graph is needed unless this is a dry run")
    unknown_rules = set(rules) - set(DEFAULT_RULES)
    if unknown_rules:
        raise IngestError(f"unknown resolution keys {sorted(unknown_rules)}; use {list(DEFAULT_RULES)}")
    started = time.perf_counter()
    files = plan(paths, mapping=mapping, kind=kind, source=source)
    run = Run(
        graph,
        dry_run=dry_run,
        batch_size=batch_size,
        rules=rules,
        rejects=Path(rejects) if rejects else None,
        progress=progress,
    )
    summary = run.summary
    target = None if dry_run else graph
    sender = writer.BackgroundSender(target, writers=writers) if target is not None else None
    out = writer.Writer(sender, writer.Writer.provenance("", "", summary.run_id, run.at))
    if target is not None:
        target.run(
            q.START_RUN,
            run_id=summary.run_id,
            at=run.at,
            sources=sorted({f.source for f in files}),
            files=[str(f.path) for f in files],
            file_hashes=[f.hash for f in files],
        )
    status = "failed"
    try:
        for planned in files:
            file_out = out.for_file(planned.source, planned.hash)
            run.load_file(planned, file_out)
        run.link_managers(out.for_file("", ""))
        out.drain()
        if derive_collaborations and target is not None:
            changed = any(
                f.outcomes[Outcome.ADDED] + f.outcomes[Outcome.UPDATED]
                for f in summary.files
                if f.kind in (RecordKind.PROJECTS, RecordKind.PARTICIPATIONS)
            )
            existing = int(target.run(q.COUNT_DERIVED)[0]["count"])
            summary.derived_collaborations = (
                derive_joint_projects(target, out.for_file("derived", "").prov)
                if changed or not existing
                else existing
            )
        status = "completed"
    finally:
        if sender is not None:
            sender.close()
        summary.seconds = time.perf_counter() - started
        if run.reject_file:
            run.reject_file.close()
        if target is not None:
            target.run(
                q.FINISH_RUN,
                run_id=summary.run_id,
                counts=summary.counts(),
                status=status,
                at=dt.datetime.now(dt.UTC),
            )
    return summary


def derive_joint_projects(
    graph: Graph, prov: Values[str, Any], *, smallest: int = 2, largest: int = 30
) -> int:
    """``COLLABORATES_WITH {kind: 'joint_project'}`` between every two organizations sharing a project of
    ``smallest`` to ``largest`` participants, dated by their first shared project's start, weighted by the
    number of shared projects. Idempotent; returns how many such links the graph holds."""
    graph.run_autocommit(q.COUNT_PARTICIPANTS)
    graph.run_autocommit(
        q.DERIVE_JOINT_PROJECTS, min_participants=smallest, max_participants=largest, prov=prov
    )
    return int(graph.run(q.COUNT_DERIVED)[0]["count"])
