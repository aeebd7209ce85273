"""The ingest run: plan the files, then stream each through validate -> resolve -> detect changes -> write.

Files load in dependency order (clusters, organizations, memberships, collaborations, projects,
participations), so every link finds its ends. Each row ends in one outcome (see ``ingest.report``); rows
whose content hash the graph already holds are not written again, which makes a second load of the same
files cheap and a killed run resumable: running it again writes only what the killed run had not committed.

The parts, in the order a row meets them: ``ingest.plan`` (planning), ``ingest.stream`` (reading a file),
``ingest.outcomes`` (resolving a row), ``ingest.writer`` (writing), ``ingest.report`` (reporting).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as Values
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from graph.db import Graph
from graph.queries.ingest import derived_links as q
from ingest import writer
from ingest.known import Known
from ingest.mapping import Mapping
from ingest.outcomes import Outcomes
from ingest.plan import PlannedFile, plan, read_paths
from ingest.report import IngestFailed, Outcome, RejectWriter, Summary, Tally
from ingest.resolve import DEFAULT_RULES, check_rules
from ingest.runs import RunRecord
from ingest.stream import Progress, load_file, load_validated
from schema.errors import FileError, IngestError
from schema.models import RecordKind

__all__ = ["Progress", "derive_joint_projects", "load", "load_records", "open_rejects"]


def load(
    graph: Graph | None,
    paths: Iterable[Path | str],
    *,
    mapping: Mapping | Path | str | None = None,
    source: str | None = None,
    kind: RecordKind | str | None = None,
    rejects: Path | str | RejectWriter | None = None,
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
    transactions run at once (see ``ingest.writer.BackgroundSender``). ``rejects`` is a path, or a reject file
    :func:`open_rejects` opened, which the caller closes.

    A file that cannot be read at all fails the run before anything is written (:class:`FileError`). One
    that stops being readable part way stops the run there: :class:`~ingest.report.IngestFailed` carries the
    summary of exactly what was committed, and the run record says the same. The reject file is replaced
    before planning, so what it holds is this run's even when the run fails before its first row.
    """
    if graph is None and not dry_run:
        raise IngestError("a graph is needed unless this is a dry run")
    started = time.perf_counter()
    given = [Path(path) for path in paths]
    opened: AbstractContextManager[RejectWriter | None] = (
        nullcontext(rejects) if isinstance(rejects, RejectWriter) else open_rejects(rejects, given, mapping)
    )
    with opened as reject_file:
        check_rules(rules)
        files = plan(given, mapping=mapping, kind=kind, source=source)
        entries = [(f.source, str(f.path), f.hash) for f in files]
        target = None if dry_run else graph
        with _Run(
            graph, target, entries, rules=rules, reject_file=reject_file, writers=writers, started=started
        ) as run:
            failure = _load_files(files, run, batch_size, progress)
            if failure is None:
                run.finish_links()
                if derive_collaborations and target is not None:
                    prov = run.out.for_file("derived", "").prov
                    run.summary.derived_collaborations = _derived(target, run.summary, prov)
    if failure is not None:
        raise IngestFailed(failure, run.summary) from failure
    return run.summary


def open_rejects(
    rejects: Path | str | None, paths: Iterable[Path | str], mapping: Mapping | Path | str | None = None
) -> AbstractContextManager[RejectWriter | None]:
    """The reject file of a run of ``paths``, emptied when the run starts: a run that fails before its first
    row (while planning, or reaching no Neo4j, which is why the CLI opens it before connecting) would
    otherwise leave an earlier run's rejects there, to be read as its own. A reject file that the run reads
    is refused before it is emptied."""
    if not rejects:
        return nullcontext()
    _check_rejects(rejects, read_paths([Path(path) for path in paths], mapping))
    return RejectWriter(Path(rejects))


def _load_files(
    files: list[PlannedFile], run: _Run, batch_size: int, progress: Progress | None
) -> FileError | None:
    """Load the files in order; the first that stops being readable stops the run, and the summary says
    where, why and which files were not reached."""
    for number, planned in enumerate(files):
        file_out = run.out.for_file(planned.source, planned.hash)
        try:
            load_file(planned, run.outcomes, run.tally, file_out, batch_size=batch_size, progress=progress)
        except FileError as e:
            run.summary.error = str(e)
            run.summary.not_loaded = [str(f.path) for f in files[number + 1 :]]
            return e
    return None


