"""The GraphQL API over HTTP against the real Neo4j and the real embedding model.

One small region is loaded once for the module through the ingest pipeline (two clusters, their managing
organizations, firms, a vendor, a university, a broker, 120 generated firms for paging), capability
embeddings are computed with the real model, and API keys are made for each role. Tests that write restore
what they changed, so the order of tests does not matter.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import (
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)

import ingest
import matching
from api.app import create_app
from api.auth import ApiRole, NewKey, create_key, hash_key, revoke_key
from api.throttle import FairCompute
from graph import admin
from graph.db import Graph
from graph.queries.matching.feedback import RECORD_FEEDBACK
from graph.query import Query
from schema.errors import InvalidInput
from schema.settings import Settings
from tests.utils.api import codes, data, gql, wait_until
from tests.utils.registry import write_jsonl

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"
PRIVATE_NEED = "We look for zorblax sourdough fermentation monitoring with hyperspectral cameras."

READ_NEED = Query("test.read_need", "MATCH (o:Organization {id: $id}) RETURN o.needs AS needs")

ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "id": "cm-food",
        "name": "Food Cluster Upper Austria",
        "role": "cluster_organization",
        "description": "Cluster management for the food processing industry: events, projects, matchmaking.",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Linz",
        "clusters": "food",
    },
    {
        "id": "cm-precision",
        "name": "Precision Engineering Cluster",
        "role": "cluster_organization",
        "description": "Cluster management for precision engineering and mechatronics firms.",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Steyr",
        "clusters": "precision",
    },
    {
        "id": "bakery",
        "name": "Bäckerei Sonnenschein",
        "role": "firm",
        "employees": 25,
        "description": "Industrial bakery producing bread and pastries for supermarkets.",
        "needs": PRIVATE_NEED,
        "needs_visibility": "private",
        "sectors": "food",
        "capabilities": "baking;logistics",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Linz",
        "clusters": "food",
    },
    {
        "id": "dairy",
        "name": "Alpenmilch Molkerei",
        "role": "firm",
        "employees": 120,
        "description": "Dairy producing milk, yoghurt and cheese.",
        "needs": "Predictive maintenance for our bottle filling machines.",
        "needs_visibility": "public",
        "sectors": "food",
        "capabilities": "dairy processing",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Wels",
        "clusters": "food",
    },
    {
        "id": "visiontech",
        "name": "VisionTech Systems",
        "role": "vendor",
        "employees": 30,
        "description": "Computer vision and machine learning for automated optical inspection and quality "
        "control on production lines.",
        "sectors": "software;manufacturing",
        "capabilities": "computer vision;quality control",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Linz",
        "clusters": "precision",
    },
    {
        "id": "jku",
        "name": "Johannes Kepler University",
        "role": "university",
        "employees": 3000,
        "description": "Research and teaching in machine learning, robotics and mechatronics.",
        "sectors": "education",
        "capabilities": "machine learning;robotics",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Linz",
    },
    {
        "id": "broker",
        "name": "Innovation Agency Upper Austria",
        "role": "knowledge_broker",
        "description": "Technology transfer and innovation consulting connecting SMEs with research.",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Linz",
    },
    {
        "id": "millworks",
        "name": "Steyr Millworks",
        "role": "firm",
        "employees": 5,
        "description": "CNC machining and precision milling of metal parts.",
        "sectors": "manufacturing",
        "capabilities": "cnc machining",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Steyr",
        "clusters": "precision",
        "needs": "A supplier of titanium powder.",
        "needs_visibility": "private",
    },
    {
        "id": "vienna-soft",
        "name": "Vienna Software Studio",
        "role": "vendor",
        "employees": 12,
        "description": "Web and mobile apps for retail.",
        "sectors": "software",
        "capabilities": "app development",
        "country": "AT",
        "region": "Vienna",
        "city": "Vienna",
    },
]
GENERATED = 120
CLUSTERS = [
    {
        "id": "food",
        "name": "Food Processing Cluster",
        "sector": "food",
        "region": "Upper Austria",
        "stage": "mature",
        "managed_by": "cm-food",
    },
    {
        "id": "precision",
        "name": "Precision Engineering Cluster",
        "sector": "manufacturing",
        "region": "Upper Austria",
        "stage": "growth",
        "managed_by": "cm-precision",
    },
]
COLLABORATIONS = [
    {"source": "bakery", "target": "broker", "kind": "mentoring", "since": "2021-03-01", "weight": 2},
    {"source": "visiontech", "target": "jku", "kind": "research", "since": "2019", "weight": 5},
    {"source": "broker", "target": "jku", "kind": "joint_project", "weight": 1},
]


def _generated() -> list[dict[str, Any]]:
    return [
        {
            "id": f"gen-{i:03d}",
            "name": f"Generated Firm {i:03d}",
            "role": "firm",
            "employees": 3 + i,
            "description": f"Contract manufacturing of metal component type {i}.",
            "sectors": "manufacturing",
            "capabilities": "cnc machining" if i % 2 else "welding",
            "country": "AT",
            "region": "Upper Austria" if i % 3 else "Vienna",
            "city": "Steyr" if i % 3 else "Vienna",
            "clusters": "precision" if i % 4 == 0 else "",
        }
        for i in range(GENERATED)
    ]


@pytest.fixture(scope="module")
def region(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, NewKey]:
    """The region loaded through ingest, embedded by matching with the real model, one key per role."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("api-region")
    files = [
        write_jsonl(folder / "clusters.jsonl", CLUSTERS),
        write_jsonl(folder / "organizations.jsonl", ORGANIZATIONS + _generated()),
        write_jsonl(folder / "collaborations.jsonl", COLLABORATIONS),
    ]
    summary = ingest.load(session_graph, files, source="api-test")
    assert summary.counts()["rejected"] == 0, summary.counts()
    matching.embed(session_graph, neo4j_settings)
    return {
        "food_manager": create_key(session_graph, ApiRole.CLUSTER_MANAGER, "cm-food"),
        "precision_manager": create_key(session_graph, ApiRole.CLUSTER_MANAGER, "cm-precision"),
        "bakery": create_key(session_graph, ApiRole.MEMBER, "bakery"),
        "dairy": create_key(session_graph, ApiRole.MEMBER, "dairy"),
        "data_team": create_key(session_graph, ApiRole.DATA_TEAM, None),
    }


@pytest.fixture(scope="module")
def client(neo4j_settings: Settings, region: dict[str, NewKey]) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


PAGE = """
query Page($filter: OrganizationFilterInput, $orderBy: OrganizationOrderInput, $first: Int!, $after: String) {
  organizations(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor score node { id name } }
  }
}
"""


# --- server, schema ----------------------------------------------------------------------------------------


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_readiness_fails_without_neo4j(region: dict[str, NewKey], neo4j_settings: Settings) -> None:
    from graph.server import free_port

    nowhere = neo4j_settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}"})
    with TestClient(create_app(nowhere)) as down:
        response = down.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_graphiql_page_opens_in_a_browser(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_the_search_page_reads_its_choices_once_for_many_loads(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    """The one page anyone may load without a key read every organization's town on each load (150 ms of
    the server's time on a graph of 100,000 organizations, as often as anyone asked)."""
    graph = client.app.state.graph  # type: ignore[attr-defined]
    before = graph.queries_run
    pages = [client.get("/") for _ in range(20)]
    assert all(page.status_code == 200 for page in pages)
    offered = re.compile(r'<option value="AT/upper-austria"[^>]*>Upper Austria</option>')
    assert all(offered.search(page.text) for page in pages)
    assert graph.queries_run - before <= 1


def test_served_schema_matches_the_sdl_snapshot(client: TestClient, region: dict[str, NewKey]) -> None:
    body = data(gql(client, region["dairy"], get_introspection_query()))
    served = print_schema(lexicographic_sort_schema(build_client_schema(body)))
    kept = print_schema(lexicographic_sort_schema(build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))))
    assert served == kept, (
        "the served schema differs from schema/schema.graphql; regenerate it with "
        "`clusterkg serve --print-schema > schema/schema.graphql`"
    )


