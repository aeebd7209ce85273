"""Private needs leave no trace that another caller can reach: the API and the real model on the real Neo4j.

The region: 22 firms whose public needs are close to one query, each with a partner of its own (what a caller
asking that query is shown as "partners of organizations with a similar need"); 21 firms that will state that
very query as a private need (were private needs in the shared needs index, they would fill its nearest 20
and push every public peer out); firms whose private needs are loaded from a registry.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import ingest
import matching
from api.app import create_app
from api.auth import ApiRole, NewKey, create_key
from graph import admin
from graph.db import Graph
from graph.query import Query
from matching.embed import content_hash
from schema.settings import Settings
from tests.utils.api import data, gql, wait_until
from tests.utils.registry import write_jsonl

QUERY = "Automated camera inspection of bread crust colour on our baking line."
PEERS = 22
HIDERS = 21

NEEDS_STATE = Query(
    "test.privacy.needs_state",
    "MATCH (o:Organization {id: $id}) RETURN o.needs AS needs, o.needs_visibility AS visibility, "
    "o.needs_hash AS public_hash, o.needs_sentences AS public_sentences, "
    "o.private_needs_hash AS private_hash, o.private_needs_sentences AS private_sentences",
)
PRIVATE_IN_SHARED_PROPERTIES = Query(
    "test.privacy.private_in_shared_properties",
    "MATCH (o:Organization) WHERE coalesce(o.needs_visibility, '') <> 'public' "
    "AND (o.needs_hash IS NOT NULL OR EXISTS { (o)-[:STATES_NEED]->() }) "
    "RETURN count(o) AS n",
)
NEED_TEXTS = Query(
    "test.privacy.need_texts",
    "MATCH (t:NeedText) RETURN t.hash AS hash, "
    "[(t)<-[:STATES_NEED]-(o:Organization) WHERE o.needs_visibility = 'public' AND o.needs_hash = t.hash "
    "| o.id] AS public, COUNT { (t)<-[:STATES_NEED]-() } AS links",
)
STATED = Query(
    "test.privacy.stated",
    "MATCH (o:Organization {id: $id}) RETURN [(o)-[:STATES_NEED]->(t:NeedText) | t.hash] AS texts",
)
PRIVATE_VECTORS = Query(
    "test.privacy.private_vectors",
    "MATCH (o:Organization) WHERE o.private_needs_embedding IS NOT NULL "
    "RETURN o.id AS id, o.private_needs_embedding AS vector",
)
NEEDS_INDEX_NEIGHBOURS = Query(
    "test.privacy.needs_index_neighbours",
    "CALL db.index.vector.queryNodes('need_text_embedding', $k, $vector) YIELD node "
    "MATCH (node)<-[:STATES_NEED]-(o:Organization) "
    "RETURN o.id AS id, o.needs_visibility AS visibility",
)
ORGANIZATION_COUNT = Query("test.privacy.organization_count", "MATCH (o:Organization) RETURN count(o) AS n")

SUGGEST = """query($org: ID, $need: String, $limit: Int!) {
    partnerSuggestions(organizationId: $org, need: $need, limit: $limit) {
        score matchedNeed matchedCapability explanation
        reasons { signal share sentence } partner { id name role } introducers { id } } }"""
COUNTS = """query($text: String!) {
    organizations(first: 50, filter: {text: $text}) { totalCount edges { node { id } } }
    all: organizations(first: 1) { totalCount } }"""
SUBMIT = """mutation($t: String!, $v: Visibility!) { submitNeed(text: $t, visibility: $v) { id } }"""
UPSERT = """mutation($input: OrganizationInput!) { upsertOrganization(input: $input) { id } }"""


def _organizations() -> list[dict[str, Any]]:
    firm = {"role": "firm", "country": "AT", "region": "Upper Austria", "city": "Linz", "employees": 20}
    rows = [
        {**firm, "id": "observer", "name": "Observer Gears", "description": "Gear grinding of shafts."},
        {**firm, "id": "keeper", "name": "Keeper Foods", "description": "Frozen pizza production.",
         "needs": "A confidential acquisition of a cheese dairy in Tyrol.", "needs_visibility": "private"},
    ]  # fmt: skip
    for i in range(PEERS):
        rows.append({**firm, "id": f"peer-{i:02d}", "name": f"Peer Bakery {i:02d}",
                     "description": f"Bakery number {i} baking rye bread and rolls.",
                     "needs": f"Camera inspection of bread crust colour on baking line {i}.",
                     "needs_visibility": "public"})  # fmt: skip
        rows.append({"id": f"ally-{i:02d}", "name": f"Ally Automation {i:02d}", "role": "vendor",
                     "description": f"Machine vision cameras that inspect baked goods, integrator {i}.",
                     "country": "AT", "city": "Wels"})  # fmt: skip
    for i in range(HIDERS):
        rows.append({**firm, "id": f"hider-{i:02d}", "name": f"Quiet Bakery {i:02d}",
                     "description": f"Quiet bakery {i} making pastries for hotels."})  # fmt: skip
        rows.append({"id": f"secret-ally-{i:02d}", "name": f"Secret Ally {i:02d}", "role": "vendor",
                     "description": f"Hyperspectral imaging integrator {i}.", "country": "AT"})  # fmt: skip
    return rows


def _collaborations() -> list[dict[str, Any]]:
    rows = [{"source": f"peer-{i:02d}", "target": f"ally-{i:02d}", "kind": "supplier"} for i in range(PEERS)]
    rows += [
        {"source": f"hider-{i:02d}", "target": f"secret-ally-{i:02d}", "kind": "supplier"}
        for i in range(HIDERS)
    ]
    return rows


@pytest.fixture(scope="module")
def keys(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, NewKey]:
    """The region loaded through ingest and embedded; a member key for the observer and each hider."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("privacy-region")
    files = [
        write_jsonl(folder / "organizations.jsonl", _organizations()),
        write_jsonl(folder / "collaborations.jsonl", _collaborations()),
    ]
    assert ingest.load(session_graph, files, source="privacy-test").counts()["rejected"] == 0
    matching.embed(session_graph, neo4j_settings)
    made = {"observer": create_key(session_graph, ApiRole.MEMBER, "observer")}
    made["data_team"] = create_key(session_graph, ApiRole.DATA_TEAM, None)
    for i in range(HIDERS):
        made[f"hider-{i:02d}"] = create_key(session_graph, ApiRole.MEMBER, f"hider-{i:02d}")
    return made


