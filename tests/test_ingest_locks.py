"""Ingest against the real Neo4j: two writers load links that share nodes without a deadlock.

A batch of a link file holds new links (created) and links the graph already has (updated), which lock a
cluster they share in orders of their own (``graph.query.Query.side_by_side``). Here each of a dozen
files is one such batch on three clusters of its own, as the demo's memberships are: with both writes of a
batch run at once, the driver retried a deadlock in 11 loads of 11 (2 to 6 of the 12 files each), logging a
warning on the ``neo4j`` logger; a clean load logs none."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from graph.db import Graph
from graph.query import Query
from ingest import Outcome, load
from tests.utils.registry import org, write_csv

FILES = 12
ROWS = 138  # per file: 46 members in each of its 3 clusters, fewer than Neo4j's 50 of a dense node

MEMBERSHIPS = Query(
    "test.locks.memberships",
    "MATCH (:Organization)-[r:MEMBER_OF]->(:Cluster) "
    "RETURN count(r) AS links, toString(min(r.since)) AS first, toString(max(r.since)) AS last",
)


def _membership(n: int, since: str) -> dict[str, str]:
    return {"organization": f"O{n:04d}", "cluster": f"K{n // ROWS:02d}-{n % 3}", "since": since}


def test_two_writers_add_and_update_links_of_shared_clusters_without_a_deadlock(
    graph: Graph, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    everyone = range(FILES * ROWS)
    clusters = write_csv(
        tmp_path / "clusters.csv",
        [
            {"id": f"K{f:02d}-{k}", "name": f"Cluster {f}-{k}", "sector": "food"}
            for f in range(FILES)
            for k in range(3)
        ],
    )
    orgs = write_csv(tmp_path / "orgs.csv", [org(f"O{n:04d}", f"Firm {n}") for n in everyone])
    known = write_csv(tmp_path / "known.csv", [_membership(n, "2019-01-01") for n in everyone if n % 2 == 0])
    load(graph, [clusters, orgs, known], writers=1)
    # Each file is one batch: every other row adds a membership, the rest update a known one (a new since).
    files = [
        write_csv(
            tmp_path / f"members{f:02d}.csv",
            [_membership(n, "2020-01-01") for n in everyone[f * ROWS :][:ROWS]],
        )
        for f in range(FILES)
    ]

    with caplog.at_level(logging.WARNING, logger="neo4j"):
        summary = load(graph, files, writers=2, batch_size=ROWS)

    assert [r.getMessage().split("\n", 1)[0] for r in caplog.records if r.name.startswith("neo4j")] == []
    assert summary.total(Outcome.ADDED) == summary.total(Outcome.UPDATED) == FILES * ROWS // 2
    assert graph.run(MEMBERSHIPS) == [{"links": FILES * ROWS, "first": "2020-01-01", "last": "2020-01-01"}]
