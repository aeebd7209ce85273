"""Ingest against the real Neo4j: formats, mappings, bad rows, resolution, idempotency, updates, provenance,
projects and derived collaborations, the CLI, and a killed run resumed."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph import admin
from graph.db import Graph
from graph.query import Query
from ingest import Mapping, Outcome, demo, load
from ingest.demo import FOLDER as DEMO
from schema.errors import IngestError
from schema.settings import Settings
from tests.utils.registry import org, write_csv, write_json, write_jsonl

ORGS = Query(
    "test.orgs",
    "MATCH (o:Organization) RETURN o.id AS id, o.name AS name, o.role AS role, labels(o) AS labels, "
    "o.lat AS lat, o.employees AS employees, o.size_class AS size_class, o.source_ids AS source_ids, "
    "o.description AS description, o.location IS NOT NULL AS located ORDER BY o.id",
)
OFFERS = Query(
    "test.offers",
    "MATCH (o:Organization {id: $id})-[:OFFERS]->(c:Capability) RETURN c.id AS id ORDER BY id",
)
UNSTAMPED_NODES = Query(
    "test.unstamped_nodes",
    "MATCH (n) WHERE NOT n:Migration AND NOT n:IngestRun AND NOT n:Source "
    "AND (n.source IS NULL OR n.file_hash IS NULL OR n.ingest_run IS NULL OR n.ingested_at IS NULL) "
    "RETURN count(n) AS n",
)
UNSTAMPED_RELATIONSHIPS = Query(
    "test.unstamped_relationships",
    "MATCH ()-[r]->() WHERE NOT type(r) = 'LOADED_FROM' "
    "AND (r.source IS NULL OR r.ingest_run IS NULL OR r.file_hash IS NULL OR r.ingested_at IS NULL) "
    "RETURN count(r) AS n",
)
STAMPED = Query(
    "test.stamped",
    "MATCH (n) WHERE n.ingest_run IS NOT NULL WITH count(n) AS nodes "
    "MATCH ()-[r]->() WHERE r.ingest_run IS NOT NULL RETURN nodes, count(r) AS relationships",
)
RUNS = Query(
    "test.runs",
    "MATCH (r:IngestRun)-[:LOADED_FROM]->(s:Source) RETURN r.id AS id, r.status AS status, r.rows AS rows, "
    "r.file_hashes AS file_hashes, r.started_at AS started, collect(s.name) AS sources ORDER BY started",
)
COLLABORATIONS = Query(
    "test.collaborations",
    "MATCH (a)-[r:COLLABORATES_WITH]->(b) RETURN a.id AS a, b.id AS b, r.kind AS kind, r.since AS since, "
    "r.weight AS weight, r.derived AS derived ORDER BY a, b",
)
COUNT_ORGS = Query("test.count_orgs", "MATCH (o:Organization) RETURN count(o) AS n")


def counts(graph: Graph) -> tuple[dict[str, int], dict[str, int]]:
    nodes = {k: v for k, v in admin.node_counts(graph).items() if k not in ("IngestRun", "Migration")}
    relationships = {k: v for k, v in admin.relationship_counts(graph).items() if k != "LOADED_FROM"}
    return nodes, relationships


def assert_adds_up(summary, rows_by_file: dict[str, int] | None = None) -> None:
    """Every input row has exactly one outcome."""
    for f in summary.files:
        assert f.rows == sum(f.outcomes.values()), f.as_dict()
        if rows_by_file is not None:
            assert f.rows == rows_by_file[Path(f.file).name], f.as_dict()


NAMES = ["Bäckerei Müller GmbH", "Café Crème Linz", "Øresund Fiskeri A/S", "Żabka Łódź sp. z o.o."]


def test_every_format_and_encoding_loads_the_same_records(graph: Graph, tmp_path: Path) -> None:
    def rows(prefix: str) -> list[dict[str, object]]:
        return [
            org(f"{prefix}{i}", name, "firm", city="Linz", lat="48,3" if prefix == "b" else 48.3, lon=14.3)
            for i, name in enumerate(NAMES[:2])
        ]

    files = [
        write_csv(tmp_path / "a.csv", rows("a")),
        write_csv(tmp_path / "b.csv", rows("b"), encoding="utf-8-sig", delimiter=";"),
        write_csv(tmp_path / "c.csv", rows("c"), encoding="cp1252", delimiter="\t"),
        write_json(tmp_path / "d.json", rows("d")),
        write_jsonl(tmp_path / "e.jsonl.gz", rows("e")),
        write_csv(tmp_path / "f.csv.gz", rows("f"), delimiter="|"),
    ]
    summary = load(graph, files, source="formats", rules=())  # same names + city: no resolution here
    detected = {Path(f.file).name: (f.format, f.encoding) for f in summary.files}
    assert detected == {
        "a.csv": ("csv", "utf-8"),
        "b.csv": ("csv", "utf-8-sig"),
        "c.csv": ("csv", "cp1252"),
        "d.json": ("json", "utf-8"),
        "e.jsonl.gz": ("jsonl.gz", "utf-8"),
        "f.csv.gz": ("csv.gz", "utf-8"),
    }
    assert summary.counts()["added"] == 12 and summary.counts()["rejected"] == 0
    stored = graph.run(ORGS)
    assert {(r["id"][0], r["name"], r["lat"]) for r in stored} == {
        (p, name, 48.3) for p in "abcdef" for name in NAMES[:2]
    }
    assert all("Firm" in r["labels"] and r["located"] for r in stored)


def test_a_mapping_loads_foreign_columns_without_python(graph: Graph) -> None:
    summary = load(graph, [DEMO / "research.csv", DEMO / "clusters.csv"])  # finds research.mapping.yaml
    file = summary.files[1]
    assert file.mapping.endswith("research.mapping.yaml") and file.encoding == "cp1252"
    assert file.outcomes[Outcome.ADDED] == 11 and file.ignored_columns == []
    by_id = {r["id"]: r for r in graph.run(ORGS)}
    assert by_id["R-001"]["role"] == "university" and "University" in by_id["R-001"]["labels"]
    assert by_id["R-006"]["role"] == "research_institute"
    assert by_id["R-011"]["role"] == "knowledge_broker"
    assert by_id["R-009"]["lat"] == pytest.approx(48.2793)  # decimal comma
    assert by_id["R-002"]["employees"] == 35 and by_id["R-002"]["size_class"] == "small"
    assert graph.run(OFFERS, id="R-002") == [
        {"id": "computer-vision"},
        {"id": "deep-learning"},
        {"id": "machine-vision"},
        {"id": "visual-inspection"},
    ]


def test_mapping_templates_name_nameless_rows_and_are_counted(graph: Graph, tmp_path: Path) -> None:
    rows = [
        {"pic": "999", "type": "PRC", "country": "BE", "name": "", "sme": "1"},
        {"pic": "998", "type": "HES", "country": "AT", "name": "Uni Wien", "sme": ""},
    ]
    mapping = Mapping.from_dict(
        {
            "kind": "organizations",
            "columns": {"pic": "id", "type": "role", "country": "country", "name": "name"},
            "values": {"role": {"PRC": "firm", "HES": "university"}},
            "templates": {"name": "{type} {pic} ({country})"},
            "ignore": ["sme"],
        }
    )
    summary = load(graph, [write_csv(tmp_path / "orgs.csv", rows)], mapping=mapping)
    assert summary.files[0].templated == {"name": 1}
    assert [(r["id"], r["name"], r["role"]) for r in graph.run(ORGS)] == [
        ("998", "Uni Wien", "university"),
        ("999", "PRC 999 (BE)", "firm"),
    ]


def test_a_broken_mapping_or_an_unknown_kind_fails_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="'colour' are not canonical fields"):
        Mapping.from_dict({"columns": {"Farbe": "colour"}})
    odd = write_csv(tmp_path / "odd.csv", [{"foo": 1, "bar": 2}])
    with pytest.raises(IngestError, match="cannot tell what kind.*--kind"):
        load(None, [odd], dry_run=True)


def test_a_file_a_mapping_folder_has_no_mapping_for_says_so(tmp_path: Path) -> None:
    """`--mapping FOLDER` without ``research.mapping.yaml`` in it loaded ``research.csv`` by canonical names:
    its German columns fit no kind, and the error, "pass --kind or a --mapping", sent the user to the option
    given."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    research = write_csv(tmp_path / "research.csv", [{"Kennung": "R1", "Bezeichnung": "Institut"}])
    with pytest.raises(IngestError) as raised:
        load(None, [research], mapping=folder, dry_run=True)
    said = f"; the --mapping folder {folder} holds no research.mapping.yaml or research.mapping.yml"
    assert str(raised.value).endswith(said), raised.value