# --- queries -----------------------------------------------------------------------------------------------


def test_organization_with_every_nested_field(client: TestClient, region: dict[str, NewKey]) -> None:
    query = """{ organization(id: "visiontech") {
        id name role description website founded sectors
        location { country region city lat lon } size { employees sizeClass }
        capabilities { id name } clusters { id name stage managedBy { id } memberCount }
        region { id name level parent { id level parent { id level } } }
        collaborators(limit: 5) { kind since weight partner { id name } }
        projects { role project { id } } sources } }"""
    org = data(gql(client, region["dairy"], query))["organization"]
    assert org["name"] == "VisionTech Systems" and org["role"] == "VENDOR"
    assert org["size"] == {"employees": 30, "sizeClass": "SMALL"}
    assert {c["name"] for c in org["capabilities"]} == {"computer vision", "quality control"}
    assert org["clusters"][0]["id"] == "precision" and org["clusters"][0]["managedBy"]["id"] == "cm-precision"
    assert org["clusters"][0]["memberCount"] == 3 + GENERATED // 4  # cm, visiontech, millworks, generated
    assert org["region"]["level"] == "city" and org["region"]["parent"]["parent"]["id"] == "AT"
    assert org["collaborators"] == [
        {
            "kind": "RESEARCH",
            "since": "2019-01-01",
            "weight": 5.0,
            "partner": {"id": "jku", "name": org["collaborators"][0]["partner"]["name"]},
        }
    ]
    assert org["sources"] == ["api-test"]


def test_an_organizations_projects_come_newest_first_a_page_at_a_time(
    client: TestClient, region: dict[str, NewKey], session_graph: Graph, tmp_path: Path
) -> None:
    """A university of a research registry takes part in thousands of projects: all of them, in each of a
    hundred aliases, made a 50 MB answer that held the event loop for 3 s, and the complexity count took the
    list for 10 rows. ``projects`` takes a ``limit`` like ``collaborators`` and counts it."""
    many = 150
    projects = [{"id": f"jku-p{i:03d}", "title": f"P{i}", "start": f"{1900 + i}-01-01"} for i in range(many)]
    taking_part = [{"project": p["id"], "organization": "jku", "role": "participant"} for p in projects]
    files = [
        write_jsonl(tmp_path / "projects.jsonl", projects),
        write_jsonl(tmp_path / "participations.jsonl", taking_part),
    ]
    assert ingest.load(session_graph, files, source="api-test").counts()["rejected"] == 0
    newest = [f"jku-p{i:03d}" for i in reversed(range(many))]
    query = """query($n: Int!) { organization(id: "jku") {
        a: projects { project { id } } b: projects(limit: $n) { project { id } } } }"""
    org = data(gql(client, region["dairy"], query, {"n": 100}))["organization"]
    assert [p["project"]["id"] for p in org["a"]] == newest[:20]
    assert [p["project"]["id"] for p in org["b"]] == newest[:100]
    assert codes(gql(client, region["dairy"], query, {"n": 101})) == ["BAD_USER_INPUT"]
    one = 'organization(id: "jku") { projects(limit: 100) { role project { id title start end } } }'
    body = gql(client, region["dairy"], "{ " + " ".join(f"a{i}: {one}" for i in range(40)) + " }")
    assert body["data"] is None and "too complex" in body["errors"][0]["message"], str(body)[:300]


def test_unknown_organization_is_not_found(client: TestClient, region: dict[str, NewKey]) -> None:
    body = gql(client, region["dairy"], '{ organization(id: "nope") { id } cluster(id: "nope") { id } }')
    assert body["data"] == {"organization": None, "cluster": None}
    assert codes(body) == ["NOT_FOUND", "NOT_FOUND"]


def test_clusters_and_members(client: TestClient, region: dict[str, NewKey]) -> None:
    query = """{ clusters { id name stage region managedBy { id } }
        cluster(id: "food") { members(first: 10) { totalCount edges { node { id } } } } }"""
    got = data(gql(client, region["dairy"], query))
    assert [c["id"] for c in got["clusters"]] == ["food", "precision"]
    assert got["clusters"][0] == {
        "id": "food",
        "name": "Food Processing Cluster",
        "stage": "MATURE",
        "region": "Upper Austria",
        "managedBy": {"id": "cm-food"},
    }
    members = got["cluster"]["members"]
    assert members["totalCount"] == 3 and sorted(ids(members)) == ["bakery", "cm-food", "dairy"]


def test_keyset_pages_walk_everything_once(client: TestClient, region: dict[str, NewKey]) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = data(gql(client, region["dairy"], PAGE, {"first": 40, "after": after}))["organizations"]
        seen += ids(page)
        assert page["totalCount"] == len(ORGANIZATIONS) + GENERATED
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    names = [edge for edge in seen]
    assert len(names) == len(set(names)) == len(ORGANIZATIONS) + GENERATED


def test_cursor_is_a_keyset_not_an_offset(client: TestClient, region: dict[str, NewKey]) -> None:
    order = {"field": "ID", "direction": "ASC"}
    first = data(gql(client, region["dairy"], PAGE, {"first": 3, "orderBy": order}))["organizations"]
    cursor = first["pageInfo"]["endCursor"]
    key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert key[-1] == ids(first)[-1]  # the cursor names the last row, not a position
    second = data(gql(client, region["dairy"], PAGE, {"first": 3, "orderBy": order, "after": cursor}))
    assert min(ids(second["organizations"])) > ids(first)[-1]
    descending = data(
        gql(client, region["dairy"], PAGE, {"first": 2, "orderBy": {"field": "NAME", "direction": "DESC"}})
    )
    names = [edge["node"]["name"] for edge in descending["organizations"]["edges"]]
    assert names == sorted(names, reverse=True)
    bad = gql(client, region["dairy"], PAGE, {"first": 3, "after": cursor})  # cursor of another order
    assert codes(bad) == ["BAD_USER_INPUT"]
    assert codes(gql(client, region["dairy"], PAGE, {"first": 3, "after": "garbage!"})) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"roles": ["VENDOR"]}, {"visiontech", "vienna-soft"}),
        ({"roles": ["UNIVERSITY", "KNOWLEDGE_BROKER"]}, {"jku", "broker"}),
        ({"clusters": ["food"]}, {"cm-food", "bakery", "dairy"}),
        ({"regions": ["AT/vienna"], "roles": ["VENDOR"]}, {"vienna-soft"}),
        ({"sectors": ["food"]}, {"bakery", "dairy"}),
        ({"capabilities": ["Computer Vision"]}, {"visiontech"}),
        (
            {
                "sizes": ["SMALL"],
                "roles": ["VENDOR", "FIRM"],
                "clusters": ["food", "precision"],
                "regions": ["AT/upper-austria/linz"],
            },
            {"bakery", "visiontech"},
        ),
        ({"text": "dairy yoghurt"}, {"dairy"}),
        ({"text": "machine learning", "roles": ["UNIVERSITY"]}, {"jku"}),
        ({"text": "cluster management", "clusters": ["precision"]}, {"cm-precision"}),
        ({"capabilities": ["cnc machining"], "regions": ["AT/vienna"], "sizes": ["LARGE"]}, set()),
    ],
)
def test_filters_combine(
    client: TestClient, region: dict[str, NewKey], flt: dict[str, Any], expected: set[str]
) -> None:
    page = data(gql(client, region["dairy"], PAGE, {"first": 100, "filter": flt}))["organizations"]
    assert set(ids(page)) == expected
    assert page["totalCount"] == len(expected)


