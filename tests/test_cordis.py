"""The EU's Horizon 2020 registry, loaded through its mapping files only, and evaluated from the graph.

A slice of the real files (every participant of the small projects of twelve companies: ~470 organizations,
48 projects), kept in ``tests/data/cordis-slice`` as the published files are written, is loaded with the
product's own path (``clusterkg eval --data`` loads it when the graph lacks it) and compared with what the
files say.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli.evaluate import ensure_loaded, query_roles
from graph import admin
from graph.db import Graph
from graph.query import Query
from ingest.sources import CORDIS_MAPPINGS
from matching import snapshot
from schema.errors import MatchingError
from schema.settings import Settings
from tests.utils.cordis_slice import FILES, SLICE, rows

ROLES = {
    "PRC": "firm",
    "HES": "university",
    "REC": "research_institute",
    "PUB": "public_body",
    "OTH": "other",
}

NODES = Query(
    "test.cordis.nodes",
    "MATCH (o:Organization) RETURN o.id AS id, o.role AS role, o.name AS name, o.country AS country, "
    "o.sme AS sme, labels(o) AS labels",
)
PROJECTS = Query(
    "test.cordis.projects", "MATCH (p:Project) RETURN p.id AS id, p.start AS start, p.title AS title"
)
PARTICIPATIONS = Query(
    "test.cordis.participations",
    "MATCH (o:Organization)-[r:PARTICIPATES_IN]->(p:Project) "
    "RETURN o.id AS org, p.id AS project, r.role AS role",
)
LINKS = Query(
    "test.cordis.links",
    "MATCH (a:Organization)-[r:COLLABORATES_WITH {kind: 'joint_project'}]->(b:Organization) "
    "RETURN a.id AS a, b.id AS b, toString(r.since) AS since",
)


@pytest.fixture(scope="module")
def cordis_slice() -> tuple[Path, dict[str, list[dict[str, str]]]]:
    """The slice of the real files kept in the repository (see ``tests.utils.cordis_slice``)."""
    return SLICE, {name: rows(SLICE, name) for name in FILES}


@pytest.fixture(scope="module")
def loaded(
    session_graph: Graph, cordis_slice: tuple[Path, dict[str, list[dict[str, str]]]]
) -> tuple[Graph, dict[str, list[dict[str, str]]], Path]:
    admin.delete_data(session_graph)
    folder, rows = cordis_slice
    assert _load(session_graph, folder)
    return session_graph, rows, folder


def _load(graph: Graph, folder: Path) -> bool:
    return ensure_loaded(graph, folder, mappings=CORDIS_MAPPINGS, source="slice", batch_size=500)


def expected_links(rows: dict[str, list[dict[str, str]]]) -> dict[tuple[str, str], str]:
    """What the files say: pairs sharing a project of 2-30 participants, dated by the first one's start."""
    members: dict[str, list[str]] = defaultdict(list)
    for p in rows["participations"]:
        members[p["rcn"]].append(p["pic"])
    start = {p["rcn"]: p["start_date"] for p in rows["projects"]}
    links: dict[tuple[str, str], str] = {}
    for rcn, pics in members.items():
        if not 2 <= len(pics) <= 30 or not start[rcn]:
            continue
        for i, a in enumerate(sorted(pics)):
            for b in sorted(pics)[i + 1 :]:
                if (a, b) not in links or start[rcn] < links[(a, b)]:
                    links[(a, b)] = start[rcn]
    return links


