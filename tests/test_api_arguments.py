"""Refusals of one argument name it in ``extensions.argument``, against the real Neo4j.

A client (the web page's script among them) shows which input was wrong from ``extensions.argument``; it
had to read the argument's name out of the message's English. A field of an input object is named by the
argument, a dot and the field (``filter.regions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import ingest
import matching
from api.app import create_app
from api.auth import ApiRole, NewKey, create_key
from api.graphql.pages import cursor_text
from graph import admin
from graph.db import Graph
from schema.settings import Settings
from tests.utils.api import codes, gql
from tests.utils.registry import write_jsonl

SUGGEST = "query($n: String, $l: Int! = 10, $f: OrganizationFilterInput) { partnerSuggestions(need: $n, limit: $l, filter: $f) { score } }"  # noqa: E501
SUBMIT = "mutation($t: String!) { submitNeed(text: $t) { id } }"
ORGANIZATIONS = "query($f: OrganizationFilterInput, $a: String, $n: Int! = 20, $o: OrganizationOrderInput) { organizations(filter: $f, after: $a, first: $n, orderBy: $o) { totalCount } }"  # noqa: E501
FEEDBACK = 'mutation($c: String) { recordSuggestionFeedback(organizationId: "dairy", partnerId: "vendor", accepted: true, comment: $c) { accepted } }'  # noqa: E501

DISTANCE = "query($n: String, $k: Float) { partnerSuggestions(need: $n, maxKm: $k) { score } }"
UPSERT = "mutation($i: OrganizationInput!) { upsertOrganization(input: $i) { id } }"
NEWCOMER = {"id": "new", "name": "New", "role": "FIRM"}


@pytest.fixture(scope="module")
def api(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, NewKey]]]:
    """A cluster of a dairy and a vendor (embedded, neither located); a member key of the dairy and a
    data_team key."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("arguments")
    organizations = [
        {
            "id": "dairy",
            "name": "Dairy",
            "role": "firm",
            "description": "Milk and cheese.",
            "clusters": "food",
        },
        {
            "id": "vendor",
            "name": "Vendor",
            "role": "vendor",
            "description": "Cleaning robots.",
            "clusters": "food",
        },
    ]
    files = [
        write_jsonl(folder / "clusters.jsonl", [{"id": "food", "name": "Food Cluster", "sector": "food"}]),
        write_jsonl(folder / "organizations.jsonl", organizations),
    ]
    summary = ingest.load(session_graph, files, source="arguments")
    assert summary.counts()["rejected"] == 0, summary.counts()
    matching.embed(session_graph, neo4j_settings)  # so the dairy's own suggestions get as far as its place
    keys = {
        "dairy": create_key(session_graph, ApiRole.MEMBER, "dairy"),
        "data_team": create_key(session_graph, ApiRole.DATA_TEAM, None),
    }
    with TestClient(create_app(neo4j_settings)) as client:
        yield client, keys


def refused(body: dict[str, Any]) -> str | None:
    """The argument the one BAD_USER_INPUT error of ``body`` names (None when it names none), checked to
    lead the message as its name."""
    assert codes(body) == ["BAD_USER_INPUT"], body
    error = body["errors"][0]
    argument = error["extensions"].get("argument")
    if argument is not None:
        assert error["message"].startswith(f"`{argument}` "), error
    return argument


def test_refusals_of_one_argument_name_it(api: tuple[TestClient, dict[str, NewKey]]) -> None:
    """Texts, page sizes, filters, ids and cursors: each refusal names its argument, an input object's
    field by its path."""
    client, keys = api
    dairy, data_team = keys["dairy"], keys["data_team"]
    search = '{ search(text: "cheese", filter: {similarTo: "milk"}) { score } }'
    members = 'query($c: [ID!]) { cluster(id: "food") { members(filter: {clusters: $c}) { totalCount } } }'
    insights = '{ clusterInsights(clusterId: "food", suppliers: 11) { cluster } }'
    ghost = {**NEWCOMER, "clusters": ["no-such-cluster"]}
    another_order = cursor_text(["id", True, "dairy", "dairy"])
    cases: list[tuple[NewKey, str, dict[str, Any], str]] = [
        (dairy, SUGGEST, {"n": "Cheese\x07 vats that clean themselves"}, "need"),
        (dairy, SUGGEST, {"n": "   "}, "need"),
        (dairy, SUGGEST, {"n": "Cheese vats", "l": 0}, "limit"),
        (dairy, SUGGEST, {"n": "Cheese vats", "f": {"text": "robots"}}, "filter.text"),
        (dairy, SUGGEST, {"n": "Cheese vats", "f": {"regions": ["AT"] * 101}}, "filter.regions"),
        (dairy, DISTANCE, {"n": "Cheese vats", "k": 50.0}, "maxKm"),  # a need alone is nowhere
        (dairy, DISTANCE, {"k": 50.0}, "maxKm"),  # the dairy's own suggestions: it has no coordinates
        (dairy, SUBMIT, {"t": "cheese " * 800}, "text"),
        (dairy, SUBMIT, {"t": "Cheese\x1b vats"}, "text"),
        (dairy, FEEDBACK, {"c": "fine\x00"}, "comment"),
        (dairy, ORGANIZATIONS, {"n": 1_000}, "first"),
        (dairy, ORGANIZATIONS, {"f": {"text": "!!! ???"}}, "filter.text"),
        (dairy, ORGANIZATIONS, {"f": {"similarTo": "x" * 1_001}}, "filter.similarTo"),
        (dairy, ORGANIZATIONS, {"o": {"field": "RELEVANCE"}}, "orderBy.field"),
        (dairy, ORGANIZATIONS, {"a": "not a cursor"}, "after"),
        (dairy, ORGANIZATIONS, {"a": another_order}, "after"),
        (dairy, search, {}, "filter.similarTo"),
        (dairy, members, {"c": ["food"]}, "filter.clusters"),
        (dairy, insights, {}, "suppliers"),
        (data_team, UPSERT, {"i": ghost}, "input.clusters"),
        (data_team, UPSERT, {"i": {**NEWCOMER, "id": ".."}}, "input.id"),
        (data_team, UPSERT, {"i": {**NEWCOMER, "name": "New\x00"}}, "input.name"),
        (data_team, UPSERT, {"i": {**NEWCOMER, "lat": 123.0, "lon": 10.0}}, "input.lat"),
    ]
    named = [refused(gql(client, key, query, variables)) for key, query, variables, _ in cases]
    assert named == [argument for *_, argument in cases]


