"""What the commands say in words a user reads: the snapshot's log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from graph.db import Graph
from ingest import load
from matching import snapshot
from schema.settings import Settings
from tests.utils.registry import write_csv


def _orgs(folder: Path, ids: range) -> Path:
    rows = [{"id": f"O{i}", "name": f"Org {i}", "role": "firm", "city": "Linz"} for i in ids]
    return write_csv(folder / f"orgs-{ids.stop}.csv", rows)


def test_the_snapshot_log_line_says_what_changed_in_counts(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``tune`` (and a server's first request) logged ``reading the collaboration snapshot (graph changed:
    {'organizations': 3, 'links': 0, …})``: the line says the graph in counts, and a later read what
    changed since the held one was read."""
    settings = neo4j_settings.model_copy(update={"cache_dir": tmp_path / "cache"})
    snapshot._SNAPSHOTS.clear()  # none held: the first read describes the graph
    load(graph, [_orgs(tmp_path, range(3))])
    caplog.set_level(logging.INFO, logger="matching.snapshot")
    snapshot.current(graph, settings)
    load(graph, [_orgs(tmp_path, range(5))])
    snapshot.current(graph, settings)
    said = [r.getMessage() for r in caplog.records if "collaboration snapshot" in r.getMessage()]
    assert said == [
        "reading the collaboration snapshot of 3 organizations, 0 collaborations, 0 project participations, "
        "1 ingest run, 0 answered suggestions",
        "reading the collaboration snapshot again: 2 more organizations, 1 more ingest run",
    ]
