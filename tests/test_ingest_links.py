"""Ingest against the real Neo4j: one link (membership, collaboration, participation) on two rows of a run.

The same link is the same resolved ends (two registry ids of one firm, A→B beside B→A for a collaboration):
a repeat of its values is merged, other values are rejected, naming the earlier row and each field."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from graph.db import Graph
from graph.query import Query
from ingest import Outcome, load
from schema.settings import Settings
from tests.test_ingest import assert_adds_up, counts
from tests.utils.registry import org, write_csv, write_jsonl

MEMBERS = Query(
    "test.links.members",
    "MATCH (o:Organization)-[r:MEMBER_OF]->(c:Cluster) "
    "RETURN o.id AS organization, c.id AS cluster, toString(r.since) AS since ORDER BY organization",
)
COLLABORATIONS = Query(
    "test.links.collaborations",
    "MATCH (a:Organization)-[r:COLLABORATES_WITH]->(b:Organization) "
    "RETURN a.id AS a, b.id AS b, r.kind AS kind, toString(r.since) AS since, r.weight AS weight "
    "ORDER BY a, b, kind",
)
PARTICIPANTS = Query(
    "test.links.participants",
    "MATCH (o:Organization)-[r:PARTICIPATES_IN]->(p:Project) "
    "RETURN o.id AS organization, r.role AS role ORDER BY organization",
)


def _files(tmp_path: Path) -> dict[str, Path]:
    """A region whose link files repeat links: identically, reversed, under a second registry id of one firm
    (``A2``, merged into ``A`` by its VAT number), in JSON after CSV, and with other values."""
    clusters = [{"id": "C1", "name": "Food", "sector": "food"}]
    orgs = [
        org("A", "Alpha GmbH", vat="ATU11111111"),
        org("B", "Beta", vat="ATU22222222"),
        org("C", "Gamma", vat="ATU33333333"),
        org("A2", "Alpha", vat="ATU 11111111"),
    ]
    memberships = [
        {"organization": "A", "cluster": "C1", "since": "2019-01-01"},
        {"organization": "B", "cluster": "C1", "since": "2019"},
        {"organization": "A", "cluster": "C1", "since": "2020-01-01"},  # other values: rejected
        {"organization": "B", "cluster": "C1", "since": "2019"},  # the same row: merged
        {"organization": "A2", "cluster": "C1", "since": "2019-01-01"},  # A under another id, same values
        {"organization": "C", "cluster": "C1", "since": ""},
        {"organization": "C", "cluster": "C1", "since": "2021"},  # fills what the earlier left empty
    ]
    collaborations = [
        {"source": "A", "target": "B", "kind": "supplier", "since": "2018", "weight": "2"},
        {"source": "B", "target": "A", "kind": "supplier", "since": "2018", "weight": "2"},  # reversed
        {"source": "B", "target": "A2", "kind": "supplier", "since": "2018", "weight": "3"},
        {"source": "A", "target": "B", "kind": "customer", "since": "2018", "weight": "5"},  # another link
    ]
    later = [
        {"source": "A", "target": "B", "kind": "supplier", "since": 2018, "weight": 2},  # as JSON
        {"source": "B", "target": "A", "kind": "supplier", "since": "2019"},
    ]
    participations = [
        {"project": "P1", "organization": "A", "role": "coordinator"},
        {"project": "P1", "organization": "B", "role": "Participant"},
        {"project": "P1", "organization": "A", "role": "participant"},
        {"project": "P1", "organization": "B", "role": "participant"},  # the same once validated
    ]
    return {
        "clusters": write_csv(tmp_path / "clusters.csv", clusters),
        "orgs": write_csv(tmp_path / "orgs.csv", orgs),
        "members": write_csv(tmp_path / "members.csv", memberships),
        "collabs": write_csv(tmp_path / "collabs.csv", collaborations),
        "later": write_jsonl(tmp_path / "later.jsonl", later),
        "projects": write_csv(tmp_path / "projects.csv", [{"id": "P1", "title": "Vision"}]),
        "parts": write_csv(tmp_path / "parts.csv", participations),
    }


def test_a_link_twice_with_other_values_is_rejected_naming_the_earlier_row(
    graph: Graph, tmp_path: Path
) -> None:
    """Each later row of a link with other values is rejected once per field, naming the earlier row (in
    this file or another) and both values; identical repeats, reversed collaborations and a firm's second
    registry id are merged; the first rows' values are what the graph holds, and a second load says the
    same."""
    files = _files(tmp_path)
    report = tmp_path / "rejects.csv"
    summary = load(graph, list(files.values()), rejects=report)
    assert_adds_up(summary)
    assert [(m.record, m.node, m.rule) for m in summary.merges] == [("A2", "A", "vat")]
    by_file = {Path(f.file).name: f.outcomes for f in summary.files}
    assert by_file["members.csv"] == {Outcome.ADDED: 3, Outcome.MERGED: 2, Outcome.REJECTED: 2}
    assert by_file["collabs.csv"] == {Outcome.ADDED: 2, Outcome.MERGED: 1, Outcome.REJECTED: 1}
    assert by_file["later.jsonl"] == {Outcome.MERGED: 1, Outcome.REJECTED: 1}
    assert by_file["parts.csv"] == {Outcome.ADDED: 2, Outcome.MERGED: 1, Outcome.REJECTED: 1}

    reasons = {
        (Path(r["file"]).name, int(r["row"]), r["field"]): r["reason"] for r in csv.DictReader(report.open())
    }
    here = "of this file with"
    ab = "collaboration (supplier) of 'B' and 'A2' (merged into 'A') is already at row 2"
    ba = f"collaboration (supplier) of 'B' and 'A' is already at row 2 of {files['collabs']} with"
    assert reasons == {
        ("members.csv", 4, "since"): f"membership of 'A' in cluster 'C1' is already at row 2 {here} since '2019-01-01', not '2020-01-01'",  # noqa: E501
        ("members.csv", 8, "since"): f"membership of 'C' in cluster 'C1' is already at row 7 {here} no since, not '2021'",  # noqa: E501
        ("collabs.csv", 4, "weight"): f"{ab} {here} weight 2.0, not 3.0",
        ("later.jsonl", 2, "since"): f"{ba} since '2018', not '2019'",
        ("later.jsonl", 2, "weight"): f"{ba} weight 2.0, which this row leaves empty",
        ("parts.csv", 4, "role"): f"participation of 'A' in project 'P1' is already at row 2 {here} role 'coordinator', not 'participant'",  # noqa: E501
    }  # fmt: skip

    assert graph.run(MEMBERS) == [
        {"organization": "A", "cluster": "C1", "since": "2019-01-01"},
        {"organization": "B", "cluster": "C1", "since": "2019-01-01"},
        {"organization": "C", "cluster": "C1", "since": None},
    ]
    assert [tuple(r.values()) for r in graph.run(COLLABORATIONS)] == [
        ("A", "B", "customer", "2018-01-01", 5.0),
        ("A", "B", "supplier", "2018-01-01", 2.0),
    ]
    assert graph.run(PARTICIPANTS) == [
        {"organization": "A", "role": "coordinator"},
        {"organization": "B", "role": "participant"},
    ]

    before = counts(graph)
    again = load(graph, list(files.values()), rejects=report)
    assert again.counts() == {
        "rows": 23,
        "added": 0,
        "updated": 0,
        "unchanged": 13,
        "merged": 5,
        "rejected": 5,
    }
    assert counts(graph) == before
    assert {(Path(r.file).name, r.row, r.field): r.reason for r in again.rejects} == reasons


def test_the_cli_counts_and_reports_a_link_with_other_values(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """``clusterkg ingest --json --rejects FILE.jsonl``: the rejected link rows are in the file counts and
    in the reject file, field by field."""
    files = _files(tmp_path)
    rejects = tmp_path / "rejects.jsonl"
    base = ["--neo4j-uri", neo4j_settings.neo4j_uri, "--neo4j-password", neo4j_settings.neo4j_password]
    done = CliRunner().invoke(
        app, [*base, "ingest", *map(str, files.values()), "--json", "--rejects", str(rejects)]
    )
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    by_file = {Path(f["file"]).name: (f["rows"], f["merged"], f["rejected"]) for f in report["files"]}
    assert {name: by_file[name] for name in ("members.csv", "collabs.csv", "later.jsonl", "parts.csv")} == {
        "members.csv": (7, 2, 2),
        "collabs.csv": (4, 1, 1),
        "later.jsonl": (2, 1, 1),
        "parts.csv": (4, 1, 1),
    }
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(Path(r["file"]).name, r["row"], r["field"]) for r in lines] == [
        ("members.csv", 4, "since"),
        ("members.csv", 8, "since"),
        ("collabs.csv", 4, "weight"),
        ("later.jsonl", 2, "since"),
        ("later.jsonl", 2, "weight"),
        ("parts.csv", 4, "role"),
    ]
    assert report["rejected"] == 5 and len(report["rejects"]) == 6
