"""Insights of a region of many clusters stop at the deadline of the request that asked for them, and come
over the API a page of clusters at a time.

A worker thread cannot be cancelled: ``regionInsights`` of a whole graph (tens of CPU seconds) held a compute
thread, and the request, until it ended, long past the request's time limit, while every other key's
suggestions and searches waited for the thread and ran into their own 504. The region here is many small
clusters, so that its summary takes seconds on the real Neo4j. Answered whole, ``regionInsights { clusters
{ ... } }`` built every cluster's insights and lists on the event loop, megabytes from a query of a few bytes.
"""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import ingest
from api.app import create_app
from api.auth import ApiRole, create_key
from api.cli import app
from graph import admin
from graph.db import Graph
from matching.insights import cluster_insights, region_insights
from schema.errors import TimedOut
from schema.settings import Settings
from tests.utils.api import codes, data, gql
from tests.utils.registry import write_jsonl

REGION = "Manyland"
CLUSTERS = 800
MEMBERS = 3


@pytest.fixture(scope="module")
def many(session_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """``CLUSTERS`` clusters of ``MEMBERS`` members in a ring each; the first cluster needs a capability no
    member offers (a gap)."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("many-clusters")
    clusters = [
        {"id": f"mc-{c}", "name": f"Cluster {c}", "sector": "metal", "region": REGION}
        for c in range(CLUSTERS)
    ]
    organizations = [
        {
            "id": f"mc-{c}-{m}",
            "name": f"Firm {c}-{m}",
            "role": "firm",
            "description": "Welding of steel frames.",
            "capabilities": "welding",
            "needed_capabilities": "laser cutting" if c == 0 else "",
            "clusters": f"mc-{c}",
        }
        for c in range(CLUSTERS)
        for m in range(MEMBERS)
    ]
    links = [
        {"source": f"mc-{c}-{m}", "target": f"mc-{c}-{(m + 1) % MEMBERS}", "kind": "supplier"}
        for c in range(CLUSTERS)
        for m in range(MEMBERS)
    ]
    files = [
        write_jsonl(folder / "clusters.jsonl", clusters),
        write_jsonl(folder / "organizations.jsonl", organizations),
        write_jsonl(folder / "collaborations.jsonl", links),
    ]
    summary = ingest.load(session_graph, files, source="many-clusters")
    assert summary.counts()["rejected"] == 0, summary.counts()
    return session_graph


def test_a_deadline_already_past_stops_a_regions_insights_and_a_gaps_suppliers(
    many: Graph, neo4j_settings: Settings
) -> None:
    with pytest.raises(TimedOut):
        region_insights(many, REGION, stop_at=time.monotonic())
    assert [gap.capability for gap in cluster_insights(many, "mc-0", suppliers=0).gaps] == ["laser cutting"]
    with pytest.raises(TimedOut):
        cluster_insights(many, "mc-0", suppliers=1, settings=neo4j_settings, stop_at=time.monotonic())


def test_region_insights_over_the_api_stop_at_the_requests_deadline(
    many: Graph, neo4j_settings: Settings
) -> None:
    """The request is answered 504 soon after its time limit, not when the whole summary would be done (the
    whole region is one page here)."""
    region_insights(many, REGION)  # Neo4j's caches warm, as they are for the request below
    started = time.monotonic()
    assert len(region_insights(many, REGION).clusters) == CLUSTERS
    whole = time.monotonic() - started
    hurried = neo4j_settings.model_copy(
        update={
            "api_request_timeout": whole / 10,
            "api_compute_threads": 1,
            "api_max_page_size": CLUSTERS,
            "api_max_complexity": 10**6,  # every cluster analysed counts: the whole region as one page
        }
    )
    key = create_key(many, ApiRole.DATA_TEAM, None)
    with TestClient(create_app(hurried)) as client:
        started = time.monotonic()
        body = gql(
            client,
            key,
            f'{{ regionInsights(region: "{REGION}") {{ clusters(limit: {CLUSTERS}) {{ name }} }} }}',
        )
        answered = time.monotonic() - started
        assert client.app.state.compute.free == 1  # type: ignore[attr-defined]
    assert body["status"] == 504 and codes(body) == ["INTERNAL"], body
    assert answered < whole / 3, f"answered after {answered:.2f} s; the whole summary takes {whole:.2f} s"


def test_region_insights_over_the_api_come_a_page_of_clusters_at_a_time(
    many: Graph, neo4j_settings: Settings
) -> None:
    """A caller that passes nothing gets the first 100 clusters by name, pages walk every cluster once; a
    member list under every cluster of a page counts its ``limit`` per cluster, and the command line still
    reads the whole region."""
    by_name = [f"mc-{c}" for c in sorted(range(CLUSTERS), key=lambda c: f"Cluster {c}")]
    key = create_key(many, ApiRole.DATA_TEAM, None)
    region = f'regionInsights(region: "{REGION}")'
    with TestClient(create_app(neo4j_settings)) as client:
        first = data(gql(client, key, f"{{ {region} {{ clusters {{ cluster isolates {{ id }} }} }} }}"))
        assert [c["cluster"] for c in first["regionInsights"]["clusters"]] == by_name[:100]
        query = f"query($after: ID) {{ {region} {{ clusters(limit: 100, after: $after) {{ cluster }} }} }}"
        seen: list[str] = []
        after = None
        while True:
            page = data(gql(client, key, query, {"after": after}))["regionInsights"]["clusters"]
            seen += [c["cluster"] for c in page]
            if len(page) < 100:
                break
            after = page[-1]["cluster"]
        assert seen == by_name
        pages = " ".join(f"p{i}: clusters(limit: 100) {{ cluster }}" for i in range(3))
        body = gql(client, key, f"{{ {region} {{ {pages} }} }}")  # each cluster of a page is analysed
        assert body["data"] is None and "too complex" in body["errors"][0]["message"], body
        lists = "isolates { id name } peripheral { id name }"
        body = gql(client, key, f"{{ {region} {{ clusters {{ {lists} }} }} }}")
        assert body["data"] is None and codes(body) == ["BAD_USER_INPUT"], body
        message = body["errors"][0]["message"]
        assert "too complex" in message and "`regionInsights`" in message, message
        small = "clusters(limit: 2) { cluster gaps(limit: 1) { capability neededBy(limit: 2) { id } } }"
        got = data(gql(client, key, f"{{ {region} {{ {small} }} }}"))["regionInsights"]["clusters"]
        assert got[0] == {
            "cluster": "mc-0",
            "gaps": [{"capability": "laser cutting", "neededBy": [{"id": "mc-0-0"}, {"id": "mc-0-1"}]}],
        }
        body = gql(client, key, f'{{ {region} {{ clusters(after: "mc-nowhere") {{ cluster }} }} }}')
        assert codes(body) == ["NOT_FOUND"] and "mc-nowhere" in body["errors"][0]["message"], body
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    result = CliRunner().invoke(app, ["insights", "--region", REGION, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert [c["cluster"] for c in json.loads(result.output)["clusters"]] == by_name