@pytest.fixture(scope="module")
def client(neo4j_settings: Settings, keys: dict[str, NewKey]) -> Iterator[TestClient]:
    # What is compared here is content, not speed: a generous limit for a busy test machine.
    settings = neo4j_settings.model_copy(update={"api_request_timeout": 120.0})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _need_texts(graph: Graph) -> list[tuple[str, list[str]]]:
    """Each public need text's node: its hash and the organizations linked to it."""
    return sorted((row["hash"], sorted(row["public"])) for row in graph.run(NEED_TEXTS))


def _private_vectors_in_shared_index(graph: Graph) -> list[str]:
    """Organizations with a non-public need found in the needs index, searched with every private vector
    (and as deep as there are organizations), every text node found expanded to whoever it links. Also
    checked: every organization a text node links states it publicly, and none is left without one (a text
    stated privately by one organization has a node only while another states it publicly)."""
    for text in graph.run(NEED_TEXTS):
        assert text["public"] and len(text["public"]) == text["links"], text
    k = graph.run(ORGANIZATION_COUNT)[0]["n"]
    found = []
    for row in graph.run(PRIVATE_VECTORS):
        for hit in graph.run(NEEDS_INDEX_NEIGHBOURS, k=k, vector=row["vector"]):
            if hit["visibility"] != "public":
                found.append(hit["id"])
    return found


def test_the_shared_needs_index_holds_no_private_vector(
    client: TestClient, keys: dict[str, NewKey], session_graph: Graph
) -> None:
    keeper = session_graph.run(NEEDS_STATE, id="keeper")[0]
    assert keeper["private_hash"] is not None and keeper["public_hash"] is None  # embedded, apart
    assert session_graph.run(PRIVATE_VECTORS)  # there is something to search with
    assert _private_vectors_in_shared_index(session_graph) == []
    assert session_graph.run(PRIVATE_IN_SHARED_PROPERTIES)[0]["n"] == 0
    # A public need turned private through the API leaves the shared index at once, no `embed` needed.
    data(gql(client, keys["hider-03"], SUBMIT, {"t": "Hotel pastry logistics at night.", "v": "PUBLIC"}))
    assert session_graph.run(NEEDS_STATE, id="hider-03")[0]["public_hash"] is not None
    data(gql(client, keys["hider-03"], SUBMIT, {"t": "Hotel pastry logistics at night.", "v": "PRIVATE"}))
    state = session_graph.run(NEEDS_STATE, id="hider-03")[0]
    assert state["public_hash"] is None and state["private_hash"] is not None
    assert _private_vectors_in_shared_index(session_graph) == []


