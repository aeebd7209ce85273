"""The signal ranking: candidates from the vector index and the graph, five hand-weighted signals, diversity
re-ranking, and the reasons in words. ``matching.suggest`` serves it while no model is trained, and for a free
text need or an anonymous seeker.

It costs two queries: the seeker's profile with its filtered candidates and their signal inputs (the only
vector that leaves the server is the seeker's own, with what the index search found, so that
``matching.index_check`` can check it), and the names, texts and pairwise similarities of the few best. A
search the check finds wanting runs the first query again, deeper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph.db import Graph
from graph.queries.matching import candidates as candidate_queries
from graph.queries.matching import details as detail_queries
from matching import index_check, signals
from matching.embed import unpack_sentence_vectors
from matching.filters import Filters
from matching.model import DIMENSIONS, TextEmbedding, embed_text
from matching.reasons import TO_SEEKER, Suggestion, Voice, best_pair, describe, introducers
from matching.seeker import Seeker, anonymous_seeker, profile_seeker
from matching.signals import Place
from schema.errors import MatchingError, NoLocation
from schema.settings import Settings

MIN_INDEX_K = 50
MAX_INDEX_K = 5000
INDEX_SEARCH_DEPTH = 2.0
"""The vector index is searched this many times deeper than the ``k`` candidates kept: an HNSW search is
approximate (recall against an exact search: ``bench/bench_suggest.py``). At 100,000 organizations, k = 50
and one HNSW graph of 32 links per node (``matching/vector_index.py``), recall of the exact top 50 is 0.93
searching 1.25 times deeper and 0.97 searching twice as deep; the search costs the server in proportion to
the depth (with 20 graphs of 16 links, as Neo4j leaves an index written batch by batch, 1.25 reached 0.99 at
three times the cost)."""


def search_depth(k: int) -> int:
    """How deep the index is searched for ``k`` candidates (see :data:`INDEX_SEARCH_DEPTH`)."""
    return math.ceil(INDEX_SEARCH_DEPTH * k)


SIMILAR_SEEKERS = 20
"""Organizations with a similar public need whose partners become candidates: those stating the nearest
public need texts (``graph.queries.matching.candidates._SIMILAR_PEERS``)."""


@dataclass(slots=True)
class Candidate:
    """A filtered candidate with its signal values."""

    row: dict[str, Any]
    signals: dict[str, float]
    cosine: float
    distance_km: float | None
    score: float = 0.0


class CandidateSignals:
    """The five signals of candidates for one seeker (from maps of
    ``candidate_queries._CANDIDATE_INPUTS``). What depends on the seeker alone (its role's fit row, its
    place, its clusters, which of its partners are brokers) is worked out once, not for each of the hundreds
    of candidates."""

    def __init__(self, seeker: Seeker, settings: Settings, role_fit: dict[str, dict[str, float]]) -> None:
        self.role_fit = role_fit.get(seeker.role, {})
        self.proximity = signals.Proximity(seeker.place, settings.matching_distance_km)
        self.clusters = set(seeker.clusters)
        self.brokers = {pid for pid, p in seeker.partners.items() if p["role"] in signals.BROKER_ROLES}

    def __call__(self, row: dict[str, Any]) -> Candidate:
        semantic, cosine = signals.semantic(row["similarity"])
        proximity, km = self.proximity.of(row["city"], row["region"], row["lat"], row["lon"])
        shared = row["shared_partners"]
        shared_clusters = set(row["shared_clusters"])
        values = {
            "semantic": semantic,
            "role": self.role_fit.get(row["role"] or "", signals.UNKNOWN_ROLE_FIT),
            "proximity": proximity,
            "trust": signals.trust(len(shared), len(self.brokers.intersection(shared)), len(shared_clusters)),
            "novelty": signals.novelty(self.clusters, shared_clusters, row["degree"]),
        }
        return Candidate(row=row, signals=values, cosine=cosine, distance_km=km)


def score(candidate: Candidate, weights: dict[str, float]) -> float:
    return sum(weights[name] * candidate.signals[name] for name in signals.SIGNALS)


def mmr(scores: np.ndarray, similarities: np.ndarray, limit: int, lam: float) -> list[int]:
    """Maximal marginal relevance: each next pick maximizes lam * score - (1 - lam) * (its highest cosine
    similarity to those already picked), so near-duplicates of a pick fall back."""
    chosen: list[int] = []
    redundancy = np.full(len(scores), -np.inf)
    left = np.ones(len(scores), dtype=bool)
    while left.any() and len(chosen) < limit:
        value = lam * scores - (1 - lam) * np.where(np.isfinite(redundancy), redundancy, 0.0)
        value[~left] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        left[best] = False
        redundancy = np.maximum(redundancy, similarities[best])
    return chosen


def pairwise(texts: list[tuple[list[str], np.ndarray]]) -> np.ndarray:
    """The cosine matrix of the pool's texts, each given as its sentences and their unit vectors, for the
    diversity re-ranking; a member without text is 0 to every other.

    A text stands for the sum of its sentence vectors weighted by the sentences' lengths, which is the model's
    mean pooling over the text's tokens up to the sentences' own norms. The sentences are fetched for the
    reasons anyway; the texts' own vectors would cost 384 floats a member to transfer, and their pairwise
    cosines in Cypher would cost the server 3-5 ms of CPU per suggestion, converting both
    vectors of each of 190 pairs anew."""
    sums = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for i, (sentences, vectors) in enumerate(texts):
        if sentences:
            sums[i] = np.array([len(sentence) for sentence in sentences], dtype=np.float32) @ vectors
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    units = np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)
    matrix = units @ units.T
    np.fill_diagonal(matrix, 1.0)
    return matrix


def widened(k: int, limit: int, *, passed: int) -> int:
    """The next ``k`` when the filters let only ``passed`` of the ``k`` nearest through: deep enough for
    twice ``limit`` at the rate seen, between 2 and 8 times as deep (8 when none passed)."""
    wanted = math.ceil(2 * limit * k / passed) if passed else 8 * k
    return min(max(2 * k, min(wanted, 8 * k)), MAX_INDEX_K)


@dataclass
class Fetched:
    """One run of ``candidate_queries.SUGGEST``: the seeker's profile (None when anonymous or unknown), the
    candidate rows after filters and exclusions, the vector searched with and what the index search found."""

    profile: dict[str, Any] | None
    rows: list[dict[str, Any]]
    vector: np.ndarray | None
    search: index_check.Search


def fetch_candidates(
    graph: Graph,
    *,
    organization_id: str | None,
    vector: np.ndarray | None,
    place: Place,
    k: int,
    depth: int,
    graph_limit: int,
    cluster_limit: int,
    filters: Filters,
    include_partners: bool,
) -> Fetched:
    """One run of ``candidate_queries.SUGGEST``, the index searched ``depth`` deep. ``vector`` None searches
    with the organization's stored vector (which comes back, for the check of the search)."""
    result = graph.run(
        candidate_queries.SUGGEST,
        seeker=organization_id,
        vector=None if vector is None else vector.tolist(),
        k=k,
        search_k=depth,
        similar_k=SIMILAR_SEEKERS,
        graph_limit=graph_limit,
        cluster_limit=cluster_limit,
        include_partners=include_partners,
        **filters.params(),
        lat=place.lat,
        lon=place.lon,
    )[0]
    searched = vector if vector is not None else result["vector"]
    return Fetched(
        result["seeker"],
        result["candidates"],
        None if searched is None else np.asarray(searched, dtype=np.float32),
        index_check.Search(result["searched_ids"], result["searched_scores"], depth, result["organizations"]),
    )


