"""The evaluation's arithmetic on hand-computed cases, and ``clusterkg eval`` on the demo region."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import ingest
from api.cli import app
from graph import admin
from graph.db import Graph
from matching import embed
from matching.dataset import GraphData
from matching.evaluation import metrics
from matching.evaluation.baselines import aa_dc_scorer, adamic_adar_scorer, most_connected_scorer
from matching.evaluation.protocol import rank
from matching.feature_names import FEATURE_NAMES, PAIR_FEATURES
from matching.features import PairFeatures
from matching.history import FAR_FUTURE, History, TextVectors, temporal_split
from matching.ranker import SHORTLIST, LearnedRanker
from matching.seeker_rows import DECAY_DAYS
from matching.snapshot import Snapshot, no_answers
from matching.tune import _earlier, learned_scorer, train
from schema.settings import Settings

DEMO = Path(__file__).resolve().parents[1] / "ingest" / "demo"


def test_recall_hit_ndcg_mrr_on_a_hand_computed_case() -> None:
    ranked = np.array([[5, 1, 7, -1], [2, 3, 4, 6]])
    relevant = [np.array([1, 9]), np.array([8])]
    # query 0: one of two found at rank 2; query 1: nothing
    assert metrics.recall_at_k(ranked, relevant, k=4) == pytest.approx((0.5 + 0.0) / 2)
    assert metrics.hit_at_k(ranked, relevant, k=4) == pytest.approx(0.5)
    assert metrics.hit_at_k(ranked, relevant, k=1) == 0.0
    ideal = 1 + 1 / np.log2(3)  # two relevant: ideal list has them at ranks 1 and 2
    assert metrics.ndcg_at_k(ranked, relevant, k=4) == pytest.approx((1 / np.log2(3)) / ideal / 2)
    assert metrics.mrr(ranked, relevant) == pytest.approx((1 / 2 + 0) / 2)
    assert metrics.ndcg_at_k(np.array([[9, 1]]), [np.array([1, 9])], k=2) == pytest.approx(1.0)


def test_coverage_and_intra_list_diversity() -> None:
    ranked = np.array([[0, 1], [1, 2], [2, -1]])
    assert metrics.catalogue_coverage(ranked, catalogue_size=6) == pytest.approx(3 / 6)
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    # lists {0,1}: orthogonal -> distance 1; {1,2}: orthogonal -> 1; {2}: too short to count
    assert metrics.intra_list_diversity(ranked, vectors) == pytest.approx(1.0)
    assert metrics.intra_list_diversity(np.array([[0, 2]]), vectors) == pytest.approx(0.0)


def tiny() -> GraphData:
    """a-b 2015, b-c 2016, c-d 2016 (history); a-c 2019, a-d 2019, b-e 2019 (future; e is new)."""
    orgs = [{"id": i, "role": "firm", "country": "AT", "text": f"{i} makes sensors"} for i in "abcde"]
    links = [
        ("a", "b", "2015-03-01"),
        ("b", "a", "2020-01-01"),  # the same pair again, later: the first date counts
        ("b", "c", "2016-01-01"),
        ("c", "d", "2016-06-01"),
        ("a", "c", "2019-02-01"),
        ("a", "d", "2019-05-01"),
        ("b", "e", "2019-05-01"),
    ]
    return GraphData.from_rows(orgs, [], [], [{"a": a, "b": b, "since": s} for a, b, s in links])


def test_temporal_split_keeps_the_past_and_tests_on_new_links_between_active_organizations() -> None:
    data = tiny()
    assert len(data.links) == 6
    split = temporal_split(data, np.datetime64("2019-01-01"), roles=None, n_queries=None, seed=7)
    history = split.history
    assert len(history.links) == 3
    assert list(data.org_ids[history.active]) == ["a", "b", "c", "d"]  # e only appears after the split
    truth = {data.org_ids[q]: sorted(data.org_ids[split.relevant[i]]) for i, q in enumerate(split.queries)}
    assert truth == {"a": ["c", "d"], "c": ["a"], "d": ["a"]}  # b-e does not count: e was not active
    a = int(np.flatnonzero(data.org_ids == "a")[0])
    # Adamic-Adar: c shares partner b with a; d shares nobody. Partner b and a itself are never suggested.
    top = rank(history, adamic_adar_scorer(history), np.array([a]), k=2)[0]
    assert data.org_ids[top[0]] == "c" and "b" not in data.org_ids[top[top >= 0]]
    most = rank(history, most_connected_scorer(history), np.array([a]), k=3)[0]
    assert set(data.org_ids[most[most >= 0]]) == {"c", "d"}
    drawn = temporal_split(data, np.datetime64("2019-01-01"), roles=None, n_queries=2, seed=7)
    again = temporal_split(data, np.datetime64("2019-01-01"), roles=None, n_queries=2, seed=7)
    assert len(drawn.queries) == 2 and list(drawn.queries) == list(again.queries)


def test_recent_paths_weigh_more_and_pagerank_stays_in_the_seekers_component() -> None:
    """s reaches old via a 2010 partner and new via a 2018 partner (same degrees); x-y is a separate pair."""
    links = [("s", "m1", "2010-01-01"), ("m1", "old", "2010-01-01")]
    links += [("s", "m2", "2018-01-01"), ("m2", "new", "2018-01-01"), ("x", "y", "2018-01-01")]
    ids = sorted({o for a, b, _ in links for o in (a, b)})
    orgs = [{"id": i, "role": "firm", "country": "AT", "text": f"{i} makes sensors"} for i in ids]
    project = {"id": "p", "start": "2017-01-01", "part": "H2020-EU.2.1.1", "texts": ["sensors"]}
    collaborations = [{"a": a, "b": b, "since": d} for a, b, d in links]
    data = GraphData.from_rows(orgs, [project], [{"org": "s", "project": "p"}], collaborations)
    day = np.datetime64("2019-01-01")
    vectors = TextVectors(projects=np.ones((1, 4)) / 2, organizations=np.eye(len(ids), 4))
    features = PairFeatures(History(data, day, data.links.before(day), vectors))
    at = {data.org_ids[c]: i for i, c in enumerate(features.columns)}
    x = features.pairs(np.flatnonzero(data.org_ids == "s"))[0]

    def value(name: str, org: str) -> float:
        return float(x[at[org], PAIR_FEATURES.index(name)])

    assert value("adamic_adar", "old") == value("adamic_adar", "new")  # the undecayed index cannot tell
    old_age, new_age = (day - np.datetime64("2010-01-01")).astype(int), 365  # days, both links of a path
    expected = np.exp(-2 * (old_age - new_age) / DECAY_DAYS)
    ratio = value("decayed_adamic_adar", "old") / value("decayed_adamic_adar", "new")
    assert ratio == pytest.approx(expected, rel=1e-4)
    assert (value("recent_common_partners", "new"), value("recent_common_partners", "old")) == (1.0, 0.0)
    assert value("recent_partners_paths", "new") == 1.0 and value("recent_partners_paths", "old") == 0.0
    assert value("personalized_pagerank", "old") == pytest.approx(value("personalized_pagerank", "new"))
    assert value("personalized_pagerank", "new") > 0 and value("personalized_pagerank", "x") == 0.0


@pytest.fixture
def demo(graph: Graph, neo4j_settings: Settings) -> Graph:
    admin.delete_data(graph)
    files = ["clusters.csv", "companies.csv", "members.jsonl", "research.csv", "memberships.csv"]
    ingest.load(graph, [DEMO / name for name in [*files, "collaborations.csv"]])
    embed(graph, neo4j_settings)
    return graph


def test_eval_without_data_hides_the_newest_collaborations_and_compares_suggest_with_baselines(
    demo: Graph, neo4j_settings: Settings
) -> None:
    before = admin.relationship_counts(demo)["COLLABORATES_WITH"]
    flags = ["--neo4j-uri", neo4j_settings.neo4j_uri, "--neo4j-password", neo4j_settings.neo4j_password]
    result = CliRunner().invoke(app, [*flags, "eval", "--hide", "0.3", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["method"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {
        "clusterkg",
        "random",
        "most-connected",
        "adamic-adar",
        "aa-dc",
        "tfidf",
        "embedding",
    }
    for row in rows.values():
        for name in ("recall_at_10", "ndcg_at_10", "mrr", "coverage"):
            assert 0.0 <= row[name] <= 1.0
        assert 0.0 <= row["diversity"] <= 2.0  # mean cosine distance
    assert rows["clusterkg"]["coverage"] > 0
    # the hidden collaborations are back
    assert admin.relationship_counts(demo)["COLLABORATES_WITH"] == before
    table = CliRunner().invoke(app, [*flags, "eval", "--hide", "0.3"])
    assert table.exit_code == 0, table.output
    assert "MRR" in table.stdout and "clusterkg" in table.stdout


def test_project_embeddings_are_cached_by_content_and_only_new_texts_are_encoded(tmp_path: Path) -> None:
    from matching import model
    from matching.embedding_cache import cached_encode

    name = Settings().embedder
    texts = ["sensor fusion for robots", "", "bakery lines"]
    first = cached_encode(texts, model_name=name, cache_dir=tmp_path)
    assert first.shape == (3, model.DIMENSIONS) and not first[1].any()  # no text, no vector
    second = cached_encode(["bakery lines", "laser welding"], model_name=name, cache_dir=tmp_path)
    assert np.array_equal(second[0], first[2])
    assert np.load(tmp_path / "text-hashes.npy").shape == (3, 16)  # three distinct texts stored once each
    direct = model.encode(["laser welding"], model_name=name)
    assert np.allclose(second[1], direct[0], atol=1e-5)


def test_a_long_project_text_is_cached_as_embed_stores_it_not_cut_off(tmp_path: Path) -> None:
    from matching import model
    from matching.embedding_cache import cached_encode

    name = Settings().embedder
    long_text = " ".join(f"Pallets of kind {i} for warehouses." for i in range(80)) + " Nut sorting."
    assert len(long_text.split()) > 2 * model.MAX_PIECE_WORDS
    cached = cached_encode([long_text], model_name=name, cache_dir=tmp_path)[0]
    stored = model.embed_texts([long_text], model_name=name)[0].vector
    cut_off = model.encode([long_text], model_name=name)[0]
    assert np.allclose(cached, stored, atol=1e-5)
    assert float(cached @ cut_off) < 0.9999


def communities(seed: int = 3) -> tuple[GraphData, TextVectors]:
    """Twelve communities of 25 organizations whose links appear at random days of 2012-2020, plus a few
    links across: the partners an organization gains are mostly in its own community."""
    rng = np.random.default_rng(seed)
    n, size = 300, 25
    community = np.arange(n) // size
    orgs = [{"id": f"o{i:03d}", "role": "firm", "country": "AT", "text": f"maker {i}"} for i in range(n)]
    a, b = np.triu_indices(n, 1)
    linked = rng.random(len(a)) < np.where(community[a] == community[b], 0.3, 0.002)
    days = np.datetime64("2012-01-01") + rng.integers(0, 9 * 365, linked.sum())
    links = [
        {"a": f"o{x:03d}", "b": f"o{y:03d}", "since": str(d)}
        for x, y, d in zip(a[linked], b[linked], days, strict=True)
    ]
    project = {"id": "p", "start": "2012-01-01", "part": "H2020-EU.2.1.1", "texts": ["sensors"]}
    vectors = TextVectors(projects=np.ones((1, 8)), organizations=rng.normal(size=(n, 8)))
    return GraphData.from_rows(orgs, [project], [{"org": "o000", "project": "p"}], links), vectors


def test_the_learned_ranker_averages_bags_fitted_on_their_own_negatives() -> None:
    data, vectors = communities()
    day = np.datetime64("2019-01-01")
    inner = temporal_split(
        data, day - np.timedelta64(365, "D"), roles=None, n_queries=None, seed=1, until=day, vectors=vectors
    )
    ranker = LearnedRanker.fit_split(inner, seed=1, bags=2)
    assert len(ranker.boosters) == 2
    split = temporal_split(data, day, roles=None, n_queries=None, seed=1, vectors=vectors)
    features = PairFeatures(split.history)
    queries = split.queries[:20]
    x = features.pairs(queries)
    first, second = (b.predict(x.reshape(-1, len(FEATURE_NAMES)), raw_score=True) for b in ranker.boosters)
    assert not np.allclose(first, second)  # each bag drew other negatives
    scores = ranker.score(x, features.pool(queries)).ravel()
    # the first model's SHORTLIST best per seeker are ranked, by the mean log-odds of both; the rest never
    ranked = np.isfinite(scores)
    assert ranked.reshape(20, -1).sum(axis=1).tolist() == [SHORTLIST] * 20
    assert np.allclose(scores[ranked], (first[ranked] + second[ranked]) / 2)
    by_seeker, chosen = first.reshape(20, -1), ranked.reshape(20, -1)
    for row, keep in zip(by_seeker, chosen, strict=True):
        assert row[keep].min() >= row[~keep].max()
    # the per-feature contributions add up to the log-odds that ranked
    contributions = ranker.contributions(x.reshape(-1, len(FEATURE_NAMES))[ranked][:50])
    assert np.allclose(contributions.sum(axis=1), scores[ranked][:50], atol=1e-6)
    learned = rank(split.history, learned_scorer(ranker, split.history), split.queries)
    most = rank(split.history, most_connected_scorer(split.history), split.queries)
    assert metrics.recall_at_k(learned, split.relevant) > 2 * metrics.recall_at_k(most, split.relevant)


def test_tune_asks_the_question_again_one_horizon_earlier_and_reads_nothing_after_its_labels() -> None:
    data, vectors = communities()
    held = Snapshot(data, vectors, no_answers(), {})
    day, year = np.datetime64("2019-01-01"), np.timedelta64(365, "D")
    earlier = _earlier(held, day - year, 365, anchors=3, seed=2)
    assert [e.history.day for e, _ in earlier] == [day - 3 * year, day - 2 * year]  # oldest first
    for split, drawn in earlier:
        assert sorted(drawn) == list(range(len(split.queries)))
        assert split.history.links.since.max() < split.history.day
        # the labels are the links first seen in the horizon after the anchor, before the next anchor
        future = data.links.between(split.history.day, split.history.day + year)
        gained = {(int(a), int(b)) for a, b in zip(future.a, future.b, strict=True)}
        for q, relevant in zip(split.queries, split.relevant, strict=True):
            assert {(min(q, r), max(q, r)) for r in relevant.tolist()} <= gained
    # the anchors stop where the dated links do: these start in 2012, so 2012-01-03 has no history
    assert [e.history.day for e, _ in _earlier(held, day - year, 365, anchors=9, seed=2)] == [
        day - k * year for k in range(6, 1, -1)
    ]
    # the seekers are shared by the anchors that have history, not by the anchors asked for
    nine = train(held, day, anchors=9, train_queries=60, seed=2, held_out=False)
    assert [e["seekers"] for e in nine.metadata["earlier"]] == [10] * 5
    assert nine.metadata["seekers"]["fit"] == 10
    ranker = train(held, day, anchors=2, train_queries=60, seed=2, held_out=False)
    # the anchors share the seekers: a fit costs what one anchor's did
    assert ranker.metadata["earlier"] == [{"features_as_of": str(day - 2 * year), "seekers": 30}]
    assert ranker.metadata["seekers"]["fit"] == 30
    one = train(held, day, anchors=1, train_queries=60, seed=2, held_out=False)
    assert one.metadata["earlier"] == [] and one.metadata["seekers"]["fit"] == 60
    assert one.boosters[0].model_to_string() != ranker.boosters[0].model_to_string()


def test_aa_dc_ranks_decayed_common_partners_first_then_three_hop_paths() -> None:
    """s-m1 (2010) and s-m2 (2018): old shares the old partner, new the new one; far is three hops away."""
    links = [("s", "m1", "2010-01-01"), ("m1", "old", "2010-01-01"), ("s", "m2", "2018-01-01")]
    links += [("m2", "new", "2018-01-01"), ("new", "far", "2018-01-01"), ("x", "y", "2018-01-01")]
    ids = sorted({o for a, b, _ in links for o in (a, b)})
    orgs = [{"id": i, "role": "firm", "country": "AT", "text": ""} for i in ids]
    data = GraphData.from_rows(orgs, [], [], [{"a": a, "b": b, "since": d} for a, b, d in links])
    history = History(data, np.datetime64("2019-01-01"), data.links, None)
    s = int(np.flatnonzero(data.org_ids == "s")[0])
    top = rank(history, aa_dc_scorer(history), np.array([s]), k=4)[0]
    assert list(data.org_ids[top[top >= 0]][:3]) == ["new", "old", "far"]


def test_aa_dc_on_undated_links_ranks_by_sharing_a_partner_alone() -> None:
    """An undated link counts as infinitely old (weight 0), as does every link in the random split of the
    evaluation on the graph as loaded (its day lies in the far future): then every organization sharing a
    partner scores alike, above the rest, and three-hop paths weigh nothing."""
    links = [("s", "m1", None), ("m1", "old", None), ("s", "m2", None), ("m2", "new", "2018-01-01")]
    links += [("m2", "hub", None), ("hub", "far", None), ("x", "y", None)]
    ids = sorted({o for a, b, _ in links for o in (a, b)})
    orgs = [{"id": i, "role": "firm", "country": "AT", "text": ""} for i in ids]
    data = GraphData.from_rows(orgs, [], [], [{"a": a, "b": b, "since": d} for a, b, d in links])
    history = History(data, FAR_FUTURE, data.links, None)
    s = int(np.flatnonzero(data.org_ids == "s")[0])
    scores = dict(zip(data.org_ids, aa_dc_scorer(history)(np.array([s]))[0], strict=True))
    assert scores["old"] == scores["new"] == scores["hub"] == 1.0
    assert scores["far"] == scores["y"] == 0.0
