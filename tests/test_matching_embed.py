"""Embeddings with the real model and the real Neo4j: sentence splitting, the sentence vectors, and the
incremental ``embed`` (only new or changed texts are encoded)."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import matching
from api.cli import app
from graph import admin, migrations
from graph.db import Graph
from graph.queries.admin import SHOW_INDEXES
from graph.queries.api import SET_NEED
from graph.queries.matching.candidates import NEAREST_NEEDS
from graph.queries.matching.embeddings import COUNT_EMBEDDED, EMBED_STALE, FORGET_EMBEDDING_HASHES
from graph.queries.matching.vector_indexes import DROP_VECTOR_INDEX, VECTOR_INDEX
from graph.query import Query
from matching import vector_index
from matching.embed import (
    EmbedSummary,
    content_hash,
    embed,
    encode_and_write,
    key_prefix,
    plan,
    refresh,
    unpack_sentence_vectors,
)
from matching.model import (
    DIMENSIONS,
    MAX_JOINED_CHARS,
    MAX_PIECE_WORDS,
    MIN_CHUNK_CHARS,
    embed_texts,
    encode,
    split_sentences,
)
from matching.signal_ranking import SIMILAR_SEEKERS
from schema.settings import Settings
from tests.utils.matching_region import create_region

EMBEDDINGS = Query(
    "test.matching.embeddings",
    """
    MATCH (o:Organization)
    RETURN o.id AS id, o.capability_embedding AS capability,
    head([(o)-[:STATES_NEED]->(t:NeedText) | t.embedding]) AS needs,
    o.capability_hash AS capability_hash, o.needs_hash AS needs_hash, o.needs_sentences AS needs_sentences,
    o.needs_sentence_vectors AS needs_sentence_vectors, o.needs_key AS needs_key
    """,
)
FORGET_KEYS = Query(
    "test.matching.forget_keys", "MATCH (o:Organization) REMOVE o.capability_key, o.needs_key", write=True
)
SET_TEXT = Query(
    "test.matching.set_text",
    "MATCH (o:Organization {id: $id}) SET o.description = $description, o.needs = $needs, "
    "o.needs_visibility = 'public'",
    write=True,
)


@pytest.fixture(scope="module")
def model_name(neo4j_settings: Settings) -> str:
    """The real model, loaded once (``matching.model`` keeps it for the process)."""
    encode(["warm up"], model_name=neo4j_settings.embedder)
    return neo4j_settings.embedder


def test_sentences_are_split_and_tiny_fragments_merged() -> None:
    text = "We bake bread for supermarkets. Founded 1962.\n\nWe need cameras on the line! Do you sell them?"
    assert split_sentences(text) == [
        "We bake bread for supermarkets. Founded 1962.",
        "We need cameras on the line! Do you sell them?",
    ]
    assert split_sentences("one short line") == ["one short line"]
    assert split_sentences("") == []


def test_a_list_of_short_items_is_cut_into_chunks_of_a_few_items() -> None:
    items = ["CNC milling", "Laser cutting", "TIG welding", "Powder coating", "Anodizing", "Deburring"] * 12
    text = "Our services:\n" + "\n".join(f"- {item}." for item in items)
    chunks = split_sentences(text)
    assert len(chunks) > 8
    assert all(len(chunk) <= MAX_JOINED_CHARS for chunk in chunks[:-1])
    assert len(chunks[-1]) < MAX_JOINED_CHARS + MIN_CHUNK_CHARS
    assert all(len(chunk) >= MIN_CHUNK_CHARS for chunk in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_the_end_of_a_long_sentence_counts(model_name: str) -> None:
    """A comma-separated list longer than the model reads is one sentence; its last items still count."""
    head = "We offer " + ", ".join(f"machining of steel part type {i}" for i in range(80))
    one, other = embed_texts(
        [head + ", and hyperspectral sorting of nuts.", head + ", and payroll for bakeries."],
        model_name=model_name,
    )
    assert len(head.split()) > 2 * MAX_PIECE_WORDS
    assert float(one.vector @ other.vector) < 0.9999
    query = encode(["hyperspectral camera sorting of nuts"], model_name=model_name)[0]
    assert float(one.vector @ query) > float(other.vector @ query)


def test_a_new_way_of_cutting_texts_encodes_them_again(
    graph: Graph, neo4j_settings: Settings, model_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_region(graph)
    assert embed(graph, neo4j_settings).total_encoded == 12
    assert embed(graph, neo4j_settings).total_encoded == 0
    monkeypatch.setattr(sys.modules["matching.embed"], "CHUNKING", "chunks-test")
    again = embed(graph, neo4j_settings)
    assert again.encoded == {"capability": 10, "needs": 1, "private_needs": 1}
    keys = {row["id"]: row["needs_key"] for row in graph.run(EMBEDDINGS)}
    assert keys["bakery"] == f"{model_name} chunks-test\0{bakery_needs(graph)}"


def test_text_vector_is_the_models_own_and_sentences_get_their_vectors(model_name: str) -> None:
    texts = [
        "We build machine vision cameras for inspection. Our software finds defects on production lines.",
        "Tax advisory and payroll for small firms.",
    ]
    embedded = embed_texts(texts, model_name=model_name)
    raw = encode(texts, model_name=model_name)
    for one, whole in zip(embedded, raw, strict=True):
        assert one.vector.shape == (DIMENSIONS,) and one.vector.dtype == np.float32
        assert float(one.vector @ whole) == pytest.approx(1.0, abs=1e-5)
        assert np.allclose(np.linalg.norm(one.sentence_vectors, axis=1), 1.0, atol=1e-5)
    assert len(embedded[0].sentences) == 2
    # The sentence about defects is closer to a defect query than the one about cameras is, and vice versa.
    query = encode(["software that detects defects"], model_name=model_name)[0]
    assert embedded[0].sentence_vectors[1] @ query > embedded[0].sentence_vectors[0] @ query


def test_long_texts_are_encoded_in_pieces_not_truncated(model_name: str) -> None:
    filler = " ".join(f"We produce pallets of kind {i} for warehouses." for i in range(60))
    long_text = filler + " Our newest line uses hyperspectral cameras to sort nuts."
    assert len(long_text.split()) > 2 * MAX_PIECE_WORDS
    embedded = embed_texts([long_text], model_name=model_name)[0]
    query = encode(["hyperspectral camera sorting of nuts"], model_name=model_name)[0]
    best = int(np.argmax(embedded.sentence_vectors @ query))
    assert "hyperspectral" in embedded.sentences[best]
    assert embedded.sentence_vectors[best] @ query > 0.5


def test_embed_is_incremental_by_content_hash(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    create_region(graph)
    first = embed(graph, neo4j_settings)
    assert first.organizations == 10
    assert first.encoded == {"capability": 10, "needs": 1, "private_needs": 1}  # the mill's need is private
    rows = {row["id"]: row for row in graph.run(EMBEDDINGS)}
    bakery = rows["bakery"]
    assert len(bakery["capability"]) == DIMENSIONS and len(bakery["needs"]) == DIMENSIONS
    assert np.linalg.norm(bakery["needs"]) == pytest.approx(1.0, abs=1e-4)
    assert bakery["needs_hash"] == content_hash(model_name, bakery_needs(graph))
    sentence_vectors = unpack_sentence_vectors(
        bakery["needs_sentence_vectors"], len(bakery["needs_sentences"]), DIMENSIONS
    )
    assert sentence_vectors.shape == (2, DIMENSIONS)
    assert rows["tax"]["needs"] is None

    second = embed(graph, neo4j_settings)
    assert second.total_encoded == 0 and second.unchanged == {
        "capability": 10,
        "needs": 1,
        "private_needs": 1,
    }
    # Embeddings stored before text keys were: their hash still matches, so the key is added, nothing encoded.
    graph.run(FORGET_KEYS)
    adopted = embed(graph, neo4j_settings)
    assert adopted.total_encoded == 0 and adopted.unchanged == {
        "capability": 10,
        "needs": 1,
        "private_needs": 1,
    }
    keys = {row["id"]: row["needs_key"] for row in graph.run(EMBEDDINGS)}
    assert keys["bakery"] == key_prefix(model_name) + bakery_needs(graph) and keys["tax"] is None

    graph.run(SET_TEXT, id="tax", description="Payroll software as a service for bakeries.", needs=None)
    graph.run(SET_TEXT, id="bakery", description="Family bakery.", needs=None)
    third = embed(graph, neo4j_settings)
    assert third.encoded == {"capability": 2, "needs": 0, "private_needs": 0}
    assert third.cleared == {"capability": 0, "needs": 1, "private_needs": 0}
    after = {row["id"]: row for row in graph.run(EMBEDDINGS)}
    assert after["bakery"]["needs"] is None and after["bakery"]["needs_hash"] is None
    assert after["tax"]["capability"] != rows["tax"]["capability"]
    assert after["visionware"]["capability"] == rows["visionware"]["capability"]


def test_identical_texts_are_encoded_once_and_written_to_each_organization(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    create_region(graph)
    description = graph.run(
        Query("test.matching.description", "MATCH (o {id: 'visionware'}) RETURN o.description AS text")
    )[0]["text"]
    graph.run(SET_TEXT, id="tax", description=description, needs=bakery_needs(graph))
    summary = embed(graph, neo4j_settings)
    assert summary.encoded == {"capability": 10, "needs": 2, "private_needs": 1}
    assert summary.distinct == 11
    rows = {row["id"]: row for row in graph.run(EMBEDDINGS)}
    assert rows["tax"]["capability"] == rows["visionware"]["capability"]
    assert rows["tax"]["needs"] == rows["bakery"]["needs"]
    assert rows["tax"]["needs_sentence_vectors"] == rows["bakery"]["needs_sentence_vectors"]
    assert rows["tax"]["needs_hash"] == content_hash(model_name, bakery_needs(graph))
    alone = embed_texts([description], model_name=model_name)[0].vector
    assert np.allclose(rows["tax"]["capability"], alone, atol=1e-5)


def bakery_needs(graph: Graph) -> str:
    return graph.run(Query("test.matching.needs", "MATCH (o {id: 'bakery'}) RETURN o.needs AS needs"))[0][
        "needs"
    ]


def test_embed_command_reports_what_it_did(graph: Graph, neo4j_settings: Settings, model_name: str) -> None:
    create_region(graph)
    flags = [
        "--neo4j-uri",
        neo4j_settings.neo4j_uri,
        "--neo4j-user",
        neo4j_settings.neo4j_user,
        "--neo4j-password",
        neo4j_settings.neo4j_password,
    ]
    result = CliRunner().invoke(app, [*flags, "embed"])
    assert result.exit_code == 0, result.output
    assert "encoded 10 capability, 1 public and 1 private needs texts" in result.output, result.output
    again = CliRunner().invoke(app, [*flags, "embed"])
    said = again.output
    assert (
        again.exit_code == 0
        and "encoded 0 capability, 0 public and 0 private needs texts; 12 unchanged" in said
    )


def test_a_bulk_embed_rebuilds_a_vector_index_and_the_settings_hold(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    """An index built with other HNSW settings is rebuilt; writing a large share of an index drops it for the
    writes and creates it again, populated and searchable, by the time ``embed`` returns."""
    create_region(graph)
    bulk = neo4j_settings.model_copy(
        update={"vector_index_m": 24, "vector_rebuild_min": 3, "vector_rebuild_share": 0.5}
    )
    assert set(vector_index.ensure(graph, bulk)) == {"capability", "needs"}
    vector_index.await_online(graph)
    before = _index_ids(graph)

    # 10 capability vectors into an empty index: rebuilt; 2 needs vectors, under the minimum of 3: written.
    # An empty index answers nothing meanwhile, so the bulk goes straight to the vectors' own properties.
    during: list[dict[str, int]] = []
    summary = embed(graph, bulk, on_progress=lambda _: during.append(graph.run(COUNT_EMBEDDED)[0]))
    assert summary.encoded == {"capability": 10, "needs": 1, "private_needs": 1}
    assert [(counts["capability"], counts["staged_capability"]) for counts in during] == [(10, 0)]
    after = _index_ids(graph)
    assert after["capability"] != before["capability"] and after["needs"] == before["needs"]
    for name, _ in vector_index.INDEXES.values():
        index = graph.run(VECTOR_INDEX, name=name)[0]
        assert index["state"] == "ONLINE" and index["config"]["vector.hnsw.m"] == 24
    assert graph.run(NEAREST) == [{"id": "visionware"}]

    # Nothing changed, or one text of ten: the indexes stay.
    assert embed(graph, bulk).total_encoded == 0
    graph.run(SET_TEXT, id="tax", description="Payroll software as a service for bakeries.", needs=None)
    assert embed(graph, bulk).encoded == {"capability": 1, "needs": 0, "private_needs": 0}
    assert _index_ids(graph) == after
    assert not vector_index.rebuilds(bulk, writes=1, stored=10) and vector_index.rebuilds(bulk, 6, 4)

    # An index gone (an embed stopped half way through a rebuild) is created again.
    graph.run_autocommit(DROP_VECTOR_INDEX, name=vector_index.INDEXES["needs"][0])
    assert vector_index.ensure(graph, bulk) == ["needs"]
    vector_index.await_online(graph)
    assert graph.run(VECTOR_INDEX, name=vector_index.INDEXES["needs"][0])[0]["state"] == "ONLINE"

    # Back to the session's settings for the tests after this one.
    assert set(vector_index.ensure(graph, neo4j_settings)) == {"capability", "needs"}
    vector_index.await_online(graph)


def test_a_first_bulk_embed_into_indexes_of_other_settings_builds_each_index_once_over_its_vectors(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    """After ``db migrate`` the indexes have Neo4j's default settings and no vector: ``embed`` recreates them
    at the configured ones, and a bulk is still written with the capability index dropped and the index
    built over the stored vectors after (written one by one into an online index, Lucene's merged graph
    lost seekers after a restart at 100,000 vectors: ``bench/bench_suggest.py``)."""
    create_region(graph)
    assert set(vector_index.ensure(graph, neo4j_settings)) <= {"capability", "needs"}
    vector_index.await_online(graph)
    bulk = neo4j_settings.model_copy(
        update={"vector_index_m": 24, "vector_rebuild_min": 3, "vector_rebuild_share": 0.5}
    )
    name = vector_index.INDEXES["capability"][0]
    indexed_while_written: list[bool] = []

    def written(_: int) -> None:
        indexed_while_written.append(bool(graph.run(VECTOR_INDEX, name=name)))

    summary = embed(graph, bulk, on_progress=written)
    assert summary.encoded["capability"] == 10
    assert indexed_while_written == [False]
    index = graph.run(VECTOR_INDEX, name=name)[0]
    assert index["state"] == "ONLINE" and index["config"]["vector.hnsw.m"] == 24
    assert graph.run(NEAREST) == [{"id": "visionware"}]
    assert set(vector_index.ensure(graph, neo4j_settings)) == {"capability", "needs"}
    vector_index.await_online(graph)


def test_a_bulk_embed_builds_the_capability_index_before_it_writes_the_needs(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    """A run writes every capability vector before any need and builds the capability index as soon as its
    last vector is written: Neo4j populates it on one core while the needs are still encoded on the others."""
    create_region(graph)
    assert set(vector_index.ensure(graph, neo4j_settings)) <= {"capability", "needs"}
    vector_index.await_online(graph)
    bulk = neo4j_settings.model_copy(update={"vector_rebuild_min": 3, "vector_rebuild_share": 0.5})
    work = plan(graph.run(EMBED_STALE, key_prefix=key_prefix(bulk.embedder)), bulk.embedder)
    name = vector_index.INDEXES["capability"][0]
    seen: list[tuple[str, dict[str, int], bool, bool]] = []
    with vector_index.writing(graph, bulk, Counter(job.field for job in work.jobs)) as writes:

        def done(field: str) -> None:
            counts, before = graph.run(COUNT_EMBEDDED)[0], bool(graph.run(VECTOR_INDEX, name=name))
            writes.done(field)  # type: ignore[arg-type]
            seen.append((field, counts, before, bool(graph.run(VECTOR_INDEX, name=name))))

        # Chunks of 5 texts: the 10 descriptions, then the two needs.
        spy = vector_index.Writes(writes.queries, done)
        encode_and_write(graph, bulk, work.jobs, EmbedSummary(), None, spy, chunk_size=5)
    assert [field for field, *_ in seen] == ["capability", "needs", "private_needs"]
    _, counts, before, after = seen[0]
    assert (counts["capability"], counts["needs"], counts["private_needs"]) == (10, 0, 0)
    assert not before and after  # dropped for the writes, created as soon as they were done
    assert graph.run(VECTOR_INDEX, name=name)[0]["state"] == "ONLINE"
    assert graph.run(NEAREST) == [{"id": "visionware"}]


NEAREST = Query(
    "test.matching.nearest",
    "MATCH (o {id: 'visionware'}) "
    "CALL db.index.vector.queryNodes('organization_capability_embedding', 1, o.capability_embedding) "
    "YIELD node RETURN node.id AS id",
)
"""The capability index's nearest organization to visionware's vector: visionware itself."""


def test_a_bulk_re_embed_keeps_the_index_answering_until_it_is_rebuilt(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    """A bulk is written beside the current vectors: the index answers from them while the texts are
    encoded and written, and a run stopped half way leaves its vectors staged for the next run to move in."""
    create_region(graph)
    bulk = neo4j_settings.model_copy(update={"vector_rebuild_min": 3, "vector_rebuild_share": 0.5})
    embed(graph, bulk)
    answers: list[list[dict[str, str]]] = []

    def search(_: int) -> None:
        answers.append(graph.run(NEAREST))

    def search_and_stop(written: int) -> None:
        search(written)
        raise RuntimeError("stopped half way")

    # Every text new again (10 descriptions: a bulk; 2 needs: written as they come). Stopped after the writes.
    graph.run(FORGET_EMBEDDING_HASHES)
    before = _index_ids(graph)
    with pytest.raises(RuntimeError, match="stopped half way"):
        embed(graph, bulk, on_progress=search_and_stop)
    assert answers == [[{"id": "visionware"}]]
    assert _index_ids(graph) == before
    counts = graph.run(COUNT_EMBEDDED)[0]
    assert (counts["capability"], counts["staged_capability"]) == (0, 10)

    # The next run moves the staged vectors in and rebuilds the index; nothing is left to encode.
    assert embed(graph, bulk).total_encoded == 0
    counts = graph.run(COUNT_EMBEDDED)[0]
    assert (counts["capability"], counts["staged_capability"]) == (10, 0)
    assert _index_ids(graph)["capability"] != before["capability"]
    assert graph.run(NEAREST) == [{"id": "visionware"}]

    # A whole bulk run: the index answers during the writes and is rebuilt after them.
    graph.run(FORGET_EMBEDDING_HASHES)
    before = _index_ids(graph)
    assert embed(graph, bulk, on_progress=search).encoded == {
        "capability": 10,
        "needs": 1,
        "private_needs": 1,
    }
    assert answers[1:] == [[{"id": "visionware"}]]
    assert _index_ids(graph)["capability"] != before["capability"]
    assert graph.run(COUNT_EMBEDDED)[0]["staged_capability"] == 0
    assert graph.run(NEAREST) == [{"id": "visionware"}]


def _index_ids(graph: Graph) -> dict[str, int]:
    show = Query("test.matching.index_id", "SHOW INDEXES YIELD id, name WHERE name = $name RETURN id")
    return {field: graph.run(show, name=name)[0]["id"] for field, (name, _) in vector_index.INDEXES.items()}


# --- the needs index: one node per distinct public need text -----------------------------------------------

SAME = "Automated optical inspection of solder joints on our circuit board line."
OTHER = "Cold storage for frozen berries near the harbour."
STATERS = 30

CREATE_STATERS = Query(
    "test.matching.create_staters",
    """
    UNWIND $rows AS row
    CREATE (o:Organization:Firm {id: row.id, name: row.id, role: 'firm', description: row.description,
                                 needs: row.needs, needs_visibility: 'public'})
    CREATE (a:Organization:Vendor {id: 'ally-' + row.id, name: 'Ally of ' + row.id, role: 'vendor',
                                   description: 'Machine vision integrator ' + row.id})
    CREATE (o)-[:COLLABORATES_WITH {kind: 'supplier'}]->(a)
    """,
    write=True,
)
NEED_TEXTS = Query(
    "test.matching.need_texts",
    """
    MATCH (t:NeedText)
    RETURN t.hash AS hash, t.embedding AS vector,
           [(t)<-[:STATES_NEED]-(o:Organization) | o.id] AS staters,
           [(t)<-[:STATES_NEED]-(o:Organization)
            WHERE o.needs_visibility <> 'public' OR o.needs_hash <> t.hash | o.id] AS unfit
    """,
)
NEEDS_PROPERTIES = Query(
    "test.matching.needs_properties",
    "MATCH (o:Organization) WHERE o.needs_embedding IS NOT NULL OR o.staged_needs_hash IS NOT NULL "
    "RETURN count(o) AS n",
)
SET_NEED_DIRECT = Query(
    "test.matching.set_need_direct",
    "MATCH (o:Organization {id: $id}) SET o.needs = $needs, o.needs_visibility = $visibility",
    write=True,
)
DELETE_ORGANIZATIONS = Query(
    "test.matching.delete_organizations",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) DETACH DELETE o",
    write=True,
)


def _need_texts(graph: Graph) -> dict[str, dict[str, object]]:
    rows = {row["hash"]: row for row in graph.run(NEED_TEXTS)}
    for row in rows.values():
        assert row["staters"] and row["unfit"] == [], row  # no node outlives its last public stater
    return rows


def _staters(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    staters = [{"id": f"same-{i:02d}", "description": f"Electronics plant {i}.", "needs": SAME}
               for i in range(STATERS)]  # fmt: skip
    staters += [{"id": f"other-{i}", "description": f"Frozen fruit packer {i}.", "needs": f"  {OTHER}"}
                for i in range(3)]  # fmt: skip
    return staters + rows


def _rows_read(plan: dict[str, Any], relationship: str) -> int:
    """The rows the profiled ``plan``'s expansions along ``relationship`` produced."""
    expands = plan["operatorType"].startswith("Expand") and relationship in str(plan["args"])
    own = plan["rows"] if expands else 0
    return own + sum(_rows_read(child, relationship) for child in plan.get("children", []))