def test_a_mapping_that_is_not_there_is_said_once(tmp_path: Path) -> None:
    """`--mapping nosuch.yaml` said "mapping nosuch.yaml: cannot be read: [Errno 2] No such file or
    directory: 'nosuch.yaml'": the system's reason alone follows the path."""
    missing = tmp_path / "nosuch.yaml"
    with pytest.raises(IngestError) as raised:
        Mapping.load(missing)
    assert str(raised.value) == f"mapping {missing}: cannot be read: No such file or directory"


LONG = "x" * 5_000


def test_a_mapping_error_repeats_at_most_100_characters_of_a_value(tmp_path: Path) -> None:
    """A mapping error repeated the key, anchor, tag, kind or template it names whole, however long (and a
    number among unknown keys was a TypeError); each value is cut as ``schema.errors.echo`` cuts it, to its
    start and its end, with its length. (A key longer than 1,024 characters is written as an explicit
    ``? key``.)"""
    texts = {
        "key twice": f"columns:\n  ? {LONG}\n  : id\n  ? {LONG}\n  : name\n",
        "alias": f"columns: &{LONG} {{id: id}}\nvalues: *{LONG}\n",
        "anchor twice": f"columns: &{LONG} {{id: id}}\nvalues: &{LONG} {{}}\n",
        "tag": f"columns: !{LONG} {{id: id}}\n",
        "tag handle": f"columns: !{LONG}!x {{id: id}}\n",
        "unknown keys": f"? {LONG}\n: 1\n7: 2\n",
        "kind": f"kind: {LONG}\n",
        "field": f"columns: {{id: {LONG}}}\n",
        "values": f"values:\n  role: {LONG}\n",
        "ignore": f"ignore: [[{LONG}]]\n",
        "separator": f"list_separator: [{LONG}]\n",
        "template": f"templates:\n  name: '{{{LONG}!r}}'\n",
    }
    path = tmp_path / "orgs.mapping.yaml"
    for what, text in texts.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(IngestError) as raised:
            Mapping.load(path)
        message = str(raised.value).removeprefix(f"mapping {path}: ")
        assert re.search(r"x…\S*['\"] \([\d,]+ characters\)", message), (what, message[:500])
        assert len(message) < 400, (what, message[:500])


