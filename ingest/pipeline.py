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
import time
import uuid
from collections.abc import Iterable
from collections.abc import Mapping as Values
from pathlib import Path
from typing import Any

from graph.db import Graph
from graph.queries import ingest as q
from ingest import writer
from ingest.known import Known
from ingest.mapping import Mapping
from ingest.outcomes import Outcomes
from ingest.plan import PlannedFile, plan
from ingest.report import Outcome, RejectWriter, Summary, Tally
from ingest.resolve import DEFAULT_RULES
from ingest.stream import Progress, load_file
from schema.errors import IngestError
from schema.models import RecordKind

__all__ = ["Progress", "derive_joint_projects", "load"]


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
    at = dt.datetime.now(dt.UTC)
    summary = Summary(run_id=f"{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", dry_run=dry_run)
    tally = Tally(summary, RejectWriter(Path(rejects)) if rejects else None)
    outcomes = Outcomes(Known(graph, rules), tally)
    target = None if dry_run else graph
    sender = writer.BackgroundSender(target, writers=writers) if target is not None else None
    out = writer.Writer(sender, writer.Writer.provenance("", "", summary.run_id, at))
    if target is not None:
        _start_run(target, summary.run_id, at, files)
    status = "failed"
    try:
        for planned in files:
            file_out = out.for_file(planned.source, planned.hash)
            load_file(planned, outcomes, tally, file_out, batch_size=batch_size, progress=progress)
        out.for_file("", "").managers(outcomes.manager_rows())
        out.drain()
        if derive_collaborations and target is not None:
            summary.derived_collaborations = _derived(target, summary, out.for_file("derived", "").prov)
        status = "completed"
    finally:
        if sender is not None:
            sender.close()
        summary.seconds = time.perf_counter() - started
        tally.close()
        if target is not None:
            target.run(
                q.FINISH_RUN,
                run_id=summary.run_id,
                counts=summary.counts(),
                status=status,
                at=dt.datetime.now(dt.UTC),
            )
    return summary


def _start_run(graph: Graph, run_id: str, at: dt.datetime, files: list[PlannedFile]) -> None:
    """The run's ``:IngestRun`` and its ``:Source`` s, written before any row, so a killed run leaves a
    trace of what it was loading."""
    graph.run(
        q.START_RUN,
        run_id=run_id,
        at=at,
        sources=sorted({f.source for f in files}),
        files=[str(f.path) for f in files],
        file_hashes=[f.hash for f in files],
    )


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
