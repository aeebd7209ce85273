"""The learned ranking as users get it: trained by ``tune`` from the graph's dated history, used by
``suggest`` and by ``eval`` through the same function, on a snapshot that refreshes after an ingest and an
as-of view that leaks nothing dated after its day. On the real CORDIS slice in the real Neo4j."""

from __future__ import annotations

import csv
import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lightgbm
import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import ingest
from api.app import create_app
from api.auth import ApiRole, create_key
from api.cli import app
from api.cli.evaluate import ensure_loaded
from graph import admin
from graph.db import Graph
from ingest.sources import CORDIS_MAPPINGS
from matching import Filters, record_feedback, snapshot, snapshot_file, suggest
from matching.compiled import compile_detached
from matching.dataset import GraphData
from matching.evaluation.benchmark import temporal_benchmark
from matching.evaluation.protocol import score_lists
from matching.feature_names import REASON_INDEX, REASONS
from matching.features import PairFeatures
from matching.history import TextVectors, temporal_split
from matching.learned import ranked_columns
from matching.ranker import SHORTLIST, LearnedRanker
from matching.tune import learned_scorer, train
from schema.errors import MatchingError
from schema.settings import Settings
from tests.utils.api import data, gql
from tests.utils.cordis_slice import SLICE

DAY = dt.date(2018, 1, 1)