def test_a_key_or_column_twice_is_named_in_at_most_100_characters(graph: Graph, tmp_path: Path) -> None:
    """A JSON object with a key twice is rejected and a header with a column twice fails the file; both
    repeated the name whole (a 5,000-character key made a 5 kB reject reason). Now it is cut, with its
    length, and the rows around the rejected one load."""
    fine = org("fine1", "Fine Firm")
    twice = json.dumps(org("dup1", "Dup"))[:-1] + f', "{LONG}": 1, "{LONG}": 2}}'
    jsonl = tmp_path / "orgs.jsonl"
    jsonl.write_text(twice + "\n" + json.dumps(fine) + "\n", encoding="utf-8")
    array = tmp_path / "more.json"
    array.write_text(f"[{twice}, {json.dumps(org('fine2', 'Fine Two'))}]", encoding="utf-8")
    report = tmp_path / "rejects.jsonl"
    load(graph, [jsonl, array], rejects=report)
    reasons = [json.loads(line)["reason"] for line in report.read_text().splitlines()]
    assert (
        reasons
        == [f"key {LONG[:59] + '…' + LONG[-40:]!r} (5,000 characters) appears twice in the object"] * 2
    )
    assert [r["id"] for r in graph.run(ORGS)] == ["fine1", "fine2"]
    spaced = "registry" + " -" * 2_500 + " id"
    for header, shown in (
        (
            f"id,name,role,{LONG},{LONG}",
            f"column {LONG[:59] + '…' + LONG[-40:]!r} (5,000 characters) appears twice",
        ),
        (
            f"id,name,role,registry_id,{spaced}",
            f"and {spaced[:59] + '…' + spaced[-40:]!r} (5,011 characters) both read as",
        ),
    ):
        broken = tmp_path / "broken.csv"
        broken.write_text(header + "\nb1,B,firm,1,2\n", encoding="utf-8")
        with pytest.raises(IngestError) as raised:
            load(graph, [broken])
        assert shown in str(raised.value) and len(str(raised.value)) < 400 + len(str(broken))


