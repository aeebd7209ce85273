"""Cluster insights on a small hand-built cluster (``tests/data/insights``), loaded through the ingest
pipeline into the real Neo4j and embedded with the real model; every figure below is worked out by hand.

The cluster KX has ten members: two triangles of firms (bakeries A1-A3 since 2010, dairies B1-B3 since 2010)
joined only through the innovation agency K (a knowledge broker, member since 2012, tied to A1 and B1 since
2016); the mill P (member since June 2022) tied to A2 since 2016; the juice press L (member since 2018) whose
one tie, to B3, begins in June 2024; the beekeeper I (member since May 2023) with no tie. Outside: the
packaging vendor X tied to A3 and B2, the university Y tied to K, and the hyperspectral-imaging vendor S tied
to nobody, which offers what A1 needs (the planted gap). B2's need (wastewater treatment) is private.

Now: n = 10, m = 10 member pairs, so density = 2·10 / (10·9) = 2/9. K lies on every shortest path between
{A1, A2, A3, P} and {B1, B2, B3, L}: 16 pairs of the 36 among the other nine members (betweenness 4/9);
A1 and B1 on 15 each (5/12). Outside pairs: A3-X, B2-X, K-Y, so external_share = 3 / (10 + 3).

A second cluster, KW (region Wachau), has three members: the agency K (a member of both clusters), X and Y.
Its one member pair is K-Y; X has no tie inside; its outside pairs are K-A1, K-B1, A3-X and B2-X, so its
external_share is 4 / (1 + 4). A region's summary reads both clusters in one read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import ingest
import matching
from api.app import create_app
from api.auth import ApiRole, NewKey, create_key
from api.cli import app
from graph import admin
from graph.db import Graph
from matching.insights import ClusterInsights, cluster_insights, region_insights
from schema.errors import NotFound
from schema.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "insights"
TODAY = dt.date(2025, 1, 1)
"""Fixed "now": the stage's window and the trend start three years earlier, on 2022-01-01."""
BEFORE_THE_LATE_LINK = dt.date(2023, 1, 1)


@pytest.fixture(scope="module")
def kx(session_graph: Graph, neo4j_settings: Settings) -> Iterator[Graph]:
    """The hand-built cluster, loaded through ingest and embedded once for this module."""
    admin.delete_data(session_graph)
    summary = ingest.load(session_graph, sorted(DATA.glob("*.csv")), source="insights-test")
    assert summary.counts()["rejected"] == 0, summary.counts()
    matching.embed(session_graph, neo4j_settings)
    yield session_graph


@pytest.fixture(scope="module")
def now(kx: Graph, neo4j_settings: Settings) -> ClusterInsights:
    return cluster_insights(kx, "KX", today=TODAY, settings=neo4j_settings)


def ids(actors: list) -> list[str]:
    return [a.id for a in actors]


def test_density_components_and_degree_are_the_hand_computed_ones(now: ClusterInsights) -> None:
    assert (now.members, now.links) == (10, 10)
    assert now.density == pytest.approx(2 / 9)
    assert now.average_degree == pytest.approx(2.0)
    assert (now.components, now.largest_component) == (2, 9)
    # ties broken by betweenness (A1 and B1 15/36, A2 and B3 7/36), then id
    assert [(r.id, r.degree) for r in now.degree[:4]] == [
        ("KX-A1", 3),
        ("KX-B1", 3),
        ("KX-A2", 3),
        ("KX-B3", 3),
    ]


def test_the_agency_is_the_known_broker_a_gatekeeper_between_communities(now: ClusterInsights) -> None:
    assert [(b.id, b.betweenness) for b in now.brokers[:3]] == [
        ("KX-K", pytest.approx(16 / 36)),
        ("KX-A1", pytest.approx(15 / 36)),
        ("KX-B1", pytest.approx(15 / 36)),
    ]
    agency = now.brokers[0]
    assert agency.knowledge_broker and agency.role == "knowledge_broker"
    # one open two-path A1 - K - B1: across the two communities K opens its own to the other; across roles
    # (firm - knowledge broker - firm) it is an outsider connecting one group
    assert agency.brokerage == {"coordinator": 0, "itinerant": 0, "gatekeeper": 1, "liaison": 0}
    assert agency.brokerage_by_role == {"coordinator": 0, "itinerant": 1, "gatekeeper": 0, "liaison": 0}
    assert sorted(c.size for c in now.communities) == [4, 5]
    assert {frozenset(ids(c.members)) - {"KX-K"} for c in now.communities} == {
        frozenset({"KX-A1", "KX-A2", "KX-A3", "KX-P"}),
        frozenset({"KX-B1", "KX-B2", "KX-B3", "KX-L"}),
    }