@pytest.fixture(scope="module")
def settings(neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The test server's settings with the model in a throwaway file."""
    model = tmp_path_factory.mktemp("ranking") / "model.json"
    return neo4j_settings.model_copy(update={"matching_model_file": model})


@pytest.fixture(scope="module")
def slice_graph(session_graph: Graph) -> Graph:
    admin.delete_data(session_graph)
    assert ensure_loaded(session_graph, SLICE, mappings=CORDIS_MAPPINGS, source="slice", batch_size=500)
    return session_graph


def firm_with_new_partners(held: snapshot.Snapshot, day: np.datetime64) -> int:
    """A company active before ``day`` that gained partners after it."""
    data = held.data
    before, after = data.links.before(day), data.links.between(day, np.datetime64("9999-12-31"))
    active = before.endpoints()
    gained = after.endpoints()
    firms = np.flatnonzero(active & gained & (data.org_role == "firm"))
    return int(firms[0])


def test_tune_trains_the_model_that_suggest_then_ranks_with(slice_graph: Graph, settings: Settings) -> None:
    flags = ["--neo4j-uri", settings.neo4j_uri, "--neo4j-password", settings.neo4j_password]
    env = {"CLUSTERKG_MATCHING_MODEL_FILE": str(settings.matching_model_file)}
    result = CliRunner().invoke(app, [*flags, "tune"], env=env)
    assert result.exit_code == 0, result.output
    assert "Held-out seekers" in result.output and "adamic-adar" in result.output
    # the log says where the model went in a line, its metadata (2 kB of features and figures) left to -v
    assert f"trained the ranking; saved to {settings.matching_model_file}" in result.output, result.output
    assert "'features': [" not in result.output, result.output
    assert settings.matching_model_file is not None and settings.matching_model_file.exists()
    metadata = json.loads(settings.matching_model_file.read_text())["metadata"]
    assert metadata["held_out"]["learned"]["recall_at_10"] >= 0 and "features_as_of" in metadata
    held = snapshot.current(slice_graph, settings)
    seeker = str(held.data.org_ids[firm_with_new_partners(held, held.present - np.timedelta64(400, "D"))])
    found = suggest(slice_graph, seeker, settings=settings)
    assert len(found) == 10 and {s.ranking for s in found} == {"learned"}
    partners = {str(held.data.org_ids[p]) for p in held.view().history.adjacency[held.index[seeker]].indices}
    assert not partners & {s.id for s in found} and seeker not in {s.id for s in found}
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    for s in found:
        assert sum(s.shares.values()) == pytest.approx(s.score, abs=1e-6)  # the reasons add up
        assert 0.0 < s.score < 1.0 and s.reasons[0].startswith(f"Score {s.score:.2f} = ")
        assert "learned ranking" in s.reasons[0] and s.found_via
    shared = [s for s in found if s.shared_partners]
    assert shared and all(s.shares["ties"] != 0 for s in shared)
    table = CliRunner().invoke(app, [*flags, "suggest", seeker, "--limit", "3"], env=env)
    assert table.exit_code == 0 and "Ranked by the learned ranking" in table.output
    # GraphQL says which ranking ran (the signals for a need text: tests/test_api.py)
    key = create_key(slice_graph, ApiRole.MEMBER, seeker)
    query = "query($org: ID) { partnerSuggestions(organizationId: $org, limit: 3) { ranking partner{id} } }"
    with TestClient(create_app(settings)) as client:
        learned = data(gql(client, key, query, {"org": seeker}))["partnerSuggestions"]
    assert [s["partner"]["id"] for s in learned] == [s.id for s in found[:3]]
    assert {s["ranking"] for s in learned} == {"learned"}
    # a role filter keeps the model's order: the first universities of the whole ranking
    universities = suggest(slice_graph, seeker, settings=settings, filters=Filters(roles=["university"]))
    assert universities and {s.role for s in universities} == {"university"}
    everyone = suggest(slice_graph, seeker, settings=settings, limit=2000)
    assert [s.id for s in universities] == [s.id for s in everyone if s.role == "university"][:10]
    assert [s.score for s in universities] == [s.score for s in everyone if s.role == "university"][:10]
    # a filter only the graph checks (a country) goes through rounds of the model's order until 10 passed
    countries = [str(held.data.org_country[held.index[s.id]]) for s in everyone]
    at = {c: [i for i, x in enumerate(countries) if x == c] for c in set(countries) if c}
    late = max((c for c in at if len(at[c]) >= 10), key=lambda c: at[c][9])
    assert at[late][9] >= 50  # the first round of 50 holds fewer than 10 of them
    before = slice_graph.queries_run
    in_country = suggest(slice_graph, seeker, settings=settings, filters=Filters(regions=[late]))
    assert [s.id for s in in_country] == [everyone[i].id for i in at[late][:10]]
    assert slice_graph.queries_run - before >= 2


def test_eval_ranks_with_suggest_itself_as_of_the_split(slice_graph: Graph, settings: Settings) -> None:
    held = snapshot.current(slice_graph, settings)
    day = np.datetime64(DAY)
    report = temporal_benchmark(
        slice_graph, held, day, roles={"firm"}, n_queries=4, seed=3, settings=settings
    )
    split = temporal_split(held.data, day, roles={"firm"}, n_queries=4, seed=3, vectors=held.vectors)
    ranker = train(held, day, seed=3, held_out=False)
    ranked = np.full((len(split.queries), 10), -1)
    for i, q in enumerate(split.queries):
        ids = [
            held.index[s.id]
            for s in suggest(
                slice_graph, str(held.data.org_ids[q]), settings=settings, as_of=DAY, ranker=ranker
            )
        ]
        ranked[i, : len(ids)] = ids
    assert report.results[0].method == "clusterkg"
    assert report.results[0].recall_at_10 == pytest.approx(
        score_lists(ranked, split.relevant)["recall_at_10"]
    )
    assert 0.0 < report.pool_recall <= 1.0


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_as_of_view_leaks_nothing_and_the_snapshot_refreshes_after_an_ingest(
    slice_graph: Graph, settings: Settings, tmp_path: Path
) -> None:
    before = snapshot.current(slice_graph, settings)
    day = np.datetime64(DAY)
    q = firm_with_new_partners(before, day)
    view = before.view(day)
    x = view.features.pairs(np.array([q]))
    pool = view.features.pool(np.array([q]))
    text = view.history.embeddings[q].copy()
    stranger = int(next(o for o in view.features.columns if o != q and not view.history.adjacency[q, o]))
    seeker, other = str(before.data.org_ids[q]), str(before.data.org_ids[stranger])
    # a project after the day joins the seeker and a stranger: a new text and a new dated link
    project = {"rcn": "9990001", "n": "2", "start_date": "2018-06-01", "end_date": "2019-06-01"}
    project |= {"project_id": "1", "programme_part": "X", "acronym": "QS", "theme": "", "topic_code": ""}
    project |= {"title": "Quantum sensing for bakeries", "topic_description": "Quantum sensors in food lines"}
    files = [
        write_csv(tmp_path / "projects.csv", [project]),
        write_csv(
            tmp_path / "participations.csv",
            [
                {
                    "rcn": "9990001",
                    "pic": pic,
                    "role": "participant",
                    "type": "",
                    "country": "",
                    "start_date": "",
                }
                for pic in (seeker, other)
            ],
        ),
    ]
    ingest.load(
        slice_graph, files, mapping=CORDIS_MAPPINGS, source="test", rules=(), derive_collaborations=True
    )
    after = snapshot.current(slice_graph, settings)
    assert after is not before  # the ingest run changed the stamp: read again
    assert after.view().history.adjacency[q, stranger] == 1  # the present sees the new link
    late = after.view(day)
    assert late.history.adjacency[q, stranger] == 0
    assert np.array_equal(late.features.pairs(np.array([q])), x)
    assert np.array_equal(late.features.pool(np.array([q])), pool)
    assert np.array_equal(late.history.embeddings[q], text)
    assert not np.array_equal(after.view().history.embeddings[q], text)  # the project text counts now
    # feedback after the day is invisible as of the day
    record_feedback(slice_graph, seeker, other, False)
    answered = snapshot.current(slice_graph, settings)
    assert answered is not after
    assert stranger in answered.declined(q) and stranger not in answered.declined(q, day)


def test_suggest_ranks_on_the_held_snapshot_and_starts_again_when_the_graph_changed(
    slice_graph: Graph, settings: Settings, ranker: LearnedRanker, tmp_path: Path
) -> None:
    """A request ranks on the snapshot the process holds while it asks for the graph's stamp; after an
    ingest the stamp differs, and the request is answered from a fresh snapshot: a newcomer is known and
    a new partner is no longer suggested."""
    held = snapshot.current(slice_graph, settings)
    seeker = str(held.data.org_ids[active_firms(held, 1)[0]])
    first = suggest(slice_graph, seeker, settings=settings, ranker=ranker)
    assert snapshot.held(slice_graph, settings) is held and first
    partner = first[0].id
    organization = {"pic": "999000111", "type": "PRC", "country": "AT", "name": "Newcomer GmbH"}
    organization |= {"city": "", "lat": "", "lon": "", "url": "", "sme": ""}
    project = {"rcn": "9990002", "n": "3", "start_date": "2020-06-01", "end_date": "2021-06-01"}
    project |= {"project_id": "2", "programme_part": "X", "acronym": "NC", "theme": "", "topic_code": ""}
    project |= {"title": "Sensors for newcomers", "topic_description": "Sensor lines"}
    participants = [
        {"rcn": "9990002", "pic": pic, "role": "participant", "type": "", "country": "", "start_date": ""}
        for pic in (seeker, partner, "999000111")
    ]
    files = [
        write_csv(tmp_path / "organizations.csv", [organization]),
        write_csv(tmp_path / "projects.csv", [project]),
        write_csv(tmp_path / "participations.csv", participants),
    ]
    ingest.load(
        slice_graph, files, mapping=CORDIS_MAPPINGS, source="test", rules=(), derive_collaborations=True
    )
    assert snapshot.held(slice_graph, settings) is held  # nothing has asked since
    newcomer = suggest(slice_graph, "999000111", settings=settings, ranker=ranker)
    assert newcomer and all(s.ranking == "learned" for s in newcomer)
    fresh = snapshot.held(slice_graph, settings)
    assert fresh is not held and fresh is not None and "999000111" in fresh.index
    again = suggest(slice_graph, seeker, settings=settings, ranker=ranker)
    assert partner not in [s.id for s in again]
    # a held snapshot that is current: one round trip, the details with the graph's stamp
    before = slice_graph.queries_run
    assert [s.id for s in suggest(slice_graph, seeker, settings=settings, ranker=ranker)] == [
        s.id for s in again
    ]
    assert slice_graph.queries_run - before == 1
    # a stale snapshot that knows the seeker: ranked on it, then started again once the stamp arrives
    view = fresh.view()
    record_feedback(slice_graph, seeker, again[0].id, False)
    before = slice_graph.queries_run
    assert again[0].id not in [s.id for s in suggest(slice_graph, seeker, settings=settings, ranker=ranker)]
    answered = snapshot.held(slice_graph, settings)
    assert answered is not fresh and answered is not None
    # only the answers changed: only the new one was read (the details with the stamp that says the ranking
    # was stale, the answers since for the fresh snapshot, its details), and its arrays and views are the
    # held ones
    assert slice_graph.queries_run - before == 3
    assert answered.data is fresh.data and answered.view() is view
    assert answered.declined(answered.index[seeker]).tolist() == [answered.index[again[0].id]]
    # later answers are read alone and merged: another decline, then the first one taken back
    record_feedback(slice_graph, seeker, again[1].id, False)
    declined = snapshot.current(slice_graph, settings).declined(answered.index[seeker])
    assert sorted(declined.tolist()) == sorted(answered.index[a.id] for a in again[:2])
    record_feedback(slice_graph, seeker, again[0].id, True)
    latest = snapshot.current(slice_graph, settings)
    assert latest.declined(answered.index[seeker]).tolist() == [answered.index[again[1].id]]
    assert len(latest.answers["at"]) == len(answered.answers["at"]) + 1 and latest.data is fresh.data


def test_a_cold_cache_encodes_the_texts_embed_did_not_store(
    slice_graph: Graph, settings: Settings, tmp_path: Path
) -> None:
    """The slice's organizations have no descriptions: every project text is new to an empty cache, none is
    stored in the graph, and all are encoded (as a fresh machine's first snapshot does)."""
    warm = snapshot.read(slice_graph, settings)
    cold = snapshot.read(slice_graph, settings.model_copy(update={"cache_dir": tmp_path / "cache"}))
    assert (tmp_path / "cache" / "embeddings" / "text-vectors.npy").is_file()
    assert len(cold.vectors.projects) == len(warm.vectors.projects) > 10
    np.testing.assert_allclose(cold.vectors.projects, warm.vectors.projects, atol=1e-5)


def test_a_graph_without_dated_history_keeps_the_signal_ranking() -> None:
    orgs = [{"id": i, "role": "firm", "country": "AT", "text": f"maker {i}"} for i in "abc"]
    data = GraphData.from_rows(orgs, [], [], [{"a": "a", "b": "b", "since": None}])
    held = snapshot.Snapshot(data, TextVectors(np.zeros((0, 4)), np.eye(3, 4)), snapshot.no_answers(), {})
    with pytest.raises(MatchingError, match="No dated history to learn from"):
        train(held)


@pytest.fixture(scope="module")
def ranker(slice_graph: Graph, settings: Settings) -> LearnedRanker:
    """A model trained on the slice at the present, handed to ``suggest`` directly."""
    return train(snapshot.current(slice_graph, settings), seed=5, held_out=False, train_queries=300)


def active_firms(held: snapshot.Snapshot, count: int) -> list[int]:
    view = held.view()
    firms = np.flatnonzero(view.history.active & (held.data.org_role == "firm"))
    return [int(q) for q in np.random.default_rng(11).choice(firms, count, replace=False)]


def test_the_served_ranking_computes_only_the_pool_and_ranks_exactly_as_all_columns(
    slice_graph: Graph, settings: Settings, ranker: LearnedRanker
) -> None:
    held = snapshot.current(slice_graph, settings)
    view = held.view()
    features = view.features
    for q in active_firms(held, 3):
        queries = np.array([q])
        full = features.pairs(queries)
        pool = features.pool(queries)
        banned = np.concatenate([[q], view.history.adjacency[q].indices])
        pool[0, features.position[banned][features.position[banned] >= 0]] = False
        scores = ranker.score(full, pool)[0]
        expected = np.argsort(-scores, kind="stable")
        expected = expected[np.isfinite(scores[expected])]
        order, log_odds, x = ranked_columns(view, ranker, q, banned=banned)
        assert len(order) == min(SHORTLIST, int(pool.sum()))
        assert np.array_equal(order, expected) and np.array_equal(log_odds, scores[expected])
        assert np.array_equal(x, full[0, order], equal_nan=True)
        part = np.flatnonzero(pool[0])[::3]  # the slice is small: every active organization is in the pool
        assert np.array_equal(features.pairs(queries, part), full[:, part], equal_nan=True)
    # a block of seekers, as training and eval compute it, gives the same values for any columns
    block = np.array(active_firms(held, 4))
    some = np.sort(
        np.random.default_rng(2).choice(len(features.columns), len(features.columns) // 2, replace=False)
    )
    assert np.array_equal(features.pairs(block, some), features.pairs(block)[:, some], equal_nan=True)
    # as a request computes one seeker's: its text cosines on a second thread beside its paths
    with ThreadPoolExecutor(2) as background:
        for q in active_firms(held, 3):
            queries = np.array([q])
            prepared, alone = PairFeatures(view.history), PairFeatures(view.history)
            prepared.seeker_rows.prepare(q, background)
            expected_sources = alone.sources(queries)
            for name, mask in prepared.sources(queries).items():
                assert np.array_equal(mask, expected_sources[name])
            assert np.array_equal(prepared.pairs(queries), alone.pairs(queries), equal_nan=True)


def test_training_and_the_held_out_figures_compute_only_the_wanted_pairs_with_the_full_matrix_values(
    slice_graph: Graph, settings: Settings, ranker: LearnedRanker
) -> None:
    held = snapshot.current(slice_graph, settings)
    split = temporal_split(
        held.data, np.datetime64(DAY), roles=None, n_queries=None, seed=0, vectors=held.vectors
    )
    block = split.queries[:25]
    full = PairFeatures(split.history)  # every column: the full matrix
    x = full.pairs(block)
    # the pairs a training block keeps: a draw of the pool, and whole rows for some seekers
    features = PairFeatures(split.history)
    wanted = features.pool(block) & (np.random.default_rng(4).random(x.shape[:2]) < 0.05)
    wanted[[0, 13]] = True
    assert np.array_equal(features.rows(block, wanted), x[wanted], equal_nan=True)
    cut = list(features.blocks(block, wanted, size=4))
    assert [len(range(*rows.indices(len(block)))) for rows, _, _ in cut] == [4] * 6 + [1]
    assert all(len(columns) < len(features.columns) for rows, columns, _ in cut if rows.start not in (0, 12))
    # the held-out figures score the pools alone: the scores of the full matrix
    expected = np.full((len(block), held.data.n_orgs), -np.inf)
    expected[:, full.columns] = ranker.score(x, full.pool(block))
    assert np.array_equal(learned_scorer(ranker, split.history)(block), expected)


def test_the_reasons_add_up_to_the_models_own_probability(
    slice_graph: Graph, settings: Settings, ranker: LearnedRanker
) -> None:
    held = snapshot.current(slice_graph, settings)
    features = held.view().features
    for q in active_firms(held, 2):
        found = suggest(slice_graph, str(held.data.org_ids[q]), settings=settings, ranker=ranker)
        assert found and {s.ranking for s in found} == {"learned"}
        columns = features.position[[held.index[s.id] for s in found]]
        x = features.pairs(np.array([q]), columns)
        # every model's raw score of the same features, averaged, through the sigmoid: not the contributions
        log_odds = ranker.score(x, np.ones((1, len(columns)), dtype=bool))[0]
        probability = 1.0 / (1.0 + np.exp(-log_odds))
        for s, p in zip(found, probability, strict=True):
            assert s.score == pytest.approx(p, abs=1e-6)
            assert sum(s.shares.values()) == pytest.approx(p, abs=1e-6)


def test_compiled_trees_rank_as_lightgbm_and_a_corrupt_or_missing_file_is_compiled_again(
    slice_graph: Graph, settings: Settings, ranker: LearnedRanker, tmp_path: Path
) -> None:
    # the first 60 trees of each model: the same kind of trees as all 500, compiled in a ninth of the time
    boosters = tuple(lightgbm.Booster(model_str=b.model_to_string(num_iteration=60)) for b in ranker.boosters)
    plain = LearnedRanker(boosters)
    held = snapshot.current(slice_graph, settings)
    block = np.array(active_firms(held, 4))
    features = held.view().features
    x, pool = features.pairs(block), features.pool(block)
    expected = plain.score(x, pool)
    libraries: list[Path] = []
    compile_detached(boosters, tmp_path)  # as `tune` starts it; the load below compiles under the same locks
    for damage in ("none", "corrupt", "missing"):
        if damage == "corrupt":
            libraries[0].write_bytes(libraries[0].read_bytes()[:4096] + bytes(64))
        elif damage == "missing":
            libraries[1].unlink()
        compiled = plain.compiling(tmp_path)
        assert compiled.compiled is not None and compiled.compiled.wait() is not None
        got = compiled.score(x, pool)
        finite = np.isfinite(expected)
        assert np.array_equal(np.isfinite(got), finite)
        assert np.allclose(got[finite], expected[finite], rtol=0, atol=1e-9)
        assert np.array_equal(
            np.argsort(-got, axis=1, kind="stable"), np.argsort(-expected, axis=1, kind="stable")
        )
        libraries = sorted(tmp_path.glob("*.so"))
        assert len(libraries) == len(boosters)
    # served: the same suggestions, and the reasons still add up to the score shown
    seeker = str(held.data.org_ids[block[0]])
    served = suggest(slice_graph, seeker, settings=settings, ranker=compiled)
    assert [s.id for s in served] == [
        s.id for s in suggest(slice_graph, seeker, settings=settings, ranker=plain)
    ]
    assert all(sum(s.shares.values()) == pytest.approx(s.score, abs=1e-6) for s in served)


def test_the_reasons_are_lightgbms_treeshap_of_the_served_features_summed_per_reason(
    slice_graph: Graph, settings: Settings, ranker: LearnedRanker
) -> None:
    held = snapshot.current(slice_graph, settings)
    seeker = active_firms(held, 1)[0]
    x = held.view().features.pairs(np.array([seeker]))[0]
    per_feature = np.mean([b.predict(x, pred_contrib=True) for b in ranker.boosters], axis=0)
    # summed per reason, the bias last
    expected = np.column_stack([per_feature[:, :-1] @ np.eye(len(REASONS))[REASON_INDEX], per_feature[:, -1]])
    assert np.allclose(ranker.contributions(x), expected, rtol=1e-6, atol=1e-7)


def test_the_nearest_texts_are_exactly_k_per_seeker_with_ties_to_the_first_columns() -> None:
    """The "similar text" source takes each seeker's k best cosines; where the k-th is tied (organizations
    with the same text, or none) the first columns win, so a seeker's pool is the same in any block."""
    from matching.feature_arrays import largest

    values = np.array([[0.5, 0.9, 0.5, 0.1, 0.5, 0.9], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1, 2, 3, 4, 5, 6]])
    assert largest(values, 3).tolist() == [
        [True, True, False, False, False, True],
        [True, True, True, False, False, False],
        [False, False, False, True, True, True],
    ]
    rows = np.random.default_rng(3).integers(0, 5, (40, 300)).astype(np.float32)
    mask = largest(rows, 50)
    assert (mask.sum(axis=1) == 50).all()
    for row, chosen in zip(rows, mask, strict=True):
        cut = row[chosen].min()
        assert (row[~chosen] <= cut).all()
        ties = np.flatnonzero(row == cut)
        assert np.array_equal(np.flatnonzero(chosen & (row == cut)), ties[: (chosen & (row == cut)).sum()])
    assert np.array_equal(largest(rows[:7], 50), mask[:7])


def test_the_snapshot_tune_keeps_stands_for_the_graph_until_the_graph_changes(
    slice_graph: Graph, settings: Settings
) -> None:
    held = snapshot.read(slice_graph, settings)
    path = snapshot.keep(held, settings)
    assert path is not None and path.is_file()
    try:
        before = slice_graph.queries_run
        kept = snapshot.read(slice_graph, settings)
        assert slice_graph.queries_run - before == 1  # the stamp, nothing else
        assert kept.version == held.version
        for name in ("org_ids", "org_role", "org_text", "project_ids", "project_text", "part_org"):
            assert np.array_equal(getattr(kept.data, name), getattr(held.data, name))
        for name in ("project_start",):
            assert np.array_equal(getattr(kept.data, name).view("i8"), getattr(held.data, name).view("i8"))
        assert np.array_equal(kept.data.links.since.view("i8"), held.data.links.since.view("i8"))
        assert np.array_equal(kept.data.links.a, held.data.links.a)
        assert np.array_equal(kept.vectors.projects, held.vectors.projects)
        assert all(np.array_equal(kept.answers[k], held.answers[k]) for k in held.answers)
        saved = path.read_bytes()
        # another embedder's vectors are not this one's
        header = snapshot_file.header_for(settings, held.version) | {"embedder": "another model"}
        snapshot_file.write(path, header, held.data, held.vectors, held.answers)
        before = slice_graph.queries_run
        assert snapshot.read(slice_graph, settings).version == held.version
        assert slice_graph.queries_run - before > 1
        # an unreadable file is read past
        path.write_bytes(b"not a snapshot")
        before = slice_graph.queries_run
        assert snapshot.read(slice_graph, settings).version == held.version
        assert slice_graph.queries_run - before > 1
        path.write_bytes(saved)
        # an answer changes the stamp: the graph is read again
        firm = firm_with_new_partners(held, np.datetime64(DAY))
        partner = next(o for o in held.data.org_ids if o != held.data.org_ids[firm])
        record_feedback(slice_graph, str(held.data.org_ids[firm]), str(partner), True)
        before = slice_graph.queries_run
        changed = snapshot.read(slice_graph, settings)
        assert slice_graph.queries_run - before > 1 and changed.version != held.version
        answer = (changed.answers["seeker"] == firm) & (changed.answers["partner"] == changed.index[partner])
        assert answer.any() and changed.answers["accepted"][answer].all()
    finally:
        path.unlink(missing_ok=True)