def test_bad_rows_go_to_the_reject_report_and_the_run_goes_on(graph: Graph, tmp_path: Path) -> None:
    hostile = ['=HYPERLINK("http://evil","x")', "'); MATCH (n) DETACH DELETE n //", "Robert'); DROP TABLE--"]
    rows = [
        org("ok1", "Good Firm", city="Linz"),
        {"name": "No Id GmbH", "role": "firm"},
        org("noname", "", "firm"),
        org("badrole", "Bad Role", "unicorn"),
        org("badnum", "Bad Number", employees="many"),
        org("badlat", "Bad Lat", lat="95", lon="14"),
        org("long", "x" * 301),
        org("nocluster", "No Cluster", clusters="NOPE"),
        org("..", "Dot Dot GmbH"),
        *[org(f"h{i}", name) for i, name in enumerate(hostile)],
    ]
    orgs = write_csv(tmp_path / "orgs.csv", rows)
    links = write_csv(
        tmp_path / "links.csv",
        [
            {"source": "ok1", "target": "h0", "kind": "supplier"},
            {"source": "ok1", "target": "ghost", "kind": "supplier"},
            {"source": "ok1", "target": "ok1", "kind": "supplier"},
            {"source": "ok1", "target": "h1", "kind": "friendship"},
            {"source": "h1", "target": "h2", "since": "someday"},
        ],
    )
    broken = tmp_path / "broken.csv"
    broken.write_text("id,name,role\nb1,Fine,firm\nb2,Too,many,cells\n", encoding="utf-8")
    report = tmp_path / "rejects.csv"
    summary = load(graph, [links, orgs, broken], rejects=report)
    assert_adds_up(summary, {"orgs.csv": 12, "links.csv": 5, "broken.csv": 2})
    reasons = {
        (Path(r["file"]).name, int(r["row"]), r["field"]): r["reason"] for r in csv.DictReader(report.open())
    }
    assert reasons[("orgs.csv", 3, "id")] == "required field is missing or empty"
    assert reasons[("orgs.csv", 4, "name")] == "required field is missing or empty"
    assert reasons[("orgs.csv", 5, "role")].startswith(
        "unknown role 'unicorn'; expected one of: firm, vendor"
    )
    assert "valid integer" in reasons[("orgs.csv", 6, "employees")]
    assert "less than or equal to 90" in reasons[("orgs.csv", 7, "lat")]
    assert "at most 300 characters" in reasons[("orgs.csv", 8, "name")]
    assert "cluster 'NOPE' exists nowhere" in reasons[("orgs.csv", 9, "clusters")]
    assert "'..' cannot be a web page's address" in reasons[("orgs.csv", 10, "id")]
    assert "organization 'ghost' exists nowhere" in reasons[("links.csv", 3, "target")]
    assert "cannot collaborate with itself" in reasons[("links.csv", 4, "(row)")]
    assert reasons[("links.csv", 5, "kind")].startswith("unknown collaboration kind 'friendship'")
    assert "valid date" in reasons[("links.csv", 6, "since")]
    assert "4 cells but the header has 3" in reasons[("broken.csv", 3, "(row)")]
    names = {r["id"]: r["name"] for r in graph.run(ORGS)}
    assert names == {"ok1": "Good Firm", "h0": hostile[0], "h1": hostile[1], "h2": hostile[2], "b1": "Fine"}
    assert graph.run(COLLABORATIONS)[0]["kind"] == "supplier"
    assert summary.total(Outcome.REJECTED) == 13

    jsonl = tmp_path / "rejects.jsonl"
    load(graph, [orgs], rejects=jsonl)
    first = json.loads(jsonl.read_text().splitlines()[0])
    assert first == {
        "file": str(orgs),
        "row": 3,
        "field": "id",
        "reason": "required field is missing or empty",
    }