def test_generated_firms_filter_by_region_and_capability(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    flt = {"regions": ["AT/vienna"], "capabilities": ["welding"], "roles": ["FIRM"]}
    page = data(gql(client, region["dairy"], PAGE, {"first": 100, "filter": flt}))["organizations"]
    expected = {f"gen-{i:03d}" for i in range(GENERATED) if i % 3 == 0 and i % 2 == 0}
    assert set(ids(page)) == expected and page["totalCount"] == len(expected)


def test_similar_to_ranks_by_meaning_and_combines(client: TestClient, region: dict[str, NewKey]) -> None:
    flt = {"similarTo": "camera-based defect detection for manufacturing"}
    page = data(gql(client, region["dairy"], PAGE, {"first": 3, "filter": flt}))["organizations"]
    assert ids(page)[0] == "visiontech"
    scores = [edge["score"] for edge in page["edges"]]
    assert scores == sorted(scores, reverse=True)
    nxt = data(
        gql(
            client, region["dairy"], PAGE, {"first": 3, "filter": flt, "after": page["pageInfo"]["endCursor"]}
        )
    )
    assert not set(ids(nxt["organizations"])) & set(ids(page))
    assert max(e["score"] for e in nxt["organizations"]["edges"]) <= min(scores)
    only_universities = {**flt, "roles": ["UNIVERSITY"]}
    page = data(gql(client, region["dairy"], PAGE, {"first": 5, "filter": only_universities}))
    assert ids(page["organizations"]) == ["jku"]
    both = {**flt, "text": "university"}
    assert ids(data(gql(client, region["dairy"], PAGE, {"first": 5, "filter": both}))["organizations"]) == [
        "jku"
    ]


def test_search_is_hybrid_and_filtered(client: TestClient, region: dict[str, NewKey]) -> None:
    query = """query S($text: String!, $filter: OrganizationFilterInput) {
        search(text: $text, filter: $filter, limit: 5) {
            score textScore vectorScore organization { id } } }"""
    hits = data(gql(client, region["dairy"], query, {"text": "optical inspection"}))["search"]
    assert hits[0]["organization"]["id"] == "visiontech"
    assert hits[0]["textScore"] == 1.0 and hits[0]["vectorScore"] > 0.3
    by_meaning = data(gql(client, region["dairy"], query, {"text": "cameras checking product defects"}))
    assert by_meaning["search"][0]["organization"]["id"] == "visiontech"
    filtered = data(
        gql(
            client,
            region["dairy"],
            query,
            {"text": "optical inspection", "filter": {"roles": ["UNIVERSITY"]}},
        )
    )["search"]
    assert [hit["organization"]["id"] for hit in filtered] == ["jku"]
    odd = data(gql(client, region["dairy"], query, {"text": 'robotics AND (OR "x'}))["search"]
    assert odd and odd[0]["organization"]["id"] == "jku"  # Lucene syntax in user text is only text
    assert codes(gql(client, region["dairy"], query, {"text": "   "})) == ["BAD_USER_INPUT"]


# --- no N+1 ------------------------------------------------------------------------------------------------

NESTED_PAGE = """query($first: Int!) { organizations(first: $first) { edges { node {
    id name clusters { id name } region { id name parent { id } } capabilities { id name } } } } }"""


def test_nested_page_costs_a_constant_number_of_queries(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    graph = client.app.state.graph  # type: ignore[attr-defined]
    costs = {}
    for first in (5, 100):
        before = graph.queries_run
        page = data(gql(client, region["dairy"], NESTED_PAGE, {"first": first}))["organizations"]
        costs[first] = graph.queries_run - before
        assert len(page["edges"]) == first
    # key look-up, page (its clusters and capabilities inlined), region of, regions, parent regions
    assert costs[5] == costs[100] == 5, costs
    one = """query($id: ID!) { organization(id: $id) {
        clusters { id name } capabilities { id name } region { id name parent { id } } } }"""
    for edge in page["edges"]:  # a page's lists and regions are each organization's own, read alone
        alone = data(gql(client, region["dairy"], one, {"id": edge["node"]["id"]}))["organization"]
        assert alone["clusters"] == edge["node"]["clusters"]
        assert alone["capabilities"] == edge["node"]["capabilities"]
        assert alone["region"] == edge["node"]["region"] and alone["region"] is not None, edge
    members = (
        """{ clusters { members(first: 3) { edges { node { id clusters { id } capabilities { id } } } } } }"""
    )
    before = graph.queries_run
    clusters = data(gql(client, region["dairy"], members))["clusters"]
    assert graph.queries_run - before == 3  # key look-up, clusters, members pages with their lists
    bakery = next(e["node"] for c in clusters for e in c["members"]["edges"] if e["node"]["id"] == "bakery")
    assert bakery == {
        "id": "bakery",
        "clusters": [{"id": "food"}],
        "capabilities": [{"id": "baking"}, {"id": "logistics"}],
    }


def test_the_stock_executor_answers_as_the_lean_one(
    client: TestClient, neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    """``CLUSTERKG_API_EXECUTOR=stock`` (graphql-core's own executor) is the way back from the lean one: the
    same operations, on the real schema and graph, answer alike, errors included."""
    operations: list[tuple[str, dict[str, Any]]] = [
        (NESTED_PAGE, {"first": 20}),
        (
            """{ organization(id: "visiontech") { id name role description website founded sectors
            location { country region city lat lon } size { employees sizeClass } needs
            capabilities { id name } clusters { id name stage managedBy { id } memberCount }
            region { id name level parent { id } }
            collaborators(limit: 5) { kind since weight partner { id } }
            projects { role project { id } } sources } }""",
            {},
        ),
        (
            """{ clusters { id name members(first: 5, orderBy: {field: ID, direction: DESC}) {
            totalCount pageInfo { hasNextPage endCursor }
            edges { cursor node { id clusters { id } } } } } }""",
            {},
        ),
        ('{ organization(id: "nope") { id } cluster(id: "nope") { id } }', {}),
        ('{ organizations(first: 2, after: "not-a-cursor") { edges { node { id } } } }', {}),
    ]

    def answer(test_client: TestClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The body, its errors in path order (fields resolved concurrently report in any order)."""
        body = gql(test_client, region["dairy"], query, variables)
        body["errors"] = sorted(
            body.get("errors") or [], key=lambda error: [str(p) for p in error.get("path") or []]
        )
        return body

    stock_settings = neo4j_settings.model_copy(update={"api_executor": "stock"})
    with TestClient(create_app(stock_settings)) as stock:
        for query, variables in operations:
            lean_body = answer(client, query, variables)
            assert lean_body["status"] == 200
            assert answer(stock, query, variables) == lean_body, query


def test_a_page_reads_the_properties_it_selects(client: TestClient, region: dict[str, NewKey]) -> None:
    fields = "id name role description website founded sectors location { country city lat lon } " + (
        "size { employees sizeClass }"
    )
    page = data(
        gql(client, region["dairy"], f"{{ organizations(first: 30) {{ edges {{ node {{ {fields} }} }} }} }}")
    )
    one = f"query($id: ID!) {{ organization(id: $id) {{ {fields} }} }}"
    nodes = [edge["node"] for edge in page["organizations"]["edges"]]
    assert any(node["location"]["city"] for node in nodes) and any(
        node["size"]["employees"] for node in nodes
    )
    for node in nodes:
        assert data(gql(client, region["dairy"], one, {"id": node["id"]}))["organization"] == node


def test_members_of_every_cluster_cost_one_query_together(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    graph = client.app.state.graph  # type: ignore[attr-defined]
    query = """{ clusters { id members(first: 2, orderBy: {field: ID, direction: ASC}) {
        totalCount pageInfo { hasNextPage } edges { node { id } } } } }"""
    before = graph.queries_run
    clusters = {c["id"]: c["members"] for c in data(gql(client, region["dairy"], query))["clusters"]}
    assert graph.queries_run - before == 4  # key look-up, clusters, members pages, member counts
    assert ids(clusters["food"]) == ["bakery", "cm-food"] and clusters["food"]["totalCount"] == 3
    assert ids(clusters["precision"]) == ["cm-precision", "gen-000"]
    assert clusters["precision"]["totalCount"] == 3 + GENERATED // 4
    filtered = """{ cluster(id: "precision") { members(first: 5, filter: {roles: [VENDOR]}) {
        totalCount edges { node { id } } } } }"""
    members = data(gql(client, region["dairy"], filtered))["cluster"]["members"]
    assert ids(members) == ["visiontech"] and members["totalCount"] == 1
    similar = """{ cluster(id: "precision") { members(first: 1, filter: {similarTo: "camera inspection"}) {
        edges { node { id } } } } }"""
    assert ids(data(gql(client, region["dairy"], similar))["cluster"]["members"]) == ["visiontech"]
    clash = '{ cluster(id: "food") { members(filter: {clusters: ["precision"]}) { totalCount } } }'
    assert codes(gql(client, region["dairy"], clash)) == ["BAD_USER_INPUT"]


def test_a_cluster_filtered_by_meaning_keeps_every_member_beyond_the_nearest_of_all(
    client: TestClient, neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    """A cluster's `members(filter: {similarTo})` kept only its members among the nearest of all
    organizations (500; 2 here): the rest of the cluster was silently left out of the page and the count.
    Every member is scored as the vector index scores it, best first."""
    near = neo4j_settings.model_copy(update={"api_vector_candidates": 2})
    query = """{ cluster(id: "precision") { members(first: 100, filter: {similarTo: "camera inspection"},
        orderBy: {field: RELEVANCE, direction: DESC}) { totalCount edges { node { id } score } } } }"""
    with TestClient(create_app(near)) as small:
        members = data(gql(small, region["dairy"], query))["cluster"]["members"]
    assert members["totalCount"] == len(members["edges"]) == 3 + GENERATED // 4
    assert ids(members)[0] == "visiontech"
    scores = [edge["score"] for edge in members["edges"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] < scores[0] <= 1
    everyone = """{ organizations(first: 100,
        filter: {similarTo: "camera inspection", clusters: ["precision"]},
        orderBy: {field: RELEVANCE, direction: DESC}) { edges { node { id } score } } }"""
    indexed = data(gql(client, region["dairy"], everyone))["organizations"]["edges"]
    assert len(indexed) == len(scores)  # the region is smaller than 500: the index finds every member
    by_index = {edge["node"]["id"]: edge["score"] for edge in indexed}
    assert all(abs(edge["score"] - by_index[edge["node"]["id"]]) < 1e-3 for edge in members["edges"])


# --- access ------------------------------------------------------------------------------------------------

NEEDS = """query($id: ID!) { organization(id: $id) { id needs } }"""


def test_no_key_or_a_wrong_key_is_401(client: TestClient, region: dict[str, NewKey]) -> None:
    for key in (None, "ckg_nope_nope"):
        body = gql(client, key, "{ clusters { id } }")
        assert body["status"] == 401 and codes(body) == ["UNAUTHENTICATED"]
    response = client.post(
        "/graphql", json={"query": "{ clusters { id } }"}, headers={"Authorization": "Basic x"}
    )
    assert response.status_code == 401


def test_a_revoked_key_is_refused(
    client: TestClient, session_graph: Graph, region: dict[str, NewKey]
) -> None:
    key = create_key(session_graph, ApiRole.MEMBER, "dairy")
    assert gql(client, key, "{ clusters { id } }")["status"] == 200
    revoke_key(session_graph, key.id)
    assert gql(client, key, "{ clusters { id } }")["status"] == 401


@pytest.mark.parametrize(
    ("key", "readable"),
    [
        ("bakery", True),  # the organization itself
        ("food_manager", True),  # manages a cluster the bakery is a member of
        ("precision_manager", False),  # manages another cluster
        ("dairy", False),  # another member
        ("data_team", False),
    ],
)
def test_private_need_field(client: TestClient, region: dict[str, NewKey], key: str, readable: bool) -> None:
    got = data(gql(client, region[key], NEEDS, {"id": "bakery"}))["organization"]
    assert got["needs"] == (PRIVATE_NEED if readable else None)
    public = data(gql(client, region[key], NEEDS, {"id": "dairy"}))["organization"]
    assert public["needs"] == "Predictive maintenance for our bottle filling machines."


def test_a_data_team_key_reads_no_private_need_and_is_bound_to_no_organization(
    client: TestClient, session_graph: Graph, region: dict[str, NewKey]
) -> None:
    """`clusterkg keys create --role data_team --organization bakery` was accepted, and the key then read
    the bakery's private need: the needs were decided by the key's organization whatever its role."""
    with pytest.raises(InvalidInput, match="a data_team key is bound to no organization"):
        create_key(session_graph, ApiRole.DATA_TEAM, "bakery")
    legacy = "ckg_legacydt0001_" + "x" * 43  # a key stored so by an earlier version
    session_graph.run(
        Query(
            "test.legacy_data_team_key",
            "CREATE (:ApiKey {id: 'legacydt0001', hash: $hash, role: 'data_team', organization_id: 'bakery', "
            "created_at: datetime()})",
            write=True,
        ),
        hash=hash_key(legacy),
    )
    try:
        got = data(gql(client, legacy, NEEDS, {"id": "bakery"}))["organization"]
        assert got["needs"] is None
        listed = json.dumps(
            data(
                gql(
                    client,
                    legacy,
                    '{ cluster(id: "food") { members(first: 100) { edges { node { needs } } } } }',
                )
            )
        )
        assert "zorblax" not in listed
    finally:
        revoke_key(session_graph, "legacydt0001")


def test_private_need_is_not_readable_through_lists(client: TestClient, region: dict[str, NewKey]) -> None:
    query = """{ organizations(first: 100, filter: {clusters: ["food", "precision"]}) {
        edges { node { id needs collaborators { partner { id needs } } } } } }"""
    as_dairy = json.dumps(data(gql(client, region["dairy"], query)))
    assert "zorblax" not in as_dairy and "titanium" not in as_dairy
    as_manager = json.dumps(data(gql(client, region["precision_manager"], query)))
    assert "zorblax" not in as_manager and "titanium" in as_manager  # millworks is in its cluster
    managed = data(gql(client, region["precision_manager"], NEEDS, {"id": "millworks"}))["organization"]
    assert managed["needs"] == "A supplier of titanium powder."


def test_private_need_is_not_filterable_searchable_or_inferable(
    client: TestClient, session_graph: Graph, region: dict[str, NewKey]
) -> None:
    words = "zorblax sourdough fermentation hyperspectral"
    text_filter = data(gql(client, region["dairy"], PAGE, {"first": 100, "filter": {"text": words}}))
    assert "bakery" not in ids(text_filter["organizations"])
    assert text_filter["organizations"]["totalCount"] == 0
    search = """query($t: String!) { search(text: $t, limit: 20) { score organization { id } } }"""
    similar = {"first": 20, "filter": {"similarTo": PRIVATE_NEED}}

    def answers() -> tuple[Any, Any]:
        return (
            data(gql(client, region["dairy"], search, {"t": PRIVATE_NEED}))["search"],
            data(gql(client, region["dairy"], PAGE, similar))["organizations"],
        )

    before = answers()
    submit = """mutation($t: String!) { submitNeed(text: $t, visibility: PRIVATE) { id } }"""
    data(gql(client, region["bakery"], submit, {"t": "Completely different: forklift fleet leasing."}))
    try:
        assert answers() == before  # the private need changes nothing anyone else can see
    finally:
        data(gql(client, region["bakery"], submit, {"t": PRIVATE_NEED}))
    assert session_graph.run(READ_NEED, id="bakery") == [{"needs": PRIVATE_NEED}]


# --- limits and errors -------------------------------------------------------------------------------------


def test_page_size_is_capped(client: TestClient, region: dict[str, NewKey]) -> None:
    for first in (0, 101):
        assert codes(gql(client, region["dairy"], PAGE, {"first": first})) == ["BAD_USER_INPUT"]
    query = '{ organization(id: "jku") { collaborators(limit: 1000) { kind } } }'
    assert codes(gql(client, region["dairy"], query)) == ["BAD_USER_INPUT"]


def test_page_size_defaults_follow_a_lower_maximum_page_size(
    neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    """With the maximum page size set below the defaults (20 organizations, 100 clusters, 10 hits), a query
    that gives no size gets pages of the maximum (every such query was refused for a size its caller never
    gave); a size the caller gives is still checked, and introspection shows the default that runs."""
    small = neo4j_settings.model_copy(update={"api_max_page_size": 2})
    query = """{ organizations { edges { node { id } } } clusters { id } search(text: "machine learning") {
        score } organization(id: "jku") { collaborators { kind } projects { role } } }"""
    with TestClient(create_app(small)) as client:
        got = data(gql(client, region["dairy"], query))
        assert [len(got["organizations"]["edges"]), len(got["clusters"]), len(got["search"])] == [2, 2, 2]
        body = gql(client, region["dairy"], "{ organizations(first: 3) { edges { cursor } } }")
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert "`first` must be between 1 and 2; got 3" in body["errors"][0]["message"]
        fields = data(
            gql(
                client,
                region["dairy"],
                '{ __type(name: "Query") { fields { name args { name defaultValue } } } }',
            )
        )["__type"]["fields"]
    defaults = {(f["name"], a["name"]): a["defaultValue"] for f in fields for a in f["args"]}
    assert defaults[("organizations", "first")] == defaults[("clusters", "limit")] == "2"


def test_depth_is_limited(client: TestClient, region: dict[str, NewKey]) -> None:
    deep = (
        '{ organization(id: "jku") { region { parent { parent { parent { parent { parent { parent { parent '
        "{ id } } } } } } } } } }"
    )
    body = gql(client, region["dairy"], deep)
    assert body["data"] is None and codes(body) == ["BAD_USER_INPUT"]
    assert "depth" in body["errors"][0]["message"]


def test_complexity_is_limited(client: TestClient, region: dict[str, NewKey]) -> None:
    query = """query($n: Int!) { organizations(first: $n) { edges { node {
        collaborators(limit: 100) { partner { collaborators(limit: 100) { partner { id name } } } } } } } }"""
    body = gql(client, region["dairy"], query, {"n": 100})
    assert body["data"] is None and codes(body) == ["BAD_USER_INPUT"]
    assert "too complex" in body["errors"][0]["message"]
    assert gql(client, region["dairy"], query.replace("100", "2"), {"n": 2})["status"] == 200


def test_the_complexity_counts_the_page_sizes_the_operation_runs_with(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    """A page size from a variable's default or sent as a float counts as the size it runs with (both were
    counted as the field's default of 20: 50 times too little here), and a negative one lowers no cost (one
    made the operation's cost negative, and eleven aliased suggestions ran past the limit)."""
    nested = """organizations(first: $n) { edges { node {
        collaborators(limit: $n) { partner { collaborators(limit: $n) { kind } } } } } }"""
    for query, variables in (
        (f"query($n: Int! = 100) {{ {nested} }}", {}),
        (f"query($n: Int!) {{ {nested} }}", {"n": 100.0}),
    ):
        body = gql(client, region["dairy"], query, variables)
        assert body["data"] is None and "too complex" in body["errors"][0]["message"], body
    huge = gql(client, region["dairy"], f"query($n: Int!) {{ {nested} }}", {"n": 1e308})
    message = huge["errors"][0]["message"]
    assert "too complex" in message and "more than 1,000,000,000,000" in message and len(message) < 400, (
        message
    )
    suggestions = " ".join(
        f's{i}: partnerSuggestions(need: "camera quality control", limit: 1) {{ score }}' for i in range(11)
    )
    for head, size, variables in (("", "-1000000", {}), ("($n: Int!)", "$n", {"n": -1_000_000})):
        discount = f'organization(id: "dairy") {{ collaborators(limit: {size}) {{ kind }} }}'
        body = gql(client, region["dairy"], f"query{head} {{ {discount} {suggestions} }}", variables)
        assert body["data"] is None and "too complex" in body["errors"][0]["message"], body


def test_a_full_text_filter_counts_as_a_search(client: TestClient, region: dict[str, NewKey]) -> None:
    """A `text` filter counts what a search counts, and its count is every match: counted as a field, one
    request held 100 aliased counts of a word most of 100,000 organizations hold, each reading all of them."""
    one = 'organizations(filter: {text: "generated"}) { totalCount }'
    few = data(gql(client, region["dairy"], "{ " + " ".join(f"c{i}: {one}" for i in range(3)) + " }"))
    assert [few[f"c{i}"]["totalCount"] for i in range(3)] == [GENERATED] * 3
    many = "{ " + " ".join(f"c{i}: {one}" for i in range(100)) + " }"
    given = "query($f: OrganizationFilterInput) { " + " ".join(
        f"c{i}: organizations(filter: $f) {{ totalCount }}" for i in range(100)
    )
    for query, variables in ((many, {}), (given + " }", {"f": {"text": "generated"}})):
        body = gql(client, region["dairy"], query, variables)
        assert body["data"] is None and codes(body) == ["BAD_USER_INPUT"], body
        assert "too complex" in body["errors"][0]["message"] and "`c0`" in body["errors"][0]["message"], body


def test_introspection_is_answered_once_and_stops_when_aliases_repeat_it(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    """GraphiQL's full introspection query is answered; aliases repeating a nested ``__schema`` selection
    stop at the introspection cap (760 of them, 95 kB, resolved 24 MB on the event loop and held every other
    request for 9 s: introspection counted against no limit)."""
    full = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    schema = data(gql(client, region["dairy"], full))["__schema"]
    assert {"Organization", "Query", "Mutation"} <= {t["name"] for t in schema["types"]}
    nested = (
        "__schema { types { name fields { name args { name type { name kind ofType { name kind } } } "
        "type { name kind fields { name args { name } } } } } }"
    )
    body = gql(client, region["dairy"], "{ " + " ".join(f"a{i}: {nested}" for i in range(20)) + " }")
    assert body["data"] is None and codes(body)[-1] == "BAD_USER_INPUT", str(body)[:300]
    assert "introspection fields" in body["errors"][-1]["message"]


def test_request_body_size_is_limited(client: TestClient, region: dict[str, NewKey]) -> None:
    padding = " " * 200_000
    response = client.post(
        "/graphql",
        json={"query": "{ clusters { id } }" + padding},
        headers={"Authorization": f"Bearer {region['dairy'].secret}"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_slow_requests_time_out(neo4j_settings: Settings, region: dict[str, NewKey]) -> None:
    hurried = neo4j_settings.model_copy(update={"api_request_timeout": 0.001})
    with TestClient(create_app(hurried)) as impatient:
        body = gql(impatient, region["dairy"], '{ search(text: "machine learning") { score } }')
    assert body["status"] == 504 and codes(body) == ["INTERNAL"]


def test_cpu_work_waits_for_a_free_compute_thread(
    neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    """A search's embedding and a suggestion queue while every compute thread is busy, and run once one is
    free."""
    one = neo4j_settings.model_copy(update={"api_compute_threads": 1, "api_request_timeout": 1.0})
    search = '{ search(text: "machine learning", limit: 3) { score } }'
    suggest = "{ partnerSuggestions(limit: 3) { partner { id } } }"
    with TestClient(create_app(one)) as queued:
        compute = queued.app.state.compute  # type: ignore[attr-defined]
        assert compute.threads == 1
        queued.portal.call(compute.acquire, "busy")  # type: ignore[union-attr]
        waited = [gql(queued, region["dairy"], query) for query in (search, suggest)]
        queued.portal.call(compute.release, "busy")  # type: ignore[union-attr]
        assert [(body["status"], codes(body)) for body in waited] == [(504, ["INTERNAL"])] * 2
        assert len(data(gql(queued, region["dairy"], search))["search"]) == 3


def test_one_key_holds_all_compute_threads_but_one(
    neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    """A key's work holds at most all compute threads but one, so another key's search finds one free.
    Admitted in turn alone, a key's long jobs held every thread: nine aliased insights of clusters of 2,400
    members held both, and another key's search waited 5 s. Here the threads are two: a key holding one, with
    more of its work waiting, leaves the other to another key's search."""
    two = neo4j_settings.model_copy(update={"api_compute_threads": 2})
    with TestClient(create_app(two)) as app, _one_held_one_waiting(app, "compute") as compute:
        body = gql(app, region["dairy"], '{ search(text: "cheese vats", limit: 3) { score } }')
        assert len(data(body)["search"]) == 3, body
    assert compute.free == 2 and not compute.held


@contextlib.contextmanager
def _one_held_one_waiting(app: TestClient, lanes: str) -> Iterator[FairCompute]:
    """The app's ``lanes`` (``compute`` or ``graph_slots``) with key "busy" holding one and waiting for a
    second: the key's share is full while another is free. Both are given back after."""
    shared: FairCompute = getattr(app.app.state, lanes)  # type: ignore[attr-defined]
    portal = app.portal
    assert portal is not None
    portal.call(shared.acquire, "busy")
    second = portal.start_task_soon(shared.acquire, "busy")
    try:
        wait_until(lambda: len(shared.waiting.get("busy", ())) == 1 or second.done(), seconds=10)
        assert not second.done(), f"one key took every one of {lanes}"
        yield shared
    finally:
        portal.call(shared.release, "busy")  # handed to the key's waiting second
        second.result(10)
        portal.call(shared.release, "busy")


def test_graph_queries_wait_for_a_slot_key_by_key(
    neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    """A request's Neo4j queries wait for a graph slot, and another key's query is admitted in its turn, not
    behind every query one request of many aliases queued first (200 aliased filtered counts over 100,000
    organizations held every connection, and another key's one-row look-up waited 10 s). The keys' own
    look-ups wait for a slot too, in the client address's lane: the test lets the flood's through alone."""
    one = neo4j_settings.model_copy(update={"api_graph_slots": 1})
    lookup = '{ organization(id: "dairy") { name } }'
    count = 'a{}: organizations(filter: {{sectors: ["s{}"]}}) {{ totalCount }}'
    flood = "{ " + " ".join(count.format(i, i) for i in range(40)) + " }"
    address = "address:testclient"  # TestClient's client address
    with TestClient(create_app(one)) as queued:
        slots = queued.app.state.graph_slots  # type: ignore[attr-defined]
        queued.portal.call(slots.acquire, "busy")  # type: ignore[union-attr]
        done: dict[str, float] = {}

        def ask(who: str, query: str) -> None:
            assert gql(queued, region[who], query)["status"] == 200
            done[who] = time.monotonic()

        def waiting(key: str) -> int:
            return sum(len(line) for name, line in slots.waiting.items() if name == key)

        async def let_one_through() -> None:
            """Hand the held slot to the one query waiting, and queue to take it back right after it."""
            slots.release("busy")
            await slots.acquire("busy")

        flooding = threading.Thread(target=ask, args=("bakery", flood))
        flooding.start()
        wait_until(lambda: waiting(address) == 1)
        queued.portal.call(let_one_through)  # type: ignore[union-attr]
        wait_until(lambda: waiting(region["bakery"].id) == 40)
        looking = threading.Thread(target=ask, args=("dairy", lookup))
        looking.start()
        wait_until(lambda: waiting(address) == 1)
        queued.portal.call(slots.release, "busy")  # type: ignore[union-attr]
        looking.join(60)
        flooding.join(60)
    assert done["dairy"] < done["bakery"], done


def test_one_key_holds_at_most_its_share_of_the_graph_slots(
    neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    """A key's queries hold at most ``api_graph_slots_per_key`` of the slots, so another key's query finds
    one free. Admitted in turn alone, a key whose long queries held every slot made another key's query
    wait for one of them to end: one request of 100 aliased full-text counts over 100,000 organizations
    (2 s each) and another key's one-row look-up waited 4 s at the median, 7 s at worst. Here the slots are
    two, a key's share one: a key holding one, with another of its queries waiting, leaves the other slot
    to another key's look-up."""
    shared = neo4j_settings.model_copy(update={"api_graph_slots": 2, "api_graph_slots_per_key": 1})
    with TestClient(create_app(shared)) as app, _one_held_one_waiting(app, "graph_slots") as slots:
        body = gql(app, region["dairy"], '{ organization(id: "dairy") { name } }')
        assert data(body)["organization"]["name"], body
    assert slots.free == 2 and not slots.held


def test_work_that_ends_past_the_time_limit_answers_504(
    neo4j_settings: Settings, session_graph: Graph, region: dict[str, NewKey]
) -> None:
    """A worker thread cannot be cancelled: when it finishes after the deadline, the answer is a whole 504,
    not a response cut off after its first bytes. Here the thread waits for a lock this test holds."""
    hurried = neo4j_settings.model_copy(update={"api_request_timeout": 1.0})
    record = """mutation { recordSuggestionFeedback(organizationId: "dairy", partnerId: "bakery",
        accepted: true) { accepted } }"""
    with TestClient(create_app(hurried)) as impatient, session_graph.driver.session() as session:
        holding = session.begin_transaction()
        lock = {"seeker": "dairy", "partner": "bakery", "accepted": True, "comment": None, "by": "test"}
        holding.run(RECORD_FEEDBACK.text, lock)
        released = threading.Timer(1.5, holding.rollback)
        released.start()
        try:
            body = gql(impatient, region["dairy"], record)
        finally:
            released.join()
    assert body["status"] == 504 and codes(body) == ["INTERNAL"]


def test_errors_carry_codes_and_no_internals(client: TestClient, region: dict[str, NewKey]) -> None:
    syntax = gql(client, region["dairy"], "{ organizations(first: ")
    assert codes(syntax) == ["BAD_USER_INPUT"]
    unknown = gql(client, region["dairy"], "{ organizations { nope } }")
    assert codes(unknown) == ["BAD_USER_INPUT"]
    wrong_type = gql(client, region["dairy"], PAGE, {"first": "many"})
    assert codes(wrong_type) == ["BAD_USER_INPUT"]
    for body in (syntax, unknown, wrong_type):
        text = json.dumps(body)
        assert "Traceback" not in text and "MATCH" not in text and "stacktrace" not in text


def test_a_document_of_several_operations_must_name_the_one_to_run(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    """The GraphQL spec refuses a document of several operations sent without ``operationName``; strawberry
    ran the first of them."""
    headers = {"Authorization": f"Bearer {region['dairy'].secret}"}
    two = "query Clusters { clusters { id } } query Type { __typename }"

    def post(query: str, name: str | None) -> dict[str, Any]:
        response = client.post("/graphql", json={"query": query, "operationName": name}, headers=headers)
        return {**response.json(), "status": response.status_code}

    unnamed = post(two, None)
    assert unnamed["status"] == 400 and codes(unnamed) == ["BAD_USER_INPUT"], unnamed
    assert "Must provide operation name" in unnamed["errors"][0]["message"]
    assert post(two, "Type")["data"] == {"__typename": "Query"}
    for query, name in ((two, "Other"), ("query Type { __typename }", "Other"), ("{ __typename }", "Type")):
        wrong = post(query, name)
        assert wrong["status"] == 400 and codes(wrong) == ["BAD_USER_INPUT"], wrong
        assert "'Other'" in wrong["errors"][0]["message"] or "'Type'" in wrong["errors"][0]["message"], wrong
    fragments = post("fragment F on Query { __typename }", None)
    assert fragments["status"] == 400 and "no operation" in fragments["errors"][0]["message"], fragments


def test_an_error_repeats_only_the_start_and_end_of_a_huge_id(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    """An id of 90 kB came back whole in the NOT_FOUND message (and once per alias); an error repeats 100 of
    its characters, its start and its end, and says how long it was."""
    huge = "x" * 90_000
    said = "'" + "x" * 59 + "…" + "x" * 40 + "' (90,000 characters)"
    asked = [
        ("dairy", "query($id: ID!) { organization(id: $id) { id } }", {"id": huge}, "NOT_FOUND"),
        ("dairy", "query($id: ID!) { cluster(id: $id) { id } }", {"id": huge}, "NOT_FOUND"),
        (
            "food_manager",
            "query($id: ID) { partnerSuggestions(organizationId: $id, limit: 3) { score } }",
            {"id": huge},
            "NOT_FOUND",
        ),
        (
            "food_manager",
            'mutation($id: ID!) { recordSuggestionFeedback(organizationId: $id, partnerId: "nobody", '
            "accepted: true) { accepted } }",
            {"id": huge},
            "NOT_FOUND",
        ),
    ]
    for key, query, variables, code in asked:
        body = gql(client, region[key], query, variables)
        message = body["errors"][0]["message"]
        assert codes(body) == [code] and len(message) < 300, (query, code, message[:300])
        assert said in message, message
    headers = {"Authorization": f"Bearer {region['dairy'].secret}"}
    response = client.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": huge}, headers=headers
    )
    assert response.status_code == 400 and said in response.json()["errors"][0]["message"], response.text[
        :300
    ]
    assert len(response.text) < 500
    # the pages take ids and values in the address, which an HTTP client keeps under 64 kB
    long, said = huge[:30_000], "'" + "x" * 59 + "…" + "x" * 40 + "' (30,000 characters)"
    for path, params, sent in (
        (f"/web/organizations/{long}", {}, headers),
        ("/web/suggestions", {"need": "camera inspection of bread", "town": long}, {}),  # a guest's town
    ):
        page = client.get(path, params=params, headers=sent)
        assert page.status_code in (400, 404) and said in html.unescape(page.text), page.text[:300]
        assert len(page.text) < 2_000, page.text[:300]


# --- suggestions and feedback -----------------------------------------------------------------------------

SUGGEST = """query($org: ID, $need: String, $filter: OrganizationFilterInput, $limit: Int!) {
    partnerSuggestions(organizationId: $org, need: $need, filter: $filter, limit: $limit) {
        score ranking matchedNeed matchedCapability explanation
        reasons { signal share sentence } partner { id role } introducers { id } } }"""


def test_suggestions_for_a_free_text_need(client: TestClient, region: dict[str, NewKey]) -> None:
    need = "automated visual quality inspection of products with cameras"
    found = data(gql(client, region["data_team"], SUGGEST, {"need": need, "limit": 5}))["partnerSuggestions"]
    assert found[0]["partner"]["id"] == "visiontech"
    for suggestion in found:
        assert sum(r["share"] for r in suggestion["reasons"]) == pytest.approx(suggestion["score"], abs=1e-6)
        assert all(r["sentence"] for r in suggestion["reasons"]) and suggestion["explanation"]
    assert found[0]["matchedCapability"].startswith("Computer vision")
    assert {s["ranking"] for s in found} == {"signals"}  # a need text is ranked by the signals
    universities = data(
        gql(client, region["dairy"], SUGGEST, {"need": need, "limit": 3, "filter": {"roles": ["UNIVERSITY"]}})
    )["partnerSuggestions"]
    assert [s["partner"]["id"] for s in universities] == ["jku"]
    bad = gql(client, region["dairy"], SUGGEST, {"need": need, "limit": 3, "filter": {"text": "x"}})
    assert codes(bad) == ["BAD_USER_INPUT"]


def test_an_explanation_quotes_at_most_the_start_of_a_long_sentence(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    """A need of one long sentence (a list joined by commas, 4,990 characters) is one sentence chunk: quoted
    whole in every suggestion's explanation, 8 aliases of 100 suggestions would answer 6.7 MB for a request
    of 5.6 kB, `matchedNeed` as much again. Both are cut (``matching.reasons.QUOTED``)."""
    need = ("We need welding robots, " * 300)[:4990]
    found = data(gql(client, region["dairy"], SUGGEST, {"need": need, "limit": 3}))["partnerSuggestions"]
    quoted = [line for s in found for line in s["explanation"] if line.startswith("Your sentence")]
    assert quoted and max(map(len, quoted)) < 800, [len(line) for line in quoted]
    assert all("We need welding robots," in line and "…" in line for line in quoted), quoted
    assert {len(s["matchedNeed"]) for s in found} == {300} and found[0]["matchedNeed"].endswith("…"), found


def test_suggested_organizations_read_like_organization_by_id(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    fields = "id name role description location { city } clusters { id }"
    query = f"""query($need: String) {{ partnerSuggestions(need: $need, limit: 5) {{
        partner {{ {fields} }} introducers {{ {fields} }} }} }}"""
    short = """query($need: String) { partnerSuggestions(need: $need, limit: 5) {
        partner { id name role clusters { id } } introducers { id name role } } }"""
    need = "automated visual quality inspection of products with cameras"
    full = data(gql(client, region["dairy"], query, {"need": need}))["partnerSuggestions"]
    brief = data(gql(client, region["dairy"], short, {"need": need}))["partnerSuggestions"]
    one = f"query($id: ID!) {{ organization(id: $id) {{ {fields} }} }}"
    people = [s["partner"] for s in full] + [person for s in full for person in s["introducers"]]
    assert any(person["description"] for person in people)
    for person in people:
        assert data(gql(client, region["dairy"], one, {"id": person["id"]}))["organization"] == person
    assert brief == [
        {
            "partner": {key: s["partner"][key] for key in ("id", "name", "role", "clusters")},
            "introducers": [{key: p[key] for key in ("id", "name", "role")} for p in s["introducers"]],
        }
        for s in full
    ]


def test_suggestions_for_an_organization_follow_the_access_rules(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    own = data(gql(client, region["bakery"], SUGGEST, {"limit": 3}))["partnerSuggestions"]
    assert own and all(s["partner"]["id"] != "bakery" for s in own)
    assert own[0]["matchedNeed"] in PRIVATE_NEED  # its own private need, quoted back to itself
    as_manager = data(gql(client, region["food_manager"], SUGGEST, {"org": "bakery", "limit": 3}))
    assert [s["partner"]["id"] for s in as_manager["partnerSuggestions"]] == [s["partner"]["id"] for s in own]
    for key in ("dairy", "precision_manager", "data_team"):
        body = gql(client, region[key], SUGGEST, {"org": "bakery", "limit": 3})
        assert codes(body) == ["FORBIDDEN"] and "zorblax" not in json.dumps(body)


def test_a_managers_suggestions_for_a_member_speak_of_the_member(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    """The reasons and explanations a cluster manager reads for a member say "it", "its", "the two": "your
    clusters" would name the manager's own. The member's own answer still speaks to it."""
    words = re.compile(r"\b(you|your|yours)\b", re.IGNORECASE)

    def said(body: dict[str, Any]) -> list[str]:
        found = data(body)["partnerSuggestions"]
        return [t for s in found for t in (*s["explanation"], *(r["sentence"] for r in s["reasons"]))]

    of_member = said(gql(client, region["food_manager"], SUGGEST, {"org": "bakery", "limit": 5}))
    assert of_member and not [t for t in of_member if words.search(t)], of_member
    to_member = said(gql(client, region["bakery"], SUGGEST, {"limit": 5}))
    assert any(words.search(t) for t in to_member), to_member


def test_feedback_is_recorded_and_a_declined_partner_is_not_suggested_again(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    record = """mutation($org: ID!, $partner: ID!, $ok: Boolean!, $comment: String) {
        recordSuggestionFeedback(
            organizationId: $org, partnerId: $partner, accepted: $ok, comment: $comment
        ) { organizationId partnerId accepted comment at } }"""
    before = data(gql(client, region["dairy"], SUGGEST, {"limit": 5}))["partnerSuggestions"]
    top = before[0]["partner"]["id"]
    answer = {"org": "dairy", "partner": top, "ok": False, "comment": "not our field"}
    got = data(gql(client, region["dairy"], record, answer))["recordSuggestionFeedback"]
    assert got["organizationId"] == "dairy" and got["partnerId"] == top and got["accepted"] is False
    after = data(gql(client, region["dairy"], SUGGEST, {"limit": 5}))["partnerSuggestions"]
    assert top not in {s["partner"]["id"] for s in after}
    assert codes(gql(client, region["bakery"], record, answer)) == ["FORBIDDEN"]
    assert codes(gql(client, region["data_team"], record, answer)) == ["FORBIDDEN"]
    assert codes(gql(client, region["dairy"], record, {**answer, "partner": "nobody"})) == ["NOT_FOUND"]
    long_comment = gql(client, region["dairy"], record, {**answer, "comment": "x" * 6000})
    assert codes(long_comment) == ["BAD_USER_INPUT"]
    assert long_comment["errors"][0]["message"] == "`comment` is longer than 5,000 characters"


def test_a_private_need_does_not_change_anyone_elses_suggestions(
    client: TestClient, session_graph: Graph, neo4j_settings: Settings, region: dict[str, NewKey]
) -> None:
    query = {"need": PRIVATE_NEED, "limit": 10}

    def seen_by_dairy() -> Any:
        return data(gql(client, region["dairy"], SUGGEST, query))["partnerSuggestions"]

    before = seen_by_dairy()
    submit = """mutation($t: String!) { submitNeed(text: $t, visibility: PRIVATE) { id } }"""
    data(gql(client, region["bakery"], submit, {"t": "Forklift fleet leasing and warehouse racks."}))
    matching.embed(session_graph, neo4j_settings)
    try:
        assert seen_by_dairy() == before
    finally:
        data(gql(client, region["bakery"], submit, {"t": PRIVATE_NEED}))
        matching.embed(session_graph, neo4j_settings)


# --- mutations --------------------------------------------------------------------------------------------

UPSERT = """mutation($input: OrganizationInput!) { upsertOrganization(input: $input) {
    id name role size { employees sizeClass } capabilities { id } clusters { id } region { id } sources } }"""


def test_upsert_organization_validates_and_writes_through_ingest(
    client: TestClient, region: dict[str, NewKey]
) -> None:
    org = {
        "id": "newcomer",
        "name": "Newcomer Robotics",
        "role": "VENDOR",
        "description": "Collaborative robots for small production lines.",
        "employees": 8,
        "capabilities": ["robotics", "Machine Learning"],
        "clusters": ["precision"],
        "country": "AT",
        "region": "Upper Austria",
        "city": "Linz",
    }
    got = data(gql(client, region["data_team"], UPSERT, {"input": org}))["upsertOrganization"]
    assert got["size"] == {"employees": 8, "sizeClass": "MICRO"} and got["role"] == "VENDOR"
    assert {c["id"] for c in got["capabilities"]} == {"robotics", "machine-learning"}
    assert got["clusters"] == [{"id": "precision"}] and got["region"]["id"] == "AT/upper-austria/linz"
    renamed = data(gql(client, region["data_team"], UPSERT, {"input": {**org, "name": "Newcomer Cobots"}}))
    assert renamed["upsertOrganization"]["name"] == "Newcomer Cobots"
    page = data(gql(client, region["dairy"], PAGE, {"first": 5, "filter": {"text": "Newcomer"}}))
    assert ids(page["organizations"]) == ["newcomer"]
    invalid = gql(client, region["data_team"], UPSERT, {"input": {**org, "lat": 123.0, "lon": 10.0}})
    assert codes(invalid) == ["BAD_USER_INPUT"] and "lat" in invalid["errors"][0]["message"]
    unknown_cluster = gql(client, region["data_team"], UPSERT, {"input": {**org, "clusters": ["nowhere"]}})
    assert codes(unknown_cluster) == ["BAD_USER_INPUT"]
    dots = gql(client, region["data_team"], UPSERT, {"input": {**org, "id": ".."}})
    assert (
        codes(dots) == ["BAD_USER_INPUT"]
        and "'..' cannot be a web page's address" in dots["errors"][0]["message"]
    )
    hostile = {**org, "id": "hostile", "name": "'); MATCH (n) DETACH DELETE n //"}
    stored = data(gql(client, region["data_team"], UPSERT, {"input": hostile}))["upsertOrganization"]
    assert stored["name"] == hostile["name"]
    for key in ("dairy", "food_manager"):
        assert codes(gql(client, region[key], UPSERT, {"input": org})) == ["FORBIDDEN"]


def test_submit_need_is_for_members_and_validated(client: TestClient, region: dict[str, NewKey]) -> None:
    submit = (
        """mutation($t: String!, $v: Visibility!) { submitNeed(text: $t, visibility: $v) { id needs } }"""
    )
    public = "Sensors for cold-chain monitoring of milk transport."
    original = "Predictive maintenance for our bottle filling machines."
    try:
        got = data(gql(client, region["dairy"], submit, {"t": public, "v": "PUBLIC"}))["submitNeed"]
        assert got == {"id": "dairy", "needs": public}
        seen = data(gql(client, region["bakery"], NEEDS, {"id": "dairy"}))["organization"]["needs"]
        assert seen == public
        data(gql(client, region["dairy"], submit, {"t": "Hidden plans.", "v": "PRIVATE"}))
        assert data(gql(client, region["bakery"], NEEDS, {"id": "dairy"}))["organization"]["needs"] is None
        too_long = gql(client, region["dairy"], submit, {"t": "x" * 6000, "v": "PUBLIC"})
        assert codes(too_long) == ["BAD_USER_INPUT"]
        assert too_long["errors"][0]["message"] == "`text` is longer than 5,000 characters"
        need = gql(client, region["dairy"], "query($n: String) { partnerSuggestions(need: $n) { score } }",
                   {"n": "x" * 6000})  # fmt: skip
        assert need["errors"][0]["message"] == "`need` is longer than 5,000 characters"
        assert codes(gql(client, region["dairy"], submit, {"t": "  ", "v": "PUBLIC"})) == ["BAD_USER_INPUT"]
        for key in ("food_manager", "data_team"):
            assert codes(gql(client, region[key], submit, {"t": public, "v": "PUBLIC"})) == ["FORBIDDEN"]
    finally:
        data(gql(client, region["dairy"], submit, {"t": original, "v": "PUBLIC"}))


def test_control_characters_are_refused_by_upsert_and_needs(
    client: TestClient, region: dict[str, NewKey], session_graph: Graph
) -> None:
    """A NUL or an escape in a name or a need was stored as given; now the request is refused with the field
    and the character, nothing is written, and a need keeps its line breaks."""
    base = {"id": "ctl-api", "name": "Control Robotics", "role": "VENDOR"}
    for given, said in (
        ({"name": "Control\x00 Robotics"}, "`input.name` holds the control character U+0000 at character 8"),
        ({"city": "Linz\x1b[2J"}, "`input.city` holds the control character U+001B at character 5"),
        (
            {"capabilities": ["robotics", "vision\x08"]},
            "`input.capabilities` holds the control character U+0008",
        ),
        (
            {"description": "Robots.\x07"},
            "`input.description` holds the control character U+0007 at character 8",
        ),
    ):
        refused = gql(client, region["data_team"], UPSERT, {"input": {**base, **given}})
        assert codes(refused) == ["BAD_USER_INPUT"] and refused["data"] is None, refused
        assert refused["errors"][0]["message"].startswith(said), refused
    assert session_graph.run(READ_NEED, id="ctl-api") == []
    submit = "mutation($t: String!) { submitNeed(text: $t) { needs } }"
    refused = gql(client, region["dairy"], submit, {"t": "Sensors\x00 for milk."})
    assert codes(refused) == ["BAD_USER_INPUT"], refused
    assert refused["errors"][0]["message"].startswith(
        "`text` holds the control character U+0000 at character 8"
    )
    original = data(gql(client, region["dairy"], NEEDS, {"id": "dairy"}))["organization"]["needs"]
    try:
        lines = "Sensors for milk transport.\r\n\tCold chain too."
        assert data(gql(client, region["dairy"], submit, {"t": lines}))["submitNeed"]["needs"] == lines
    finally:
        data(gql(client, region["dairy"], submit, {"t": original}))


def test_shutdown_waits_for_the_thread_of_a_request_that_timed_out() -> None:
    """A timed-out request has its answer while its thread still works with the app's graph connections:
    shutdown waits for that thread (at most its bound) before it closes them."""
    import threading
    import time

    import anyio

    from api.throttle import FairCompute

    done = threading.Event()

    def slow() -> None:
        time.sleep(0.3)
        done.set()

    async def scenario() -> tuple[bool, bool]:
        compute = FairCompute(1)
        async with anyio.create_task_group() as group:
            group.start_soon(compute.run, "k", slow)
            await anyio.sleep(0.05)
            busy = compute.free == 0
            await compute.drain(5.0)
            group.cancel_scope.cancel()
        return busy, done.is_set()

    assert anyio.run(scenario) == (True, True)