def test_organizations_projects_and_participations_load_as_the_files_say(loaded) -> None:
    graph, rows, _ = loaded
    nodes = {n["id"]: n for n in graph.run(NODES)}
    assert len(nodes) == len(rows["organizations"]) > 300
    for org in rows["organizations"]:
        node = nodes[org["pic"]]
        assert node["role"] == ROLES[org["type"]]
        assert node["country"] == org["country"]
        assert node["sme"] == {"True": True, "False": False, "": None}[org["sme"]]
        # named where the registry names it; otherwise the mapping's template says what is known
        assert node["name"] == (org["name"] or f"{org['type']} {org['pic']} ({org['country']})")
    assert Counter(n["role"] for n in nodes.values()) == Counter(
        ROLES[o["type"]] for o in rows["organizations"]
    )
    assert all("Organization" in n["labels"] and len(n["labels"]) == 2 for n in nodes.values())
    projects = {p["id"]: p for p in graph.run(PROJECTS)}
    assert len(projects) == len(rows["projects"])
    for project in rows["projects"]:
        assert str(projects[project["rcn"]]["start"]) == project["start_date"]
        assert (projects[project["rcn"]]["title"] or "") == project["title"].strip()  # cells are trimmed
    participations = {(p["org"], p["project"]): p["role"] for p in graph.run(PARTICIPATIONS)}
    assert participations == {(p["pic"], p["rcn"]): p["role"] for p in rows["participations"]}


def test_derived_collaborations_are_the_dated_co_participations(loaded, neo4j_settings: Settings) -> None:
    graph, rows, folder = loaded
    expected = expected_links(rows)
    found = {tuple(sorted((r["a"], r["b"]))): r["since"] for r in graph.run(LINKS)}
    assert found == expected and len(expected) > 1000
    # what the snapshot reads back through graph/ is the same, and loading again is skipped
    data = snapshot.read(graph, neo4j_settings).data
    read_back = {
        tuple(sorted((data.org_ids[a], data.org_ids[b]))): str(day)
        for a, b, day in zip(data.links.a, data.links.b, data.links.since, strict=True)
    }
    assert read_back == expected
    assert not _load(graph, folder)


def test_eval_prints_the_table_and_json_for_every_method(loaded, neo4j_settings: Settings) -> None:
    _, _, folder = loaded
    flags = ["--neo4j-uri", neo4j_settings.neo4j_uri, "--neo4j-password", neo4j_settings.neo4j_password]
    args = ["eval", "--data", str(folder), "--split", "2019-01-01", "--queries", "8", "--seed", "3"]
    result = CliRunner().invoke(app, [*flags, *args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = report["methods"]
    assert [r["method"] for r in rows] == [
        "clusterkg",
        "random",
        "most-connected",
        "adamic-adar",
        "aa-dc",
        "tfidf",
        "embedding",
    ]
    for row in rows + report["cold_start"]:
        assert set(row) == {"method", "recall_at_10", "recall_at_10_interval", "hit_at_10", "ndcg_at_10"}
        assert 0.0 <= row["recall_at_10"] <= row["hit_at_10"] <= 1.0 and 0.0 <= row["ndcg_at_10"] <= 1.0
        low, high = row["recall_at_10_interval"]
        assert 0.0 <= low <= row["recall_at_10"] <= high <= 1.0
    versus = {d["method"]: d for d in report["versus"]}
    assert set(versus) == {r["method"] for r in rows} - {"clusterkg"}
    recall = {r["method"]: r["recall_at_10"] for r in rows}
    for name, d in versus.items():
        low, high = d["interval"]
        assert d["difference"] == pytest.approx(recall["clusterkg"] - recall[name])
        assert low <= d["difference"] <= high
    assert 0.0 < report["pool_recall"] <= 1.0 and 0 <= report["cold_start_queries"] <= 8
    table = CliRunner().invoke(app, [*flags, *args, "--query-types", "PRC,HES"])
    assert table.exit_code == 0, table.output
    assert "clusterkg" in table.stdout and "adamic-adar" in table.stdout and "recall@10" in table.stdout
    assert "95% interval" in table.stdout and "against each method" in table.stdout
    unknown = CliRunner().invoke(app, [*flags, *args, "--query-types", "XYZ"])
    assert unknown.exit_code == 1 and "Unknown query type" in unknown.output


def test_an_unknown_query_type_is_repeated_in_at_most_100_characters() -> None:
    with pytest.raises(MatchingError) as caught:
        query_roles("Q" * 5000, CORDIS_MAPPINGS)
    message = str(caught.value)
    assert "(5,000 characters)" in message and "PRC" in message and len(message) < 400, message[:300]