def test_a_registry_turning_a_need_private_takes_it_out_of_the_index_in_the_same_write(
    keys: dict[str, NewKey], session_graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    peer = next(row for row in _organizations() if row["id"] == "peer-05")
    public_hash = session_graph.run(NEEDS_STATE, id="peer-05")[0]["public_hash"]
    assert public_hash is not None and session_graph.run(STATED, id="peer-05")[0]["texts"] == [public_hash]
    turned = write_jsonl(tmp_path / "organizations.jsonl", [{**peer, "needs_visibility": "private"}])
    try:
        ingest.load(session_graph, [turned], source="privacy-test")
        state = session_graph.run(NEEDS_STATE, id="peer-05")[0]
        assert state["visibility"] == "private" and state["public_hash"] is None
        assert session_graph.run(PRIVATE_IN_SHARED_PROPERTIES)[0]["n"] == 0
        # Its text, stated by no one else, left the index with its node in that write.
        assert session_graph.run(STATED, id="peer-05")[0]["texts"] == []
        assert public_hash not in {row["hash"] for row in session_graph.run(NEED_TEXTS)}
        assert _private_vectors_in_shared_index(session_graph) == []
    finally:
        ingest.load(session_graph, [write_jsonl(tmp_path / "back.jsonl", [peer])], source="privacy-test")
        matching.refresh(session_graph, neo4j_settings, ["peer-05"])


def test_what_another_key_sees_is_the_same_before_and_after_private_needs_are_stated_and_embedded(
    client: TestClient, keys: dict[str, NewKey], session_graph: Graph, neo4j_settings: Settings
) -> None:
    def seen_by_observer() -> tuple[Any, ...]:
        free = data(gql(client, keys["observer"], SUGGEST, {"need": QUERY, "limit": 10}))
        own = data(gql(client, keys["observer"], SUGGEST, {"limit": 10}))
        counts = data(gql(client, keys["observer"], COUNTS, {"text": "bakery"}))
        return free, own, counts

    before = seen_by_observer()
    texts_before = _need_texts(session_graph)
    found_via_peers = [s for s in before[0]["partnerSuggestions"] if s["partner"]["id"].startswith("ally-")]
    assert found_via_peers, "the query must reach partners of organizations with a similar public need"
    assert any("similar need" in " ".join(s["explanation"]) for s in found_via_peers)
    for i in range(HIDERS):
        data(gql(client, keys[f"hider-{i:02d}"], SUBMIT, {"t": QUERY, "v": "PRIVATE"}))
    matching.embed(session_graph, neo4j_settings)
    after = seen_by_observer()
    assert after == before
    assert _need_texts(session_graph) == texts_before  # no node, link or count for a private need
    assert "secret-ally" not in json.dumps(after)
    assert _private_vectors_in_shared_index(session_graph) == []
    # The hiders themselves do search with their private need, and are quoted it.
    own = data(gql(client, keys["hider-00"], SUGGEST, {"limit": 5}))["partnerSuggestions"]
    assert own and any(s["matchedNeed"] and "bread crust" in s["matchedNeed"] for s in own)


def test_submit_need_and_upsert_re_embed_or_clear_at_once(
    client: TestClient, keys: dict[str, NewKey], session_graph: Graph, neo4j_settings: Settings
) -> None:
    hider = keys["hider-10"]
    first = "Vacuum packaging machines for croissants, kept confidential."
    data(gql(client, hider, SUBMIT, {"t": first, "v": "PRIVATE"}))
    state = session_graph.run(NEEDS_STATE, id="hider-10")[0]
    assert state["private_hash"] == content_hash(neo4j_settings.embedder, first)
    own = data(gql(client, hider, SUGGEST, {"limit": 3}))["partnerSuggestions"]
    assert own and own[0]["matchedNeed"] == first  # no `embed` run: the new need is quoted right away
    second = "Solar panels for the roof of our bakery."
    data(gql(client, hider, SUBMIT, {"t": second, "v": "PRIVATE"}))
    own = data(gql(client, hider, SUGGEST, {"limit": 3}))["partnerSuggestions"]
    assert own and all(first not in (s["matchedNeed"] or "") for s in own)
    assert own[0]["matchedNeed"] == second
    # A data team replaces the organization without needs: the text leaves no vector, sentences or quote.
    replaced = {"id": "hider-10", "name": "Quiet Bakery 10", "role": "FIRM",
                "description": "Quiet bakery 10 making pastries for hotels.", "country": "AT"}  # fmt: skip
    data(gql(client, keys["data_team"], UPSERT, {"input": replaced}))
    state = session_graph.run(NEEDS_STATE, id="hider-10")[0]
    assert state["needs"] is None
    assert (
        state["private_hash"] is None and state["private_sentences"] is None and state["public_hash"] is None
    )
    own = data(gql(client, hider, SUGGEST, {"limit": 3}))["partnerSuggestions"]
    assert all(second not in (s["matchedNeed"] or "") for s in own)


def test_a_shared_public_text_keeps_its_node_until_its_last_public_stater_leaves(
    client: TestClient,
    keys: dict[str, NewKey],
    session_graph: Graph,
    neo4j_settings: Settings,
    tmp_path: Path,
) -> None:
    text = "Night delivery of fresh pastries to hotels in Linz."
    shared = content_hash(neo4j_settings.embedder, text)
    for hider in ("hider-15", "hider-16"):
        data(gql(client, keys[hider], SUBMIT, {"t": text, "v": "PUBLIC"}))
    assert dict(_need_texts(session_graph))[shared] == ["hider-15", "hider-16"]  # one node for both
    # One turns it private: its link goes in that write, the node stays for the other.
    data(gql(client, keys["hider-15"], SUBMIT, {"t": text, "v": "PRIVATE"}))
    assert session_graph.run(STATED, id="hider-15")[0]["texts"] == []
    assert dict(_need_texts(session_graph))[shared] == ["hider-16"]
    assert _private_vectors_in_shared_index(session_graph) == []
    # The other changes its text: the node, stated by no one publicly now, goes with its vector.
    data(gql(client, keys["hider-16"], SUBMIT, {"t": "Hotel laundry for table linen.", "v": "PUBLIC"}))
    assert shared not in dict(_need_texts(session_graph))
    assert session_graph.run(NEEDS_STATE, id="hider-15")[0]["private_hash"] == shared  # kept apart
    assert _private_vectors_in_shared_index(session_graph) == []

    # A registry changes a public need: the old link and node go in the ingest write, before any embed.
    peer = next(row for row in _organizations() if row["id"] == "peer-07")
    old = session_graph.run(NEEDS_STATE, id="peer-07")[0]["public_hash"]
    changed = {**peer, "needs": "Camera inspection of pretzel shapes."}
    try:
        ingest.load(
            session_graph, [write_jsonl(tmp_path / "changed.jsonl", [changed])], source="privacy-test"
        )
        assert session_graph.run(STATED, id="peer-07")[0]["texts"] == []
        assert old not in dict(_need_texts(session_graph))
        assert session_graph.run(PRIVATE_IN_SHARED_PROPERTIES)[0]["n"] == 0
        matching.refresh(session_graph, neo4j_settings, ["peer-07"])
        new = content_hash(neo4j_settings.embedder, changed["needs"])
        assert session_graph.run(STATED, id="peer-07")[0]["texts"] == [new]
    finally:
        ingest.load(session_graph, [write_jsonl(tmp_path / "back.jsonl", [peer])], source="privacy-test")
        matching.refresh(session_graph, neo4j_settings, ["peer-07"])
    assert session_graph.run(STATED, id="peer-07")[0]["texts"] == [old]


def test_a_document_another_key_sent_is_parsed_again_for_this_key(
    neo4j_settings: Settings, keys: dict[str, NewKey]
) -> None:
    """Parsed and validated documents are kept key by key. Shared, a document another key had sent took no
    turn of the compute threads: a key that fills its own lane with work could tell from the wait whether
    anyone had sent a document (a need typed into it, the organization a manager looked up). Here the one
    compute thread is held: the key that sent the look-up is answered from its cache at once, another key
    sending the same text waits for the thread to parse it."""
    one = neo4j_settings.model_copy(update={"api_compute_threads": 1})
    lookup = '{ organization(id: "keeper") { id name } }'
    sender, other = keys["hider-00"], keys["observer"]
    with TestClient(create_app(one)) as app:
        compute = app.app.state.compute  # type: ignore[attr-defined]
        assert data(gql(app, sender, lookup))["organization"]["id"] == "keeper"
        app.portal.call(compute.acquire, "busy")  # type: ignore[union-attr]
        answers: list[dict[str, Any]] = []
        asking = threading.Thread(target=lambda: answers.append(gql(app, other, lookup)))
        try:
            assert data(gql(app, sender, lookup))["organization"]["id"] == "keeper"
            asking.start()
            wait_until(lambda: bool(answers) or bool(compute.waiting.get(other.id)), seconds=10)
            assert not answers, "another key's document was answered from the sender's cache"
        finally:
            app.portal.call(compute.release, "busy")  # type: ignore[union-attr]
            asking.join(60)
    assert data(answers[0])["organization"]["id"] == "keeper"