def signal_suggest(
    graph: Graph,
    organization_id: str | None,
    *,
    need: str | None,
    location: Place | None,
    role: str,
    limit: int,
    filters: Filters,
    include_partners: bool,
    settings: Settings,
    voice: Voice = TO_SEEKER,
) -> list[Suggestion]:
    """Up to ``limit`` suggestions ranked by the hand-weighted signals: for ``organization_id`` (with its
    stored texts, or ``need`` in their place), or without one for an anonymous ``need``; their reasons speak
    in ``voice``."""
    seeker: Seeker | None = None
    text = None
    if organization_id:
        text = embed_text(need, model_name=settings.embedder) if need else None
        vector = None if text is None else text.vector
    elif need:
        place = location or Place()
        if filters.max_km is not None and not place.has_point:
            raise NoLocation  # said before the need is embedded: nothing to measure the distance from
        seeker = anonymous_seeker(need, place, role=role, settings=settings)
        vector = seeker.vector
    else:
        raise MatchingError("Ask for an organization id or a need text")
    seeker, rows = _filtered_rows(
        graph, organization_id, vector, seeker, text, limit=limit, filters=filters,
        include_partners=include_partners, settings=settings,
    )  # fmt: skip
    weights = signals.load_weights(settings)
    signals_of = CandidateSignals(seeker, settings, signals.role_fit_matrix(settings))
    candidates = [signals_of(row) for row in rows]
    for candidate in candidates:
        candidate.score = score(candidate, weights)
    candidates.sort(key=lambda c: (-c.score, c.row["id"]))
    pool = candidates[: 2 * limit]
    if not pool:
        return []

    details = graph.run(detail_queries.POOL_DETAILS, ids=[c.row["id"] for c in pool])
    if len(details) != len(pool):
        raise MatchingError("Candidates changed while a suggestion was computed; ask again")
    for candidate, detail in zip(pool, details, strict=True):
        candidate.row["name"] = detail["name"]  # read for the pool only, not for every candidate
    texts = [_sentences(row) for row in details]
    order = mmr(np.array([c.score for c in pool]), pairwise(texts), limit, settings.matching_mmr_lambda)
    return [_explain(seeker, pool[i], *texts[i], weights, voice) for i in order]