def test_the_beekeeper_is_isolated_and_the_mill_and_press_are_peripheral(now: ClusterInsights) -> None:
    assert [(a.id, a.name) for a in now.isolates] == [("KX-I", "Imkerei Bienenhof")]
    assert ids(now.peripheral) == ["KX-L", "KX-P"]
    assert now.core == {"k": 2, "members": 7}
    assert "2-core" in now.periphery_rule


def test_external_share_and_the_outside_partner_that_matters_most(now: ClusterInsights) -> None:
    assert now.external_share == pytest.approx(3 / 13)
    assert now.outside_links == 3
    assert [(p.id, p.members) for p in now.outside_partners] == [("KX-X", 2), ("KX-Y", 1)]


def test_the_planted_gap_has_its_outside_supplier_and_the_private_need_stays_hidden(
    now: ClusterInsights, kx: Graph, neo4j_settings: Settings
) -> None:
    assert [(g.capability, ids(g.needed_by), g.offered_outside) for g in now.gaps] == [
        ("hyperspectral imaging", ["KX-A1"], 1)
    ]
    supplier = now.gaps[0].suppliers[0]
    assert (supplier.id, supplier.offers_capability) == ("KX-S", True)
    assert supplier.reasons
    members = {"KX-A1", "KX-A2", "KX-A3", "KX-B1", "KX-B2", "KX-B3", "KX-K", "KX-P", "KX-I", "KX-L"}
    assert not members & set(ids(now.gaps[0].suppliers))
    assert not now.private_needs_counted

    managed = cluster_insights(kx, "KX", today=TODAY, manager="KX-MGR", suppliers=0, settings=neo4j_settings)
    assert managed.private_needs_counted
    assert [g.capability for g in managed.gaps] == ["hyperspectral imaging", "wastewater treatment"]
    other = cluster_insights(kx, "KX", today=TODAY, manager="KX-X", suppliers=0, settings=neo4j_settings)
    assert [g.capability for g in other.gaps] == ["hyperspectral imaging"]


def test_composition_and_concentration(now: ClusterInsights) -> None:
    c = now.composition
    assert c.by_role == {"firm": 9, "knowledge_broker": 1}
    assert c.smb_share == pytest.approx(0.9)  # the large bakery A1 (300 employees) is the one non-SMB
    assert ids(c.knowledge_brokers) == ["KX-K"] and c.anchors == []
    assert c.joined_per_year == {"2010": 6, "2012": 1, "2018": 1, "2022": 1, "2023": 1}
    assert [(x.capability, x.offered_by) for x in now.concentration] == [("industrial baking", 2)]


def test_the_growth_rule_fires_and_the_trend_starts_three_years_earlier(now: ClusterInsights) -> None:
    assert now.stage.computed == "growth" and now.stage.declared == "mature" and now.stage.differs
    assert now.stage.rule == ("growth: 2 of 10 members (20%) joined after 2022-01-01 (>= 20% in 3 years)")
    then = now.trend["then"]
    assert now.trend["from"] == "2022-01-01" and now.trend["now"].date == "2025-01-01"
    # on 2022-01-01: P and I not yet members (A2-P counts as an outside tie), L-B3 not yet begun
    assert (then.members, then.links, then.isolates, then.components) == (8, 8, 1, 2)
    assert then.external_share == pytest.approx(4 / 12)
    assert then.stage == "emergent"


def test_as_of_a_date_hides_the_later_link_and_the_later_member(kx: Graph) -> None:
    past = cluster_insights(kx, "KX", as_of=BEFORE_THE_LATE_LINK, suppliers=0)
    assert past.as_of == "2023-01-01"
    assert (past.members, past.links) == (9, 9)  # no I yet; the L-B3 link of June 2024 hidden
    assert past.density == pytest.approx(2 * 9 / (9 * 8))
    assert ids(past.isolates) == ["KX-L"]
    assert past.external_share == pytest.approx(3 / 12)
    assert (past.stage.computed, past.stage.rule) == ("emergent", "emergent: 9 members < 10")


