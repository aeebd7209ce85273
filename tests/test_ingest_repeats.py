"""Ingest against the real Neo4j: a file of many rows that all hold one id, each with other values.

Every later row is a conflict with the first, rejected naming it and the field that differs; what the run
holds for that until the file is read follows the number of ids in conflict, not the number of rows."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from graph.db import Graph
from ingest import Outcome, load
from ingest.report import MAX_REPORTED
from tests.test_ingest import assert_adds_up
from tests.utils.registry import org, write_csv


def _peak_mb(graph: Graph, path: Path, rows: int) -> float:
    """The peak of Python's allocations while loading ``rows`` rows of organization X (a dry run: nothing
    is written, so the graph holds no more between loads), each row with another city."""
    write_csv(path, [org("X", "Alpha", city=f"City {n}") for n in range(1, rows + 1)])
    tracemalloc.start()
    try:
        summary = load(graph, [path], dry_run=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_adds_up(summary)
    assert summary.files[0].outcomes == {Outcome.ADDED: 1, Outcome.REJECTED: rows - 1}
    last = summary.rejects[-1]  # the summary keeps the first MAX_REPORTED rejects, each naming row 2
    reason = (
        f"organization 'X' is already at row 2 of this file with city 'City 1', not 'City {MAX_REPORTED + 1}'"
    )
    assert (last.field, last.reason) == ("city", reason)
    return peak / 2**20


def test_many_rows_of_one_id_hold_no_memory_per_row(graph: Graph, tmp_path: Path) -> None:
    """Twice the rows of one id (both past the summary's cap on rejects kept) cost the same memory: a
    conflict costs two integers until the file is read, and the file is read back in row order, holding only
    the first row of X. Holding each rejected row read back (about 2 kB a row) costs some 15 MB more."""
    small = _peak_mb(graph, tmp_path / "small.csv", MAX_REPORTED + 500)
    large = _peak_mb(graph, tmp_path / "large.csv", 2 * (MAX_REPORTED + 500))
    assert large - small < 5, f"{small:.1f} MB for 10,500 rows, {large:.1f} MB for 21,000"