def test_control_characters_are_rejected_by_field_and_the_rest_loads(graph: Graph, tmp_path: Path) -> None:
    """NUL, escape and the other C0 controls were stored as given; now the row goes to the reject report
    with the field and the character, whatever the file's format. Free text keeps its line breaks, and the
    white space around any value is stripped as before."""
    none, lines = "this field takes none", "this field takes tabs and line breaks alone"
    rows = [
        org("ctl-name", "Null\x00 Bakery"),
        org("ctl-city", "Escape Bakery", city="Linz\x1b[31m"),
        org("ctl-text", "Bell Bakery", description="We bake.\x07"),
        org("ctl-trail", "Trailing Bakery\x1f"),  # Python strips U+001F as white space
        org("ctl-ok", "\tFine Bakery\r\n", description="We bake.\r\nBread\tand rolls."),
        org("ctl-list", "Tab Bakery", capabilities=["baking", "pas\ttry"]),
    ]
    files = [write_jsonl(tmp_path / "controls.jsonl", rows), write_csv(tmp_path / "controls.csv", rows[:-1])]
    report = tmp_path / "rejects.csv"
    summary = load(graph, files, rejects=report)
    assert_adds_up(summary, {"controls.jsonl": 6, "controls.csv": 5})
    reasons = {
        (Path(r["file"]).name, int(r["row"]), r["field"]): r["reason"] for r in csv.DictReader(report.open())
    }
    expected = {
        ("controls.jsonl", 1, "name"): f"U+0000 at character 5; {none}",
        ("controls.jsonl", 2, "city"): f"U+001B at character 5; {none}",
        ("controls.jsonl", 3, "description"): f"U+0007 at character 9; {lines}",
        ("controls.jsonl", 4, "name"): f"U+001F at character 16; {none}",
        ("controls.jsonl", 6, "capabilities"): f"U+0009 at character 4; {none}",
        ("controls.csv", 2, "name"): f"U+0000 at character 5; {none}",
        ("controls.csv", 3, "city"): f"U+001B at character 5; {none}",
        ("controls.csv", 4, "description"): f"U+0007 at character 9; {lines}",
        ("controls.csv", 5, "name"): f"U+001F at character 16; {none}",
    }
    assert reasons.keys() == expected.keys(), reasons
    for where, said in expected.items():
        assert reasons[where] == f"holds the control character {said}", (where, reasons[where])
    stored = [(r["id"], r["name"], r["description"]) for r in graph.run(ORGS)]
    assert stored == [("ctl-ok", "Fine Bakery", "We bake.\r\nBread\tand rolls.")]


def test_resolution_keys_are_configurable_and_contradictions_never_merge(
    graph: Graph, tmp_path: Path
) -> None:
    register = write_csv(
        tmp_path / "register.csv",
        [org("A1", "Huber Maschinenbau GmbH", website="www.huber.at", vat="ATU 111")],
    )
    members = write_csv(
        tmp_path / "members.csv",
        [
            org("M1", "Huber Maschinenbau", website="https://huber.at/en"),
            org("M2", "Huber Service GmbH", website="huber.at", vat="ATU999"),
            org("M3", "HUBER MASCHINENBAU G.m.b.H.", city="Wels"),
            org("M4", "Huber Maschinenbau", city="Wels", vat="ATU111"),
        ],
    )
    summary = load(graph, [register, members], rules=("registry_id", "vat"))
    assert [(m.record, m.node, m.rule) for m in summary.merges] == [("M4", "A1", "vat")]
    assert graph.run(COUNT_ORGS) == [{"n": 4}]

    admin.delete_data(graph)
    summary = load(graph, [register, members])
    assert [(m.record, m.node, m.rule) for m in summary.merges] == [
        ("M1", "A1", "domain"),
        ("M4", "A1", "vat"),
    ]
    assert summary.files[1].outcomes == {Outcome.MERGED: 2, Outcome.ADDED: 2}
    by_id = {r["id"]: r for r in graph.run(ORGS)}
    assert sorted(by_id) == ["A1", "M2", "M3"]  # M2's VAT contradicts A1's; M3 has only name + city
    assert set(by_id["A1"]["source_ids"]) == {"A1", "M1", "M4"}

    later = load(
        graph, [write_csv(tmp_path / "later.csv", [org("X9", "Huber Maschinenbau KG", city="wels")])]
    )
    assert later.merges == [] and [(a.record, a.candidates) for a in later.ambiguities] == [
        ("X9", ("A1", "M3"))
    ]