def test_the_network_for_drawing(now: ClusterInsights) -> None:
    nodes = {n.id: n for n in now.nodes}
    assert len(nodes) == 12 and {i for i, n in nodes.items() if n.outside} == {"KX-X", "KX-Y"}
    assert nodes["KX-K"].broker and nodes["KX-I"].isolate and nodes["KX-P"].peripheral
    assert len([e for e in now.edges if not e.outside]) == 10
    assert {(e.source, e.target) for e in now.edges if e.outside} == {
        ("KX-A3", "KX-X"),
        ("KX-B2", "KX-X"),
        ("KX-K", "KX-Y"),
    }
    assert set(json.loads(json.dumps(now.to_json()))["network"]) == {"nodes", "edges"}


def test_region_summary_and_unknown_cluster(kx: Graph) -> None:
    region = region_insights(kx, "kremstal", today=TODAY)
    assert [c.cluster for c in region.clusters] == ["KX"]
    row = region.to_json()["clusters"][0]
    assert (row["members"], row["isolates"], row["gaps"], row["stage"]["computed"]) == (10, 1, 1, "growth")
    with pytest.raises(NotFound, match="NOPE"):
        cluster_insights(kx, "NOPE", suppliers=0)
    with pytest.raises(NotFound, match="region 'Kremstl'; the clusters' regions: .*Kremstal"):
        region_insights(kx, "Kremstl")


@pytest.mark.parametrize(
    ("as_of", "manager"), [(None, None), (None, "KX-MGR"), (BEFORE_THE_LATE_LINK, None)], ids=str
)
def test_a_regions_summary_equals_each_clusters_own_insights(
    kx: Graph, as_of: dt.date | None, manager: str | None
) -> None:
    region = region_insights(kx, None, as_of=as_of, manager=manager, today=TODAY)
    assert [c.cluster for c in region.clusters] == ["KX", "KW"]  # by name
    for summary in region.clusters:
        own = cluster_insights(kx, summary.cluster, as_of=as_of, manager=manager, suppliers=0, today=TODAY)
        expected = own.to_json() | {"network": {"nodes": [], "edges": []}}  # a summary draws nothing
        assert summary.to_json() == expected
    kw = region.clusters[1]
    assert (kw.members, kw.links, ids(kw.isolates)) == (3, 1, ["KX-X"])
    assert kw.external_share == pytest.approx(4 / 5)