def test_refusals_of_no_one_argument_name_none(api: tuple[TestClient, dict[str, NewKey]]) -> None:
    """A refusal about two arguments together, of two fields of an input at once (its message names
    both), or one graphql-core gives for a value of the wrong type, carries no ``argument``."""
    client, keys = api
    assert refused(gql(client, keys["data_team"], "{ partnerSuggestions { score } }")) is None
    both = gql(client, keys["data_team"], UPSERT, {"i": {**NEWCOMER, "name": "New\x00", "city": "L\x1b"}})
    assert refused(both) is None and "name: " in both["errors"][0]["message"], both
    assert refused(gql(client, keys["dairy"], SUGGEST, {"n": "vats", "l": "ten"})) is None


def test_a_suggestion_filter_naming_nothing_is_refused_naming_its_field(
    api: tuple[TestClient, dict[str, NewKey]],
) -> None:
    """A cluster, region or sector no organization has answered an empty list, as if no partner fitted: the
    value is refused, naming its field (as ``clusterkg suggest`` names its option); known ones are taken."""
    client, keys = api
    for field, value, said in (
        ("clusters", "Fod Cluster", "no cluster has this id or name"),
        ("regions", "Atlantis", "no organization is in a region, country or town of this id or name"),
        ("sectors", "fod", "no organization works in this sector"),
    ):
        body = gql(client, keys["dairy"], SUGGEST, {"n": "Cheese vats", "f": {field: [value]}})
        assert refused(body) == f"filter.{field}", body
        assert body["errors"][0]["message"] == f"`filter.{field}` holds {value!r}: {said}", body
    known = {"n": "Cheese vats", "f": {"clusters": ["Food Cluster", "food"]}}
    assert not codes(gql(client, keys["dairy"], SUGGEST, known))


def test_a_suggestion_filter_of_too_many_values_is_refused_before_any_is_looked_up(
    api: tuple[TestClient, dict[str, NewKey]],
) -> None:
    """Each value of a filter is looked up before the suggestion runs, an unknown sector by a scan of every
    organization (about 60 ms at 100,000): a request of 100 held Neo4j for seconds. More than ten values
    are refused, with one message naming the list, whatever their number; ten are taken. An organization
    filter's lists take 100."""
    client, keys = api
    for given, name in ((11, "sectors"), (101, "sectors"), (11, "sizes")):
        values = [f"s{i}" for i in range(given)] if name == "sectors" else ["SMALL"] * given
        body = gql(client, keys["dairy"], SUGGEST, {"n": "Cheese vats", "f": {name: values}})
        assert codes(body) == ["BAD_USER_INPUT"], body
        error = body["errors"][0]
        assert error["extensions"]["argument"] == f"filter.{name}", body
        assert error["message"] == f"`filter.{name}` takes at most 10 values; it holds {given}", body
    ten = {"n": "Cheese vats", "f": {"clusters": ["food"] * 10}}
    assert not codes(gql(client, keys["dairy"], SUGGEST, ten))
    hundred = {"f": {"sectors": [f"s{i}" for i in range(100)]}}
    assert not codes(gql(client, keys["dairy"], ORGANIZATIONS, hundred))
    body = gql(client, keys["dairy"], ORGANIZATIONS, {"f": {"sectors": [f"s{i}" for i in range(101)]}})
    assert body["errors"][0]["message"] == "`filter.sectors` takes at most 100 values; it holds 101", body