def test_loading_twice_changes_nothing_and_a_new_version_updates_what_changed(
    graph: Graph, tmp_path: Path
) -> None:
    v1 = [
        org("F1", "Alpha Foods", capabilities="baking;packaging", city="Wels", country="AT", employees=12),
        org("F2", "Beta Tools", "vendor", capabilities="machine vision", city="Linz", country="AT"),
        org("F3", "Gamma Lab", "research_institute", description="Old text", city="Linz", country="AT"),
    ]
    links = write_csv(
        tmp_path / "links.csv", [{"source": "F1", "target": "F2", "kind": "customer", "since": "2020"}]
    )
    path = write_csv(tmp_path / "orgs.csv", v1)
    first = load(graph, [path, links])
    assert first.counts() == {"rows": 4, "added": 4, "updated": 0, "unchanged": 0, "merged": 0, "rejected": 0}
    before = counts(graph)
    second = load(graph, [path, links])
    assert second.counts() == {
        "rows": 4,
        "added": 0,
        "updated": 0,
        "unchanged": 4,
        "merged": 0,
        "rejected": 0,
    }
    assert counts(graph) == before

    v2 = [
        org("F1", "Alpha Foods", capabilities="baking", city="Wels", country="AT", employees=300),
        org("F2", "Beta Tools", "university", capabilities="machine vision", city="Linz", country="AT"),
        v1[2],
        org("F4", "Delta Design", city="Steyr", country="AT"),
    ]
    third = load(graph, [write_csv(tmp_path / "orgs.csv", v2), links])
    assert third.files[0].outcomes == {Outcome.UPDATED: 2, Outcome.UNCHANGED: 1, Outcome.ADDED: 1}
    by_id = {r["id"]: r for r in graph.run(ORGS)}
    assert by_id["F1"]["size_class"] == "large"
    assert "University" in by_id["F2"]["labels"] and "Vendor" not in by_id["F2"]["labels"]
    assert graph.run(OFFERS, id="F1") == [{"id": "baking"}]
    assert sorted(by_id) == ["F1", "F2", "F3", "F4"]


CLUSTER_AND_PROJECT = Query(
    "test.cluster_and_project",
    "MATCH (c:Cluster {id: 'C1'}), (p:Project {id: 'P1'}) RETURN c.sector AS sector, p.title AS title",
)


