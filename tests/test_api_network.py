"""The member network of ``clusterInsights`` comes a page of nodes and a page of edges at a time, with the
whole network's size, the most connected part first.

Without a limit the network answered every member and every tie, counted by the complexity limit as 10 rows
each: the largest cluster of a generated region of 20,000 organizations (499 members) 93 kB. The cluster here
has more members than a page holds: 150 members, 149 of them each tied to the next two around a ring (298
ties), an outside partner tied to five of them, and one member with no tie.
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

MEMBERS = 150
RING = MEMBERS - 1
"""Members on the ring; the last has no tie."""
OUTSIDE_TIES = 5
EDGES = 2 * RING + OUTSIDE_TIES
NODES = MEMBERS + 1


@pytest.fixture(scope="module")
def api(session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("big-cluster")
    members = [
        {"id": f"bc-{m:03}", "name": f"Firm {m}", "role": "firm", "description": "Welding.", "clusters": "bc"}
        for m in range(MEMBERS)
    ]
    outside = {"id": "bc-out", "name": "Outside Vendor", "role": "vendor", "description": "Lasers."}
    ties = [
        {"source": f"bc-{m:03}", "target": f"bc-{(m + step) % RING:03}", "kind": "supplier"}
        for m in range(RING)
        for step in (1, 2)
    ]
    ties += [{"source": f"bc-{m:03}", "target": "bc-out", "kind": "customer"} for m in range(OUTSIDE_TIES)]
    files = [
        write_jsonl(folder / "clusters.jsonl", [{"id": "bc", "name": "Big Cluster", "sector": "metal"}]),
        write_jsonl(folder / "organizations.jsonl", [*members, outside]),
        write_jsonl(folder / "collaborations.jsonl", ties),
    ]
    summary = ingest.load(session_graph, files, source="big-cluster")
    assert summary.counts()["rejected"] == 0, summary.counts()
    key = create_key(session_graph, ApiRole.MEMBER, "bc-001")
    with TestClient(create_app(neo4j_settings)) as client:
        yield client, key


def network(api: tuple[TestClient, NewKey], selection: str) -> dict:
    client, key = api
    query = f'{{ clusterInsights(clusterId: "bc", suppliers: 0) {{ network {{ {selection} }} }} }}'
    return data(gql(client, key, query))["clusterInsights"]["network"]


def test_a_large_network_comes_a_page_at_a_time_with_its_whole_size(api: tuple[TestClient, NewKey]) -> None:
    got = network(api, "nodeCount edgeCount nodes { id outside degree } edges { source target outside }")
    assert (got["nodeCount"], got["edgeCount"]) == (NODES, EDGES)
    assert len(got["nodes"]) == 100 and len(got["edges"]) == 100  # the default page, not the whole network
    ties = [n["degree"] for n in got["nodes"] if not n["outside"]]
    assert ties == sorted(ties, reverse=True) and "bc-149" not in {n["id"] for n in got["nodes"]}

    small = network(api, "nodes(limit: 10) { id } edges(limit: 3) { source }")
    assert (len(small["nodes"]), len(small["edges"])) == (10, 3)


def test_the_ties_among_the_first_nodes_come_first(api: tuple[TestClient, NewKey]) -> None:
    got = network(api, "nodes { id } edges { source target }")
    rank = {n["id"]: i for i, n in enumerate(got["nodes"])}
    for n in (10, 40, 100):
        among = [e for e in got["edges"] if rank.get(e["source"], 1e9) < n and rank.get(e["target"], 1e9) < n]
        assert got["edges"][: len(among)] == among, n


def test_a_network_page_is_checked_and_counted_as_every_page(api: tuple[TestClient, NewKey]) -> None:
    client, key = api
    one_more = '{ clusterInsights(clusterId: "bc") { network { nodes(limit: 101) { id } } } }'
    too_many = gql(client, key, one_more)
    assert codes(too_many) == ["BAD_USER_INPUT"] and "`limit`" in too_many["errors"][0]["message"]
    fields = "id name role community broker isolate peripheral outside degree betweenness"
    page = f"network {{ nodes(limit: 100) {{ {fields} }} }}"
    aliased = " ".join(f'i{n}: clusterInsights(clusterId: "bc", suppliers: 0) {{ {page} }}' for n in range(8))
    refused = gql(client, key, f"{{ {aliased} }}")
    assert codes(refused) == ["BAD_USER_INPUT"] and "too complex" in refused["errors"][0]["message"]


def read_whole(api: tuple[TestClient, NewKey], field: str, selection: str, limit: int) -> list[dict]:
    """Every item of the network's ``field``, read ``limit`` at a time, each page after the last id."""
    got: list[dict] = []
    while True:
        after = f', after: "{got[-1]["id"]}"' if got else ""
        page = network(api, f"{field}(limit: {limit}{after}) {{ id {selection} }}")[field]
        got += page
        if len(page) < limit:
            return got


def test_the_whole_network_is_read_a_page_after_another(api: tuple[TestClient, NewKey]) -> None:
    """Without `after`, a caller could read no node or edge past the first page, however many it asked."""
    first = network(api, "nodes { id } edges { id source target }")
    nodes = read_whole(api, "nodes", "", 40)
    assert len(nodes) == NODES and nodes[:100] == first["nodes"]
    assert len({n["id"] for n in nodes}) == NODES
    edges = read_whole(api, "edges", "source target", 100)
    assert len(edges) == EDGES and edges[:100] == first["edges"]
    assert len({(e["source"], e["target"]) for e in edges}) == EDGES
    ring = {
        tuple(sorted((f"bc-{m:03}", f"bc-{(m + step) % RING:03}"))) for m in range(RING) for step in (1, 2)
    }
    assert {tuple(sorted((e["source"], e["target"]))) for e in edges} >= ring


def test_an_after_that_is_in_no_page_is_not_found(api: tuple[TestClient, NewKey]) -> None:
    """An empty page would read as the end of the network."""
    client, key = api
    for field in ("nodes", "edges"):
        selection = f'{field}(after: "nope") {{ id }}'
        refused = gql(client, key, f'{{ clusterInsights(clusterId: "bc") {{ network {{ {selection} }} }} }}')
        assert codes(refused) == ["NOT_FOUND"], refused
        assert f"no {field[:-1]} with id" in refused["errors"][0]["message"], refused