def test_as_of_the_first_years_of_the_calendar_is_an_empty_cluster_not_an_error(
    kx: Graph, neo4j_settings: Settings
) -> None:
    """The stage rule and the trend look two windows (six years) back from the date asked for: from a date
    before the year 7 that was a date before the year 1, and `clusterInsights(asOf: "0001-01-01")`, the
    dashboard's `?since=0001-01-01` and `clusterkg insights --as-of 0001-01-01` failed with a traceback."""
    for day in (dt.date(1, 1, 1), dt.date(4, 2, 29), dt.date(6, 12, 31)):
        early = cluster_insights(kx, "KX", as_of=day, suppliers=0, settings=neo4j_settings)
        assert (early.members, early.links) == (0, 0)
        assert early.stage.computed == "emergent"
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    result = CliRunner().invoke(app, ["insights", "KX", "--as-of", "0001-01-01", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["members"] == 0


def test_cli_json_and_report(kx: Graph, neo4j_settings: Settings) -> None:
    runner = CliRunner()
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    result = runner.invoke(
        app, ["insights", "KX", "--as-of", "2023-01-01", "--json", "--suppliers", "1"], env=env
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {
        "cluster",
        "members",
        "density",
        "components",
        "isolates",
        "brokers",
        "gaps",
        "external_share",
    } <= set(body)
    assert (body["cluster"], body["members"], body["components"]) == ("KX", 9, 2)
    assert body["density"] == pytest.approx(0.25)
    assert body["isolates"] == [{"id": "KX-L", "name": "Saftpresse Lechner", "role": "firm"}]
    # without L's tie, A1 and K each lie on 12 of the 28 paths between the other eight; A1's degree is higher
    assert [(b["id"], b["betweenness"]) for b in body["brokers"][:2]] == [
        ("KX-A1", pytest.approx(3 / 7)),
        ("KX-K", pytest.approx(3 / 7)),
    ]
    assert body["gaps"][0]["suppliers"][0]["id"] == "KX-S"
    assert body["stage"]["computed"] == "emergent" and body["stage"]["declared"] == "mature"

    report = runner.invoke(app, ["insights", "KX"], env=env)
    assert report.exit_code == 0, report.output
    assert "Innovationsagentur Krems" in report.output and "hyperspectral imaging" in report.output
    bad = runner.invoke(app, ["insights", "NOPE", "--suppliers", "0"], env=env)
    assert bad.exit_code == 1 and "no cluster with id 'NOPE'" in bad.output
    bad_date = runner.invoke(app, ["insights", "KX", "--as-of", "last year"], env=env)
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output


INSIGHTS = """
query Insights($id: ID!, $asOf: Date) {
  clusterInsights(clusterId: $id, asOf: $asOf, suppliers: 1) {
    cluster members density components externalShare privateNeedsCounted
    isolates { id name }
    brokers { id betweenness knowledgeBroker brokerage { gatekeeper } }
    gaps { capability neededBy { id } suppliers { id offersCapability } }
    stage { computed declared rule differs }
    trend { since then { members } now { members } }
    network { nodes { id outside } edges { source target outside } }
  }
}
"""


@pytest.fixture(scope="module")
def api(kx: Graph, neo4j_settings: Settings) -> Iterator[tuple[TestClient, dict[str, NewKey]]]:
    keys = {
        "manager": create_key(kx, ApiRole.CLUSTER_MANAGER, "KX-MGR"),
        "member": create_key(kx, ApiRole.MEMBER, "KX-B2"),
        "data_team": create_key(kx, ApiRole.DATA_TEAM, None),
    }
    with TestClient(create_app(neo4j_settings)) as client:
        yield client, keys


REGION = """
query Region($region: String) {
  regionInsights(region: $region) { region clusters { cluster members gaps { capability } } }
}
"""


def ask(api: tuple[TestClient, dict[str, NewKey]], who: str, variables: dict, query: str = INSIGHTS) -> dict:
    client, keys = api
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {keys[who].secret}"},
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]["regionInsights" if query is REGION else "clusterInsights"]


def test_graphql_cluster_insights_as_of_a_date(api: tuple[TestClient, dict[str, NewKey]]) -> None:
    past = ask(api, "data_team", {"id": "KX", "asOf": "2023-01-01"})
    assert (past["cluster"], past["members"], past["components"]) == ("KX", 9, 2)
    assert past["density"] == pytest.approx(0.25) and past["externalShare"] == pytest.approx(0.25)
    assert past["isolates"] == [{"id": "KX-L", "name": "Saftpresse Lechner"}]
    assert past["stage"] == {
        "computed": "EMERGENT",
        "declared": "MATURE",
        "rule": "emergent: 9 members < 10",
        "differs": True,
    }
    assert past["trend"]["since"] == "2020-01-01" and past["trend"]["now"]["members"] == 9
    assert past["gaps"][0]["suppliers"] == [{"id": "KX-S", "offersCapability": True}]
    assert len([n for n in past["network"]["nodes"] if not n["outside"]]) == 9
    assert {"source": "KX-B3", "target": "KX-L", "outside": False} not in past["network"]["edges"]

    now = ask(api, "data_team", {"id": "KX"})
    assert now["members"] == 10 and now["density"] == pytest.approx(2 / 9)
    assert now["brokers"][0] == {
        "id": "KX-K",
        "betweenness": pytest.approx(4 / 9),
        "knowledgeBroker": True,
        "brokerage": {"gatekeeper": 1},
    }
    assert {"source": "KX-B3", "target": "KX-L", "outside": False} in now["network"]["edges"]


def test_graphql_counts_a_private_need_only_for_the_clusters_manager(
    api: tuple[TestClient, dict[str, NewKey]],
) -> None:
    managed = ask(api, "manager", {"id": "KX"})
    assert managed["privateNeedsCounted"]
    assert [(g["capability"], g["neededBy"]) for g in managed["gaps"]] == [
        ("hyperspectral imaging", [{"id": "KX-A1"}]),
        ("wastewater treatment", [{"id": "KX-B2"}]),
    ]
    for who in ("member", "data_team"):  # the member is the need's own organization, but sees the cluster's
        seen = ask(api, who, {"id": "KX"})
        assert not seen["privateNeedsCounted"]
        assert [g["capability"] for g in seen["gaps"]] == ["hyperspectral imaging"]
        region = ask(api, who, {"region": "Kremstal"}, REGION)
        assert [len(c["gaps"]) for c in region["clusters"]] == [1]
    region = ask(api, "manager", {"region": "Kremstal"}, REGION)
    assert [(c["cluster"], c["members"], len(c["gaps"])) for c in region["clusters"]] == [("KX", 10, 2)]