def test_an_id_twice_with_other_values_is_rejected_naming_the_earlier_row(
    graph: Graph, tmp_path: Path
) -> None:
    """Row 2 and row 4 of one file hold organization X with other values: the first loads, the later is
    rejected field by field, naming row 2; an identical repeat stays merged; a later row that only fills an
    empty value is rejected too; the same id in a later file of the run is named with that file."""
    clusters = write_csv(
        tmp_path / "clusters.csv",
        [{"id": "C1", "name": "Food", "sector": "food"}, {"id": "C1", "name": "Food", "sector": "metal"}],
    )
    projects = write_csv(
        tmp_path / "projects.csv",
        [
            {"id": "P1", "title": "Vision", "start": "2018"},
            {"id": "P1", "title": "Vision 2", "start": "2018"},
        ],
    )
    orgs = write_csv(
        tmp_path / "orgs.csv",
        [
            org("X", "Alpha", "firm", city="Linz", website=""),
            org("Y", "Beta", "firm", city="Linz", website=""),
            org("X", "Alpha", "vendor", city="Wels", website=""),
            org("Y", "Beta", "firm", city="Linz", website=""),
            org("Y", "Beta", "firm", city="Linz", website="beta.at"),
        ],
    )
    more = write_jsonl(
        tmp_path / "more.jsonl",
        [
            org("Z", "Gamma", "firm", city="Linz"),
            org("Z", "Gamma", "vendor", city="Linz"),
            org("X", "Alpha", "firm", city="Steyr"),
            org("Y", "Beta", "firm", city="Linz"),  # as in orgs.csv, where its website column is empty
        ],
    )
    report = tmp_path / "rejects.csv"
    summary = load(graph, [orgs, more, clusters, projects], rejects=report)
    assert_adds_up(summary)
    by_file = {Path(f.file).name: f.outcomes for f in summary.files}
    assert by_file["orgs.csv"] == {Outcome.ADDED: 2, Outcome.MERGED: 1, Outcome.REJECTED: 2}
    assert by_file["more.jsonl"] == {Outcome.ADDED: 1, Outcome.MERGED: 1, Outcome.REJECTED: 2}
    assert by_file["clusters.csv"] == by_file["projects.csv"] == {Outcome.ADDED: 1, Outcome.REJECTED: 1}
    reasons = {
        (Path(r["file"]).name, int(r["row"]), r["field"]): r["reason"] for r in csv.DictReader(report.open())
    }
    here = "of this file with"
    assert reasons == {
        ("orgs.csv", 4, "role"): f"organization 'X' is already at row 2 {here} role 'firm', not 'vendor'",
        ("orgs.csv", 4, "city"): f"organization 'X' is already at row 2 {here} city 'Linz', not 'Wels'",
        ("orgs.csv", 6, "website"): f"organization 'Y' is already at row 3 {here} no website, not 'beta.at'",
        ("more.jsonl", 2, "role"): f"organization 'Z' is already at row 1 {here} role 'firm', not 'vendor'",
        ("more.jsonl", 3, "city"): f"organization 'X' is already at row 2 of {orgs} with city 'Linz', not 'Steyr'",  # noqa: E501
        ("clusters.csv", 3, "sector"): f"cluster 'C1' is already at row 2 {here} sector 'food', not 'metal'",
        ("projects.csv", 3, "title"): f"project 'P1' is already at row 2 {here} title 'Vision', not 'Vision 2'",  # noqa: E501
    }  # fmt: skip
    assert [(Path(m.file).name, m.row, m.record, m.rule) for m in summary.merges] == [
        ("orgs.csv", 5, "Y", "same id"),
        ("more.jsonl", 4, "Y", "same id"),
    ]
    by_id = {r["id"]: (r["role"], r["name"]) for r in graph.run(ORGS)}
    assert by_id == {"X": ("firm", "Alpha"), "Y": ("firm", "Beta"), "Z": ("firm", "Gamma")}
    assert graph.run(CLUSTER_AND_PROJECT) == [{"sector": "food", "title": "Vision"}]

    before = counts(graph)
    again = load(graph, [orgs, more, clusters, projects])
    assert again.counts() == {
        "rows": 13,
        "added": 0,
        "updated": 0,
        "unchanged": 5,
        "merged": 2,
        "rejected": 6,
    }
    assert counts(graph) == before and len(again.rejects) == len(reasons)


MERGED_INTO = Query(
    "test.merged_into",
    "MATCH (o:Organization) WHERE size(o.source_ids) > 1 "
    "RETURN o.id AS id, o.source_ids AS source_ids, o.name AS name ORDER BY id",
)


def test_parallel_writers_in_small_batches_build_the_same_graph(graph: Graph) -> None:
    """Four writers and batches of three rows: records merged into nodes that an earlier batch creates,
    organizations pointing to new capabilities, links to fresh nodes, all still land as with one writer."""
    one = load(graph, demo.paths(), writers=1)
    expected = counts(graph), graph.run(MERGED_INTO), graph.run(COLLABORATIONS)
    admin.delete_data(graph)
    many = load(graph, demo.paths(), writers=4, batch_size=3)
    assert many.counts() == one.counts()
    assert (counts(graph), graph.run(MERGED_INTO), graph.run(COLLABORATIONS)) == expected
    again = load(graph, demo.paths(), writers=4, batch_size=3).counts()
    assert again["unchanged"] == one.counts()["rows"] - one.counts()["rejected"]