def load_records(
    graph: Graph,
    kind: RecordKind | str,
    records: Sequence[BaseModel],
    *,
    source: str,
    rules: tuple[str, ...] = DEFAULT_RULES,
    batch_size: int = 5000,
) -> Summary:
    """Load records already validated by ``schema.models`` (the API's upserts) and say what happened to each.

    They go the way the rows of a registry file do (the same entity resolution, change detection, writer,
    provenance and ``:IngestRun``), as if they were one JSONL file of ``source``: the file hash is that of
    their JSONL lines, and a record loaded again is unchanged. Nothing is validated twice; a record whose
    links exist nowhere is rejected in the summary, as a registry row would be.
    """
    kind = RecordKind(kind)
    check_rules(rules)
    lines = [json.dumps(record.model_dump(mode="json")) + "\n" for record in records]
    file_hash = hashlib.sha256("".join(lines).encode()).hexdigest()
    name = f"{source}:{kind.value}"
    entries = [(source, name, file_hash)]
    with _Run(
        graph, graph, entries, rules=rules, reject_file=None, writers=1, started=time.perf_counter()
    ) as run:
        out = run.out.for_file(source, file_hash)
        load_validated(kind, records, name, source, run.outcomes, run.tally, out, batch_size=batch_size)
        run.finish_links()
    return run.summary


def _check_rejects(rejects: Path | str | None, read: list[Path]) -> None:
    """The reject file is opened (emptied) when the run starts: pointed at a file the run reads, it would
    empty that registry before it is read, and the run would load nothing and say it had completed."""
    if rejects is None or not Path(rejects).is_file():
        return
    for path in read:
        if path.is_file() and Path(rejects).samefile(path):
            raise IngestError(
                f"the reject file {rejects} is {path}, which this run reads; write rejects to another file"
            )


class _Run:
    """One ingest run around its files or records: the summary, the outcomes so far, the writer on its
    background threads, and the ``:IngestRun`` (``ingest.runs``) opened before any row and closed after the
    last, whatever happened in between: ``completed``, ``failed`` (a file stopped being readable, or an
    error) or ``interrupted`` (Ctrl-C)."""

    def __init__(
        self,
        graph: Graph | None,
        target: Graph | None,
        entries: list[tuple[str, str, str]],
        *,
        rules: tuple[str, ...],
        reject_file: RejectWriter | None,
        writers: int,
        started: float,
    ) -> None:
        self.started = started  # the run's time includes planning (reading every file's hash)
        self.target = target
        self.entries = entries  # (source, file, file hash) of each file the run loads
        at = dt.datetime.now(dt.UTC)
        self.at = at
        self.summary = Summary(run_id=f"{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", dry_run=target is None)
        self.tally = Tally(self.summary, reject_file)
        self.outcomes = Outcomes(Known(graph, rules), self.tally)
        self.sender = writer.BackgroundSender(target, writers=writers) if target is not None else None
        self.out = writer.Writer(self.sender, writer.Writer.provenance("", "", self.summary.run_id, at))
        self.record = RunRecord(target, self.summary.run_id, at) if target is not None else None

    def __enter__(self) -> _Run:
        if self.record is not None:
            self.record.start(
                sorted({source for source, _, _ in self.entries}),
                [file for _, file, _ in self.entries],
                [file_hash for _, _, file_hash in self.entries],
            )
        return self

    def finish_links(self) -> None:
        """The clusters' managers, once every organization is in; then wait for every write."""
        self.out.for_file("", "").managers(self.outcomes.manager_rows())
        self.out.drain()

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        summary = self.summary
        if error_type is not None and issubclass(error_type, KeyboardInterrupt):
            summary.status = "interrupted"
        elif error_type is not None or summary.error is not None:
            summary.status = "failed"
        else:
            summary.status = "completed"
        if self.sender is not None:
            self.sender.close()
        summary.seconds = time.perf_counter() - self.started
        if self.record is not None:
            self.record.finish(summary.status, summary.counts(), summary.error, summary.not_loaded)


def _derived(graph: Graph, summary: Summary, prov: Values[str, Any]) -> int:
    """Derive the joint-project collaborations again only when this run changed projects or participations
    (or none are derived yet): the derivation walks every project."""
    changed = any(
        f.outcomes[Outcome.ADDED] + f.outcomes[Outcome.UPDATED]
        for f in summary.files
        if f.kind in (RecordKind.PROJECTS, RecordKind.PARTICIPATIONS)
    )
    existing = int(graph.run(q.COUNT_DERIVED)[0]["count"])
    return derive_joint_projects(graph, prov) if changed or not existing else existing


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
