"""The demo region loads in one call, resolves its overlapping registries, and holds what matching needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph import admin
from graph.db import Graph
from graph.query import Query
from ingest import Outcome, Summary, demo, load
from schema.graph_model import Role

ROLES = Query("test.demo_roles", "MATCH (o:Organization) RETURN o.role AS role, count(*) AS n")
NODE = Query(
    "test.demo_node",
    "MATCH (o:Organization {id: $id}) RETURN o.name AS name, o.role AS role, o.needs AS needs, "
    "o.needs_visibility AS visibility, o.description AS description, o.source_ids AS source_ids, "
    "o.sources AS sources, o.vat AS vat, o.employees AS employees",
)
BY_NAME = Query(
    "test.demo_by_name",
    "MATCH (o:Organization) WHERE o.name CONTAINS $part RETURN o.id AS id, o.role AS role ORDER BY id",
)
PARTNERS = Query(
    "test.demo_partners",
    "MATCH (:Organization {id: $id})-[r:COLLABORATES_WITH]-(p:Organization) "
    "RETURN p.id AS id, r.kind AS kind",
)
MANAGED = Query(
    "test.demo_managed",
    "MATCH (o:ClusterOrganization)-[:MANAGES]->(c:Cluster) "
    "RETURN c.id AS cluster, o.id AS manager ORDER BY cluster",
)
PRIVATE = Query(
    "test.demo_private",
    "MATCH (o:Organization {needs_visibility: 'private'}) WHERE o.needs IS NOT NULL RETURN count(o) AS n",
)


@pytest.fixture(scope="module")
def demo_graph(session_graph: Graph) -> Iterator[tuple[Graph, Summary]]:
    """The demo region, loaded once for this module into an emptied graph."""
    admin.delete_data(session_graph)
    summary = load(session_graph, demo.paths())
    yield session_graph, summary
    admin.delete_data(session_graph)


def one(graph: Graph, part: str) -> str:
    (row,) = graph.run(BY_NAME, part=part)
    return str(row["id"])


def test_the_demo_loads_every_role_and_every_row_is_accounted_for(demo_graph: tuple[Graph, Summary]) -> None:
    graph, summary = demo_graph
    for f in summary.files:
        assert f.rows == sum(f.outcomes.values())
    assert summary.counts() == {
        "rows": 237,
        "added": 218,
        "updated": 0,
        "unchanged": 0,
        "merged": 18,
        "rejected": 1,
    }
    assert [(r.field, r.reason) for r in summary.rejects] == [
        ("organization", "organization 'FN999999z' exists nowhere (not in the graph, not loaded)")
    ]
    roles = {row["role"]: row["n"] for row in graph.run(ROLES)}
    assert set(roles) == {role.value for role in Role}
    assert 80 <= sum(roles.values()) <= 90
    assert graph.run(MANAGED) == [
        {"cluster": "CREA", "manager": "M-CC"},
        {"cluster": "FOOD", "manager": "M-FC"},
        {"cluster": "PREC", "manager": "M-PC"},
    ]


def test_overlapping_registries_resolve_to_one_node_each(demo_graph: tuple[Graph, Summary]) -> None:
    graph, summary = demo_graph
    rules = {m.record: m.rule for m in summary.merges}
    assert rules["MEM-002"] == "vat"  # "ATU 3112 2334" is the register's ATU31122334
    assert rules["MEM-001"] == "domain"  # https://brandstetter-brot.at/ is www.brandstetter-brot.at
    assert rules["MEM-004"] == "name_city"  # "ALPENKORN MÜHLE G.m.b.H." in Wels
    kaeserei = graph.run(NODE, id=next(m.node for m in summary.merges if m.record == "MEM-002"))[0]
    assert kaeserei["name"] == "Mühlviertler Käserei eGen"  # the register's own record keeps its name
    assert set(kaeserei["sources"]) == {"companies", "members"} and "MEM-002" in kaeserei["source_ids"]
    (ambiguous,) = summary.ambiguities
    assert (ambiguous.record, ambiguous.rule, len(ambiguous.candidates)) == ("MEM-005", "domain", 2)
    assert graph.run(NODE, id="MEM-005")[0]["name"] == "Pichler Fleischwaren"  # loaded, not merged
    sorttec_service = graph.run(NODE, id="MEM-021")[0]
    assert sorttec_service["vat"] == "ATU99887766"  # same website, other VAT: a company of its own


def test_the_demo_holds_what_the_matching_tests_need(demo_graph: tuple[Graph, Summary]) -> None:
    graph, _ = demo_graph
    bakery = graph.run(NODE, id=one(graph, "Bäckerei Brandstetter"))[0]
    assert bakery["role"] == "firm" and bakery["employees"] < 250 and bakery["visibility"] == "public"
    assert "quality control" in bakery["needs"] and "camera" in bakery["needs"]
    vendor = graph.run(NODE, id=one(graph, "InspectAI"))[0]
    assert vendor["role"] == "vendor" and "machine-vision quality inspection" in vendor["description"]
    lab = graph.run(NODE, id=one(graph, "Computer Vision Lab"))[0]
    assert lab["role"] == "university" and "visual inspection" in lab["description"]
    broker = one(graph, "TechTransfer Upper Austria")
    partners = {row["id"] for row in graph.run(PARTNERS, id=broker)}
    assert {one(graph, "Bäckerei Brandstetter"), one(graph, "InspectAI")} <= partners
    bakery_partners = {row["id"] for row in graph.run(PARTNERS, id=one(graph, "Bäckerei Brandstetter"))}
    assert one(graph, "InspectAI") not in bakery_partners  # the match is left for matching to find
    for unrelated in ("Studio Kranich", "Kanzlei Mayr"):
        assert graph.run(NODE, id=one(graph, unrelated))[0]["needs"] is None
    assert graph.run(PRIVATE)[0]["n"] >= 3


def test_reloading_the_demo_changes_nothing(demo_graph: tuple[Graph, Summary]) -> None:
    graph, first = demo_graph

    def relationships() -> dict[str, int]:
        return {k: v for k, v in admin.relationship_counts(graph).items() if k != "LOADED_FROM"}

    nodes, before = admin.node_counts(graph), relationships()
    again = load(graph, demo.paths())
    assert again.total(Outcome.ADDED) == again.total(Outcome.UPDATED) == 0
    assert again.total(Outcome.REJECTED) == 1 and again.rows == first.rows
    assert relationships() == before
    assert {k: v for k, v in admin.node_counts(graph).items() if k != "IngestRun"} == {
        k: v for k, v in nodes.items() if k != "IngestRun"
    }