def test_provenance_on_every_node_and_relationship(graph: Graph) -> None:
    files = [DEMO / name for name in ("clusters.csv", "companies.csv", "members.jsonl", "collaborations.csv")]
    summary = load(graph, files)
    assert graph.run(UNSTAMPED_NODES) == graph.run(UNSTAMPED_RELATIONSHIPS) == [{"n": 0}]
    stamped = graph.run(STAMPED)[0]
    assert stamped["nodes"] > 150 and stamped["relationships"] > 400
    (run,) = graph.run(RUNS)
    assert run["id"] == summary.run_id and run["status"] == "completed"
    assert run["rows"] == summary.rows
    assert sorted(run["sources"]) == ["clusters", "collaborations", "companies", "members"]
    assert hashlib.sha256((DEMO / "companies.csv").read_bytes()).hexdigest() in run["file_hashes"]


def test_projects_participations_and_derived_joint_project_links(graph: Graph, tmp_path: Path) -> None:
    orgs = write_csv(tmp_path / "orgs.csv", [org(f"O{i}", f"Org {i}", city="Graz") for i in range(33)])
    projects = write_csv(
        tmp_path / "projects.csv",
        [
            {"id": "P1", "title": "Vision for bakeries", "start": "2018-03-01", "end": "2020-02-28"},
            {"id": "P2", "title": "Vision again", "start": "2016", "end": "2017"},
            {"id": "P3", "title": "A huge consortium", "start": "2015", "end": "2019"},
        ],
    )
    rows = [{"project": "P1", "organization": f"O{i}", "role": "participant"} for i in range(3)]
    rows += [{"project": "P2", "organization": f"O{i}", "role": "Coordinator"} for i in range(2)]
    rows += [{"project": "P3", "organization": f"O{i}", "role": "participant"} for i in range(31)]
    participations = write_csv(tmp_path / "participations.csv", rows)
    summary = load(graph, [participations, projects, orgs], derive_collaborations=True)
    assert_adds_up(summary, {"orgs.csv": 33, "projects.csv": 3, "participations.csv": 36})
    assert summary.derived_collaborations == 3
    links = graph.run(COLLABORATIONS)
    assert [(r["a"], r["b"], r["kind"], str(r["since"]), r["weight"], r["derived"]) for r in links] == [
        ("O0", "O1", "joint_project", "2016-01-01", 2.0, True),
        ("O0", "O2", "joint_project", "2018-03-01", 1.0, True),
        ("O1", "O2", "joint_project", "2018-03-01", 1.0, True),
    ]
    again = load(graph, [orgs, projects, participations], derive_collaborations=True)
    assert again.derived_collaborations == 3 and again.counts()["unchanged"] == 72


def test_the_cli_orders_files_dry_runs_and_prints_json(graph: Graph, neo4j_settings: Settings) -> None:
    runner = CliRunner()
    base = ["--neo4j-uri", neo4j_settings.neo4j_uri, "--neo4j-password", neo4j_settings.neo4j_password]
    files = [
        str(DEMO / name)
        for name in ("collaborations.csv", "memberships.csv", "companies.csv", "clusters.csv")
    ]
    dry = runner.invoke(app, [*base, "ingest", *files, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    assert [f["kind"] for f in report["files"]] == [
        "clusters",
        "organizations",
        "memberships",
        "collaborations",
    ]
    assert graph.run(COUNT_ORGS) == [{"n": 0}]
    real = runner.invoke(app, [*base, "ingest", *files])
    assert real.exit_code == 0, real.output
    assert "Ingest run" in real.stdout and "rows rejected" in real.stdout
    assert graph.run(COUNT_ORGS) == [{"n": 55}]
    help_text = runner.invoke(app, ["ingest", "--help"]).stdout
    assert "--dry-run" in help_text and "--rejects" in help_text