def test_identical_public_needs_are_one_text_node_and_a_search_reaches_the_organizations_stating_it(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    """30 organizations state one need word for word: the needs index holds it once (in a per-organization
    index they were 30 identical vectors, linked only to each other: an island a search could miss), and
    the similar-need search takes the organizations stating the nearest texts, in order, as many as asked."""
    graph.run(CREATE_STATERS, rows=_staters([]))
    summary = embed(graph, neo4j_settings)
    assert summary.encoded["needs"] == STATERS + 3 and summary.distinct == 2 * (STATERS + 3) + 2
    texts = _need_texts(graph)
    same, other = content_hash(model_name, SAME), content_hash(model_name, OTHER)  # stripped text
    assert set(texts) == {same, other}
    assert sorted(texts[same]["staters"]) == [f"same-{i:02d}" for i in range(STATERS)]
    assert len(texts[other]["staters"]) == 3
    assert graph.run(NEEDS_PROPERTIES)[0]["n"] == 0  # no per-organization vector any more
    assert graph.run(COUNT_EMBEDDED)[0]["need_texts"] == 2

    vector = encode([SAME], model_name=model_name)[0].tolist()
    found = graph.run(NEAREST_NEEDS, similar_k=5, vector=vector)
    assert len(found) == 5 and all(row["id"].startswith("same-") for row in found)
    assert all(row["cosine"] == pytest.approx(1.0, abs=1e-4) for row in found)
    # The nearest text has 3 organizations: the next nearest adds the 2 more asked for.
    found = graph.run(NEAREST_NEEDS, similar_k=5, vector=encode([OTHER], model_name=model_name)[0].tolist())
    ids = [row["id"] for row in found]
    assert sorted(ids[:3]) == ["other-0", "other-1", "other-2"] and len(ids) == 5
    assert all(i.startswith("same-") for i in ids[3:])
    # The walk stops at the organizations asked for: of the nearest text's 30 staters, 5 are read, and the
    # next text is not read at all.
    profiled = graph.driver.execute_query(
        "PROFILE " + NEAREST_NEEDS.text, similar_k=5, vector=vector, database_=graph.database
    ).summary.profile
    assert _rows_read(profiled, "STATES_NEED") == 5
    # The signal ranking finds the partners of SIMILAR_SEEKERS of the 30 through them.
    suggestions = matching.suggest(graph, need=SAME, limit=100, settings=neo4j_settings)
    similar = {s.id for s in suggestions if "partner_of_similar" in s.found_via}
    assert len(similar) == SIMILAR_SEEKERS
    assert similar <= {f"ally-same-{i:02d}" for i in range(STATERS)}


def test_a_text_node_goes_with_its_last_public_stater(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    """A need turned private, changed or deleted, or an organization deleted: its link goes, and the text's
    node (with its vector) once no one states it publicly."""
    graph.run(CREATE_STATERS, rows=_staters([]))
    embed(graph, neo4j_settings)
    same, other = content_hash(model_name, SAME), content_hash(model_name, OTHER)

    # Through the API: one of three turns private, one states another text; the node stays for the third.
    graph.run(SET_NEED, id="other-0", needs=OTHER, visibility="private")
    graph.run(SET_NEED, id="other-1", needs="Solar panels for the cold store roof.", visibility="public")
    assert _need_texts(graph)[other]["staters"] == ["other-2"]
    refresh(graph, neo4j_settings, ["other-0", "other-1"])
    texts = _need_texts(graph)
    assert texts[other]["staters"] == ["other-2"] and len(texts) == 3  # solar panels: a node of its own
    # The last one drops the need: its node goes in the same write (no embed run).
    graph.run(SET_NEED, id="other-2", needs=None, visibility="public")
    assert other not in _need_texts(graph)
    # A private text never gets a node, however many state it.
    graph.run(SET_NEED, id="same-00", needs=OTHER, visibility="private")
    embed(graph, neo4j_settings)
    assert other not in _need_texts(graph) and len(_need_texts(graph)[same]["staters"]) == STATERS - 1

    # A changed text written behind the API's back: embed moves the link, and the old node goes.
    graph.run(SET_NEED_DIRECT, id="other-1", needs="Wind turbines for the cold store.", visibility="public")
    embed(graph, neo4j_settings)
    texts = _need_texts(graph)
    assert content_hash(model_name, "Solar panels for the cold store roof.") not in texts
    assert texts[content_hash(model_name, "Wind turbines for the cold store.")]["staters"] == ["other-1"]

    # Organizations deleted by hand: their links go with them, the orphaned node with the next embed.
    graph.run(DELETE_ORGANIZATIONS, ids=[f"same-{i:02d}" for i in range(1, STATERS)])
    embed(graph, neo4j_settings)
    assert set(_need_texts(graph)) == {content_hash(model_name, "Wind turbines for the cold store.")}


def test_a_graph_of_per_organization_need_vectors_is_migrated_and_keeps_working(
    graph: Graph, neo4j_settings: Settings, model_name: str
) -> None:
    """A graph as the release before left it (migrations up to 0300, public need vectors on the organizations
    in organization_needs_embedding, a bulk's needs staged) is migrated by ``db migrate``: each distinct
    public text becomes one node with the vector it had, nothing is encoded again, and the search finds it."""
    graph.run(CREATE_STATERS, rows=_staters([]))
    embed(graph, neo4j_settings)
    vectors = {row["hash"]: row["vector"] for row in graph.run(NEED_TEXTS)}
    admin.drop_schema(graph)
    assert [m.version for m in migrations.migrate(graph, until=300)] == [1, 100, 200, 300]
    graph.run(TO_OLD_LAYOUT)
    graph.run(STAGED_BEFORE)
    assert graph.run(COUNT_EMBEDDED)[0]["need_texts"] == 0
    names = {row["name"] for row in graph.run(SHOW_INDEXES)}
    assert "organization_needs_embedding" in names and "need_text_embedding" not in names

    assert [m.version for m in migrations.migrate(graph, until=400)] == [400]
    names = {row["name"] for row in graph.run(SHOW_INDEXES)}
    assert "organization_needs_embedding" not in names and "need_text_embedding" in names
    migrations.migrate(graph)  # the later ones, as the rest of the session has them
    texts = _need_texts(graph)
    # other-0's current vector (of an older text, its new one staged) answers until `embed` replaces it.
    assert texts.pop("older")["staters"] == ["other-0"]
    assert {hash_: row["vector"] for hash_, row in texts.items()} == vectors
    assert len(texts[content_hash(model_name, SAME)]["staters"]) == STATERS
    assert graph.run(NEEDS_PROPERTIES)[0]["n"] == 0
    # Nothing to encode again but the need whose bulk was staged (its current vector had been the old one).
    summary = embed(graph, neo4j_settings)
    assert summary.encoded == {"capability": 0, "needs": 1, "private_needs": 0}
    texts = _need_texts(graph)
    assert len(texts[content_hash(model_name, OTHER)]["staters"]) == 3 and "older" not in texts
    found = graph.run(NEAREST_NEEDS, similar_k=3, vector=encode([SAME], model_name=model_name)[0].tolist())
    assert len(found) == 3 and all(row["id"].startswith("same-") for row in found)
    assert migrations.migrate(graph) == []


TO_OLD_LAYOUT = Query(
    "test.matching.to_old_layout",
    """
    MATCH (o:Organization)-[r:STATES_NEED]->(t:NeedText)
    CALL db.create.setNodeVectorProperty(o, 'needs_embedding', t.embedding)
    DELETE r
    WITH DISTINCT t
    DETACH DELETE t
    """,
    write=True,
)
STAGED_BEFORE = Query(
    "test.matching.staged_before",
    """
    MATCH (o:Organization {id: 'other-0'})
    CALL db.create.setNodeVectorProperty(o, 'staged_needs_embedding', [x IN range(1, 384) | 0.05])
    SET o.staged_needs_hash = 'staged', o.staged_needs_key = 'staged', o.needs_hash = 'older',
        o.needs_key = 'older'
    """,
    write=True,
)
"""The layout before migration 0400: each organization's public need vector on itself; ``other-0`` with a
bulk's vector staged and an older one current."""
