"""Reading one planned file into the graph: read -> map -> skip rows known unchanged -> validate -> resolve
-> batch -> write, one row at a time, so a file is never held whole.

Rows are written in batches of ``batch_size`` on the writer's background threads while the next rows are
read; a file's time ends when its writes are committed, not when its last rows are queued.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

from pydantic import BaseModel, ValidationError

from ingest import readers, writer
from ingest.known import row_digest
from ingest.mapping import IDENTITY, TemplateTooLong
from ingest.outcomes import Outcomes, RowConflict, RowRejected
from ingest.plan import PlannedFile
from ingest.repeats import Conflicts, rows_of
from ingest.report import FileSummary, Merge, Outcome, Tally
from schema.errors import FileError
from schema.models import RecordKind

log = logging.getLogger(__name__)


class Progress(Protocol):
    """What a run tells a progress display (the CLI's rich bar); rows are input rows of the current file."""

    def start_file(self, file: str, kind: RecordKind) -> None: ...

    def advance(self, rows: int) -> None: ...


def validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    """``(field, reason)`` of each of pydantic's errors, in words a data team can act on."""
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


def _summary(planned: PlannedFile) -> FileSummary:
    return FileSummary(
        file=str(planned.path),
        kind=planned.kind,
        source=planned.source,
        format=planned.fmt.format + (".gz" if planned.fmt.compressed else ""),
        encoding=planned.fmt.encoding,
        ignored_columns=planned.ignored,
        mapping=planned.mapping.origin,
    )


class _Batch:
    """The rows waiting to be written, and the input rows read since the progress display last heard."""

    def __init__(self, kind: RecordKind, out: writer.Writer, progress: Progress | None) -> None:
        self.kind, self.out, self.progress = kind, out, progress
        self.rows: list[dict[str, Any]] = []
        self.records: list[Any] = []
        self.pending = 0
        self.conflicts = Conflicts()  # rows whose id or link an earlier row holds with other values

    def flush(self) -> None:
        if self.rows:
            self.out.write(self.kind, self.rows, self.records)
        if self.progress and self.pending:
            self.progress.advance(self.pending)
        self.rows, self.records, self.pending = [], [], 0


def load_file(
    planned: PlannedFile,
    outcomes: Outcomes,
    tally: Tally,
    out: writer.Writer,
    *,
    batch_size: int,
    progress: Progress | None = None,
) -> FileSummary:
    """Load one file; every row ends in exactly one outcome of the returned summary."""
    file = _summary(planned)
    if progress:
        progress.start_file(file.file, planned.kind)

    def rows() -> Iterator[_Item]:
        for row in readers.read(planned.path, planned.fmt):
            if row.error:
                yield _Item(row.number, row.error, {}, [], None)
                continue
            try:
                values, templated = planned.mapping.apply(row.values, planned.allowed)
            except TemplateTooLong as e:
                yield _Item(row.number, e.reason, {}, [], None, e.field)
                continue
            yield _Item(row.number, "", values, templated, None)

    def reread(wanted: Iterable[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        found = rows_of(((item.number, item.values) for item in rows() if not item.error), wanted)
        return ((number, _validated(planned.kind, values)) for number, values in found)

    outcomes.repeats.start(file.file, reread)
    _load(file, rows(), outcomes, tally, _Batch(planned.kind, out, progress), batch_size)
    if not file.rows:  # a header alone, or a JSON array of nothing: it loaded "0 rows" without a word
        file.warnings.append(NO_ROWS)
        log.warning("%s (%s): %s", file.file, file.kind.value, NO_ROWS)
    return file


NO_ROWS = "holds no rows: nothing is loaded from it"
"""The warning of a registry file read to its end without a row, in the log and in the run's summary."""


def load_validated(
    kind: RecordKind,
    records: Sequence[BaseModel],
    name: str,
    source: str,
    outcomes: Outcomes,
    tally: Tally,
    out: writer.Writer,
    *,
    batch_size: int,
) -> FileSummary:
    """Load records already validated by ``kind``'s model as the rows of a file called ``name``; their
    values are what reading them back from JSONL would give, so a record loaded again is unchanged."""
    file = FileSummary(file=name, kind=kind, source=source, format="records")
    allowed = frozenset(kind.model.model_fields)

    def values(record: BaseModel) -> dict[str, Any]:
        return IDENTITY.apply(record.model_dump(mode="json"), allowed)[0]

    items = (_Item(number, "", values(record), [], record) for number, record in enumerate(records, start=1))
    outcomes.repeats.start(name, lambda wanted: ((n, records[n - 1].model_dump(mode="json")) for n in wanted))
    return _load(file, items, outcomes, tally, _Batch(kind, out, None), batch_size)


class _Item(NamedTuple):
    """One input row: its number, why it cannot be read (or ""), its canonical values, the fields a template
    filled, its record when it is already validated, and the field ``error`` is about."""

    number: int
    error: str
    values: dict[str, Any]
    templated: list[str]
    record: BaseModel | None
    error_field: str = "(row)"


def _load(
    file: FileSummary,
    items: Iterable[_Item],
    outcomes: Outcomes,
    tally: Tally,
    batch: _Batch,
    batch_size: int,
) -> FileSummary:
    """Every item to its outcome, written in batches. A file that stops being readable part way raises
    :class:`FileError` once the rows read before are written, so the counts of its summary (``error`` says
    where and why it stopped) are exactly what was committed; the same holds when the run is interrupted
    (Ctrl-C)."""
    tally.summary.files.append(file)
    started = time.perf_counter()
    try:
        _take(file, items, outcomes, tally, batch, batch_size)
    except (FileError, KeyboardInterrupt) as e:
        if isinstance(e, FileError):
            file.error = f"{e.position}: {e.reason}"
        else:  # said at once: writing what was read takes a while, during which a person presses Ctrl-C again
            log.warning("interrupted (Ctrl-C): writing the rows read so far, then stopping")
        _finish(file, batch, started, outcomes)
        raise
    _finish(file, batch, started, outcomes)
    return file


def _take(
    file: FileSummary,
    items: Iterable[_Item],
    outcomes: Outcomes,
    tally: Tally,
    batch: _Batch,
    batch_size: int,
) -> None:
    kind = file.kind
    for item in items:
        batch.pending += 1
        if item.error:
            tally.reject(file, item.number, [(item.error_field, item.error)])
            continue
        digest = row_digest(item.values)
        if outcomes.unchanged(kind, item.values, digest, item.number):
            file.count(Outcome.UNCHANGED)
            if item.templated:
                file.templated.update(item.templated)
            if batch.pending >= batch_size:
                batch.flush()
            continue
        try:
            record = item.record or kind.model.model_validate(item.values)
            outcome, prepared = outcomes.classify(kind, record, file, item.number, digest)
        except ValidationError as e:
            tally.reject(file, item.number, validation_problems(e))
            continue
        except RowConflict as e:
            batch.conflicts.add(e.conflict)  # rejected once the file is read: ``_finish``
            continue
        except RowRejected as e:
            tally.reject(file, item.number, [(e.field, e.reason)])
            continue
        file.count(outcome)
        if item.templated:
            file.templated.update(item.templated)
        if prepared is not None:
            batch.rows.append(prepared)
            batch.records.append(record)
            if len(batch.rows) >= batch_size:
                batch.flush()
        elif batch.pending >= batch_size:
            batch.flush()


def _finish(file: FileSummary, batch: _Batch, started: float, outcomes: Outcomes) -> None:
    """Write the last batch and wait for every write of the file: its time and counts end there. Rows
    whose id or link an earlier row holds with other values are rejected here, the fields that differ read
    again."""
    if batch.conflicts:
        for conflict, problems in outcomes.repeats.explain(batch.conflicts):
            if problems:
                outcomes.tally.reject(file, conflict.row, problems)
            else:
                file.count(Outcome.MERGED)
                if conflict.node is not None:  # a repeated id; a repeated link is merged into no node
                    merge = Merge(file.file, conflict.row, conflict.record, conflict.node, "same id")
                    outcomes.tally.merge(merge)
        batch.conflicts = Conflicts()
    batch.flush()
    batch.out.drain()
    file.seconds = time.perf_counter() - started
    if not file.rows and not file.error:
        return  # nothing to count: said as a warning (``_load``), or the run was interrupted
    log.info(
        "%s (%s): %s rows: %s%s",
        file.file,
        file.kind.value,
        f"{file.rows:,}",
        ", ".join(f"{n:,} {o.value}" for o, n in file.outcomes.items() if n),
        f"; stopped at {file.error}" if file.error else "",
    )


def _validated(kind: RecordKind, values: dict[str, Any]) -> dict[str, Any]:
    """A row's values as its record holds them (so ``12`` and ``"12"`` compare equal), or as read when they
    no longer validate."""
    try:
        return kind.model.model_validate(values).model_dump(mode="json")
    except ValidationError:
        return values
