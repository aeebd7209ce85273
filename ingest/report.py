"""What a run reports: per-file counts that add up to the input, merges, ambiguities, and the reject file.

Every input row ends in exactly one outcome: ``added``, ``updated``, ``unchanged`` (together: loaded),
``merged`` (folded into an organization first created from another record, or a repeat of an id or link
the run already holds with the same values) or ``rejected``.

A run ends ``completed``, ``failed`` (a file stopped being readable: the counts are what it committed, since
the rows read before the failure are written before the run stops) or ``interrupted`` (Ctrl-C; a run killed
outright is marked so by the next run).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from schema.errors import FileError, IngestError, naming
from schema.models import RecordKind

MAX_REPORTED = 10_000
"""Rejects, merges and ambiguities kept in the in-memory summary; the reject file gets every reject."""


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    MERGED = "merged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Reject:
    """One bad row: where it is, which field, and why, in words a data team can act on."""

    file: str
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class Merge:
    """A record that became part of another node, and the rule that matched it."""

    file: str
    row: int
    record: str
    node: str
    rule: str


@dataclass(frozen=True)
class Ambiguity:
    """A record that matched several existing nodes on one rule: loaded as its own node, not merged."""

    file: str
    row: int
    record: str
    rule: str
    candidates: tuple[str, ...]


@dataclass
class FileSummary:
    """Counts of one file. ``rows`` always equals the sum of the outcomes."""

    file: str
    kind: RecordKind
    source: str
    format: str = ""
    encoding: str = ""
    mapping: str = ""
    rows: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    templated: Counter[str] = field(default_factory=Counter)
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None  # where and why the file stopped being readable
    warnings: list[str] = field(default_factory=list)  # what the run loaded, but looks amiss (no rows)

    def count(self, outcome: Outcome, n: int = 1) -> None:
        self.outcomes[outcome] += n
        self.rows += n

    @property
    def loaded(self) -> int:
        return sum(self.outcomes[o] for o in (Outcome.ADDED, Outcome.UPDATED, Outcome.UNCHANGED))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind.value,
            "source": self.source,
            "format": self.format,
            "encoding": self.encoding,
            "mapping": self.mapping,
            "rows": self.rows,
            **{o.value: self.outcomes[o] for o in Outcome},
            "loaded": self.loaded,
            "templated": dict(self.templated),
            "ignored_columns": self.ignored_columns,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "warnings": self.warnings,
        }


@dataclass
class Summary:
    """The result of :func:`ingest.load`: one entry per file, plus every merge, ambiguity and reject."""

    run_id: str
    dry_run: bool = False
    files: list[FileSummary] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    ambiguities: list[Ambiguity] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    derived_collaborations: int | None = None
    unresolved_managers: list[str] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "completed"
    error: str | None = None
    not_loaded: list[str] = field(default_factory=list)  # files a failed run did not reach

    def total(self, outcome: Outcome) -> int:
        return sum(f.outcomes[outcome] for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, **{o.value: self.total(o) for o in Outcome}}

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "status": self.status,
            "error": self.error,
            "not_loaded": self.not_loaded,
            **self.counts(),
            "seconds": round(self.seconds, 3),
            "files": [f.as_dict() for f in self.files],
            "merges": [asdict(m) for m in self.merges],
            "ambiguities": [asdict(a) for a in self.ambiguities],
            "rejects": [asdict(r) for r in self.rejects],
            "derived_collaborations": self.derived_collaborations,
            "unresolved_managers": self.unresolved_managers,
        }


class IngestFailed(IngestError):
    """A file stopped being readable part way: the run stopped there. ``summary`` counts exactly what the
    run committed (every row read before the failure is written first), and the run record says the same."""

    def __init__(self, error: FileError, summary: Summary) -> None:
        written = "nothing written" if summary.dry_run else "what was committed is counted in the summary"
        left = f"; not loaded: {', '.join(summary.not_loaded)}" if summary.not_loaded else ""
        super().__init__(f"{error}. The run stopped there ({written}{left})")
        self.error = error
        self.summary = summary


class RejectWriter:
    """Streams rejects to a CSV or JSONL file as they happen (``.jsonl`` / ``.json`` suffix: JSONL), so a run
    that stops half way still leaves its report. A write that fails (no space left, a device that takes no
    data) names the file (``schema.errors.naming``)."""

    FIELDS = ("file", "row", "field", "reason")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.jsonl = path.suffix.lower() in {".jsonl", ".json"}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._csv = None if self.jsonl else csv.writer(self._handle)
        if self._csv:
            with naming(self.path):  # written through at once: a full disk stops the run before it starts
                self._csv.writerow(self.FIELDS)
                self._handle.flush()

    def write(self, reject: Reject) -> None:
        with naming(self.path):
            if self._csv:
                self._csv.writerow(
                    [_cell(reject.file), reject.row, _cell(reject.field), _cell(reject.reason)]
                )
            else:
                self._handle.write(json.dumps(asdict(reject), ensure_ascii=False) + "\n")
            self._handle.flush()

    def __enter__(self) -> RejectWriter:
        return self

    def __exit__(self, *_: object) -> None:
        with naming(self.path):
            self._handle.close()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV injection")."""


def _cell(text: str) -> str:
    """A text cell of the CSV reject report, safe to open in a spreadsheet: one that would start a formula
    (a file named ``=HYPERLINK(...).csv`` is named in every reject of it) gets a leading ``'``, which
    spreadsheets show as text and hide. The JSONL report keeps every text as it is."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Tally:
    """Where a run notes what happened beside the counts: merges, ambiguities and rejects go into the summary
    (each list capped at :data:`MAX_REPORTED`, so a bad registry of millions of rows cannot fill the
    memory), and every reject into the reject file when the run has one."""

    def __init__(self, summary: Summary, reject_file: RejectWriter | None) -> None:
        self.summary = summary
        self.reject_file = reject_file

    @staticmethod
    def _keep(items: list[Any], item: Any) -> None:
        if len(items) < MAX_REPORTED:
            items.append(item)

    def merge(self, merge: Merge) -> None:
        self._keep(self.summary.merges, merge)

    def ambiguity(self, ambiguity: Ambiguity) -> None:
        self._keep(self.summary.ambiguities, ambiguity)

    def reject(self, file: FileSummary, number: int, problems: list[tuple[str, str]]) -> None:
        """Row ``number`` of ``file`` is rejected, for each ``(field, reason)`` of ``problems``."""
        file.count(Outcome.REJECTED)
        for field_name, reason in problems:
            reject = Reject(file.file, number, field_name, reason)
            self._keep(self.summary.rejects, reject)
            if self.reject_file:
                self.reject_file.write(reject)
