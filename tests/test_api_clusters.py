"""The list of every cluster over GraphQL on a graph of many clusters, against the real Neo4j.

A region of 1,200 clusters is loaded through the ingest pipeline. ``clusters`` is a page of a size the
complexity limit counts: a list of every cluster, counted as 10 rows, resolves thousands of fields here and
stops at the resolver cap, so an ordinary query of every cluster's member count fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import ingest
from api.app import create_app
from api.auth import ApiRole, NewKey, create_key
from graph import admin
from graph.db import Graph
from schema.settings import Settings
from tests.utils.api import codes, data, gql
from tests.utils.registry import write_jsonl

CLUSTERS = 1_200
PAGE = 100
"""The largest page (``api_max_page_size``), which is also the default of ``clusters``."""


@pytest.fixture(scope="module")
def key(session_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> NewKey:
    """``CLUSTERS`` clusters, named so that their names sort as their ids; the first is managed by a cluster
    organization, its one member. A data_team key."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("clusters")
    clusters = [
        {"id": f"cl-{c:04d}", "name": f"Cluster {c:04d}", "sector": "metal", "region": "Manyland"}
        | ({"managed_by": "cm"} if c == 0 else {})
        for c in range(CLUSTERS)
    ]
    manager = {"id": "cm", "name": "Management", "role": "cluster_organization", "clusters": "cl-0000"}
    files = [
        write_jsonl(folder / "clusters.jsonl", clusters),
        write_jsonl(folder / "organizations.jsonl", [manager]),
    ]
    summary = ingest.load(session_graph, files, source="many-clusters")
    assert summary.counts()["rejected"] == 0, summary.counts()
    return create_key(session_graph, ApiRole.DATA_TEAM, None)


@pytest.fixture(scope="module")
def client(neo4j_settings: Settings, key: NewKey) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def test_clusters_without_arguments_are_the_first_page_and_answer(client: TestClient, key: NewKey) -> None:
    """A query that stops at the resolver cap over every cluster (1,200 clusters × two resolvers) is
    answered: a caller that passes nothing gets the first page, by name."""
    got = data(gql(client, key, "{ clusters { id memberCount managedBy { id } } }"))["clusters"]
    assert [c["id"] for c in got] == [f"cl-{c:04d}" for c in range(PAGE)]
    assert got[0] == {"id": "cl-0000", "memberCount": 1, "managedBy": {"id": "cm"}}
    assert got[1] == {"id": "cl-0001", "memberCount": 0, "managedBy": None}


def test_clusters_come_a_page_at_a_time_after_the_last_id(client: TestClient, key: NewKey) -> None:
    query = "query($after: ID) { clusters(limit: 100, after: $after) { id name } }"
    seen: list[str] = []
    after = None
    while True:
        page = data(gql(client, key, query, {"after": after}))["clusters"]
        seen += [c["id"] for c in page]
        if len(page) < PAGE:
            break
        after = page[-1]["id"]
    assert seen == [f"cl-{c:04d}" for c in range(CLUSTERS)]
    smaller = data(gql(client, key, '{ clusters(limit: 3, after: "cl-0997") { id } }'))["clusters"]
    assert [c["id"] for c in smaller] == ["cl-0998", "cl-0999", "cl-1000"]


def test_a_page_of_clusters_too_large_or_after_no_cluster_is_refused(client: TestClient, key: NewKey) -> None:
    for limit in (0, 1_000):
        body = gql(client, key, f"{{ clusters(limit: {limit}) {{ id }} }}")
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert f"`limit` must be between 1 and {PAGE}; got {limit}" in body["errors"][0]["message"]
    body = gql(client, key, '{ clusters(after: "nowhere") { id } }')
    assert codes(body) == ["NOT_FOUND"] and "nowhere" in body["errors"][0]["message"], body


def test_lists_under_every_cluster_count_the_page_of_clusters(client: TestClient, key: NewKey) -> None:
    """A nested list counts once per cluster of the page (not once per 10 clusters), and the refusal names
    the field that costs most."""
    nested = "members(first: 100) { edges { node { id name } } }"
    body = gql(client, key, f"{{ clusters {{ id {nested} }} }}")
    assert body["data"] is None and codes(body) == ["BAD_USER_INPUT"], body
    message = body["errors"][0]["message"]
    assert "too complex" in message and "`clusters`" in message, message
    got = data(gql(client, key, f"{{ clusters(limit: 5) {{ id {nested} }} }}"))["clusters"]
    assert [len(c["members"]["edges"]) for c in got] == [1, 0, 0, 0, 0]