def _filtered_rows(
    graph: Graph,
    organization_id: str | None,
    vector: np.ndarray | None,
    seeker: Seeker | None,
    text: TextEmbedding | None,
    *,
    limit: int,
    filters: Filters,
    include_partners: bool,
    settings: Settings,
) -> tuple[Seeker, list[dict[str, Any]]]:
    """The seeker (from its stored profile and ``text``, unless given) and its candidate rows after the
    filters; while the filters let fewer than ``limit`` through, the index is searched deeper."""
    k = max(limit * settings.matching_overfetch, MIN_INDEX_K)
    depth = search_depth(k)
    filtering = filters != Filters()
    while True:
        fetched = fetch_candidates(
            graph,
            organization_id=organization_id,
            vector=vector,
            place=seeker.place if seeker else Place(),
            k=k,
            depth=depth,
            graph_limit=max(5 * limit, MIN_INDEX_K),
            # A cluster's members come in no useful order (newest first); beyond `limit` of them none reached
            # a top 10, on the planted region (recall@10 0.3468 with 10 or 50) or at 100,000 organizations
            # (0 of 1,500 suggestions found only through a cluster), and each cost the server its inputs.
            cluster_limit=limit,
            filters=filters,
            include_partners=include_partners,
        )
        rows = fetched.rows
        if seeker is None:
            seeker = profile_seeker(organization_id or "", fetched.profile, text)
        if filters.max_km is not None and not seeker.place.has_point:
            raise NoLocation
        if fetched.vector is not None:  # no vector, no search to check (and no sample to read)
            sample = index_check.held_sample(graph, fetched.search.organizations)
            again = index_check.deeper(graph, sample, fetched.vector, fetched.search, k)
            if again is not None:
                depth = again
                continue
        if len(rows) >= limit or not filtering or k >= MAX_INDEX_K:
            return seeker, rows
        k = widened(k, limit, passed=sum(1 for row in rows if "semantic" in row["sources"]))
        depth = max(depth, search_depth(k))


def _sentences(row: dict[str, Any]) -> tuple[list[str], np.ndarray]:
    """A pool member's sentences and their vectors, from ``detail_queries.POOL_DETAILS``."""
    sentences = list(row["sentences"] or [])
    return sentences, unpack_sentence_vectors(row["sentence_vectors"], len(sentences), DIMENSIONS)


def _explain(
    seeker: Seeker,
    candidate: Candidate,
    sentences: list[str],
    sentence_vectors: np.ndarray,
    weights: dict[str, float],
    voice: Voice,
) -> Suggestion:
    row = candidate.row
    shares = {name: weights[name] * candidate.signals[name] for name in signals.SIGNALS}
    shared_partners = [seeker.partners[pid] for pid in row["shared_partners"]]
    shared_clusters = [{"id": cid, "name": seeker.clusters[cid]["name"]} for cid in row["shared_clusters"]]
    pair = best_pair(seeker.sentences, seeker.sentence_vectors, sentences, sentence_vectors)
    clusters = [seeker.clusters[c["id"]] for c in shared_clusters]
    who = introducers(seeker, row["id"], shared_partners, clusters, voice)
    suggestion = Suggestion.of(
        row,
        signals=candidate.signals,
        shares=shares,
        distance_km=candidate.distance_km,
        best_pair=pair,
        shared_partners=shared_partners,
        shared_clusters=shared_clusters,
        introducers=who,
        found_via=sorted(row["sources"]),
    )
    suggestion.reasons = describe(seeker, suggestion, candidate.cosine, voice)
    return suggestion
