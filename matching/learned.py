"""The learned ranking inside ``suggest``: candidates and features from the snapshot, the model's order, the
filters applied in the graph, and reasons from the model's own per-feature contributions.

Reasons add up: the score is the probability ``p = sigmoid(L)`` of the mean log-odds ``L`` that ranked, and
``L`` is the sum of the features' mean contributions (LightGBM ``pred_contrib``) and the bias. The base share
is ``sigmoid(L0)``, with ``L0`` the bias and the seeker's own activity (the same for every candidate); each
reason's share is its contributions times the secant slope ``(p - sigmoid(L0)) / (L - L0)``, so the shares
sum to ``p`` exactly and a reason that lowered the score shows a negative share.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from typing import Any

import numpy as np

from graph.db import Graph
from graph.queries.matching import details as queries
from matching.feature_names import REASONS
from matching.filters import Filters
from matching.ranker import LearnedRanker
from matching.reasons import TO_SEEKER, SentencePair, Suggestion, Voice, describe_learned, introducers
from matching.seeker import seeker_of
from matching.signals import Place, Proximity
from matching.snapshot import Snapshot, Stale, View
from matching.snapshot import stamp as graph_stamp
from schema.errors import NoLocation, NotFound, echo
from schema.settings import Settings

SERVING_THREADS = 1
"""LightGBM threads for one request: on two busy cores one thread scored a seeker's pool in 38 ms of CPU
against 57 ms with a thread per core, and an API server answers several requests at once."""
FIRST_ROUND = 50
"""Ranked candidates sent to the graph's filters in the first round when a filter only the graph can check
is given (region, cluster, sector, size, distance); each further round asks four times as many, until
``limit`` passed or the pool is spent. Without one, twice ``limit``: only an organization deleted since the
snapshot, or whose role changed, fails then, and 50 candidates cost the server 2.5 ms of CPU against 1.7 for
20."""


def ranked_columns(
    view: View,
    ranker: LearnedRanker,
    seeker: int,
    *,
    banned: np.ndarray,
    sources: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seeker's candidate columns in the model's order, their log-odds, and their feature rows (in the
    same order). ``banned``: organizations never suggested (the seeker, partners, declined); ``sources``:
    the seeker's candidate sources, when the caller has them. Features are computed for the seeker's pool
    only, not for every active organization: the same values, order and scores as scoring all columns
    (``tests/test_ranking.py``)."""
    features = view.features
    queries = np.array([seeker])
    sources = features.sources(queries) if sources is None else sources
    pool = np.logical_or.reduce(list(sources.values()))[0]
    columns = features.position[banned]
    pool[columns[columns >= 0]] = False
    candidates = np.flatnonzero(pool)
    x = features.pairs(queries, candidates)
    scores = ranker.score(x, np.ones((1, len(candidates)), dtype=bool), threads=SERVING_THREADS)[0]
    order = np.argsort(-scores, kind="stable")
    order = order[np.isfinite(scores[order])]
    return candidates[order], scores[order], x[0, order]


def learned_suggest(
    graph: Graph,
    snapshot: Snapshot,
    ranker: LearnedRanker,
    organization_id: str,
    *,
    as_of: np.datetime64 | None,
    limit: int,
    filters: Filters,
    include_partners: bool,
    settings: Settings,
    background: Executor,
    checked: bool = False,
    voice: Voice = TO_SEEKER,
) -> list[Suggestion]:
    """Up to ``limit`` suggestions for ``organization_id`` ranked by the model on the snapshot's view as of
    ``as_of`` (None: the present); the filters are checked in the graph.

    ``checked``: the snapshot is one held since an earlier request, so the graph's version is asked for in
    the same round trip as the candidates' details, and :class:`~matching.snapshot.Stale` is raised when it
    is not the snapshot's (the details are not used then). ``background``: two threads: one screens the
    seeker's text cosines and finds its nearest texts while this one follows its paths; then one asks for the
    candidates' details while this one computes the reasons of the best ``limit`` (those the filters reject
    are replaced by the next, whose reasons are computed after). The reasons speak in ``voice``."""
    if organization_id not in snapshot.index:
        if checked:  # a stale snapshot may not know an organization the graph has
            version = graph_stamp(graph)
            if version != snapshot.version:
                raise Stale(version)
        raise NotFound(f"No organization with id {echo(organization_id)}")
    view = snapshot.view(as_of)
    q = snapshot.index[organization_id]
    adjacency = view.history.adjacency
    partners = adjacency.indices[adjacency.indptr[q] : adjacency.indptr[q + 1]]
    banned = np.concatenate([[q], snapshot.declined(q, as_of), [] if include_partners else partners])
    view.features.seeker_rows.prepare(q, background)
    sources = view.features.sources(np.array([q]))
    order, _, x = ranked_columns(view, ranker, q, banned=banned.astype(np.int64), sources=sources)
    org_of = view.features.columns
    if filters.roles:
        # The snapshot knows each organization's role, as fresh as the stamp: other roles are left out here
        # instead of being sent to the graph's filter (which still checks) round after round.
        wanted = np.isin(snapshot.data.org_role[org_of[order]], filters.roles)
        order, x = order[wanted], x[wanted]
    details = background.submit(
        _filtered_rows, graph, snapshot, view, q, order, limit=limit, filters=filters, checked=checked
    )
    guessed = ranker.contributions(x[:limit])
    profile, chosen = details.result()
    seeker = seeker_of(profile, basis="history")
    rank_of = {int(c): r for r, c in enumerate(order)}
    rows = chosen[:limit]
    ranks = [rank_of[row["column"]] for row in rows]
    later = [r for r in ranks if r >= limit]
    extra = dict(zip(later, ranker.contributions(x[later]), strict=True)) if later else {}
    contributions = [guessed[r] if r < limit else extra[r] for r in ranks]
    proximity = Proximity(seeker.place, settings.matching_distance_km)
    found = []
    for row, contribution in zip(rows, contributions, strict=True):
        signals, shares = reason_shares(contribution)
        _, km = proximity(Place.of(row))
        clusters = [seeker.clusters[c] for c in row["shared_clusters"]]
        suggestion = Suggestion.of(
            row,
            signals=signals,
            shares=shares,
            distance_km=km,
            best_pair=_best_work(view, q, int(org_of[row["column"]])),
            shared_partners=row["shared_partners"],
            shared_clusters=[{"id": c["id"], "name": c["name"]} for c in clusters],
            introducers=introducers(seeker, row["id"], row["shared_partners"], clusters, voice),
            found_via=sorted(name for name, mask in sources.items() if mask[0, row["column"]]),
            ranking="learned",
        )
        suggestion.reasons = describe_learned(suggestion, ranker.metadata, voice)
        found.append(suggestion)
    return found


def _filtered_rows(
    graph: Graph,
    snapshot: Snapshot,
    view: View,
    q: int,
    order: np.ndarray,
    *,
    limit: int,
    filters: Filters,
    checked: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The seeker's profile and the ranked candidates that pass the filters, with their shared partners.

    Rounds of ``queries.LEARNED_DETAILS`` over the ranked columns, the first of twice ``limit`` (at least
    ``FIRST_ROUND`` when a filter only the graph checks is given), each further one four times as large,
    until ``limit`` passed or the ranking is spent.
    ``checked``: the first round also asks for the graph's version, and :class:`Stale` is raised when it
    is not the snapshot's."""
    organization_id = str(snapshot.data.org_ids[q])
    adjacency = view.history.adjacency
    mine = np.zeros(adjacency.shape[0], dtype=bool)
    mine[adjacency.indices[adjacency.indptr[q] : adjacency.indptr[q + 1]]] = True
    org_of = view.features.columns
    chosen: list[dict[str, Any]] = []
    profile: dict[str, Any] | None = None
    named: dict[str, dict[str, Any]] = {}
    start, size = 0, max(FIRST_ROUND if filters.graph_only() else 0, 2 * limit)
    while len(chosen) < limit and (start < len(order) or profile is None):
        batch = order[start : start + size]
        shared = {int(i): _shared(adjacency, mine, int(org_of[i])) for i in batch}
        versioned = checked and profile is None
        result = graph.run(
            queries.LEARNED_DETAILS_CHECKED if versioned else queries.LEARNED_DETAILS,
            seeker=organization_id,
            ids=[str(snapshot.data.org_ids[org_of[i]]) for i in batch],
            partners=sorted({str(snapshot.data.org_ids[p]) for s in shared.values() for p in s}),
            **filters.params(),
        )[0]
        if versioned and result["version"] != snapshot.version:
            raise Stale(dict(result["version"]))
        profile = result["seeker"]
        if profile is None:
            raise NotFound(f"No organization with id {echo(organization_id)}")
        if filters.max_km is not None and (profile["lat"] is None or profile["lon"] is None):
            raise NoLocation
        named.update({p["id"]: p for p in result["partners"]})
        column_of = {str(snapshot.data.org_ids[org_of[i]]): int(i) for i in batch}
        for row in result["candidates"]:
            column = column_of[row["id"]]
            ids = [str(snapshot.data.org_ids[p]) for p in shared[column]]
            chosen.append({**row, "column": column, "shared_partners": [named[i] for i in ids if i in named]})
        start, size = start + size, 4 * size
    assert profile is not None  # the loop runs at least once
    return profile, chosen


def _shared(adjacency: Any, mine: np.ndarray, b: int) -> np.ndarray:
    """The partners ``b`` has in common with the seeker (``mine``: a mask of the seeker's partners), in
    order: a mask lookup, not a sorted intersection per candidate."""
    theirs = adjacency.indices[adjacency.indptr[b] : adjacency.indptr[b + 1]]
    return np.sort(theirs[mine[theirs]])


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def reason_shares(contribution: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Per reason: its log-odds contribution, and its share of the score (see the module docstring).
    ``contribution``: the reasons' contributions in ``REASONS`` order, then the bias."""
    total = {name: float(value) for name, value in zip(REASONS, contribution[:-1], strict=True)}
    base = float(contribution[-1]) + total["base"]
    rest = sum(value for name, value in total.items() if name != "base")
    p0, p = _sigmoid(base), _sigmoid(base + rest)
    slope = (p - p0) / rest if abs(rest) > 1e-12 else p0 * (1 - p0)
    shares = {name: (p0 if name == "base" else value * slope) for name, value in total.items()}
    return {**total, "base": base}, shares


def _best_work(view: View, seeker: int, candidate: int) -> SentencePair | None:
    """The seeker's and the candidate's closest project texts (or descriptions) before the day."""
    texts = []
    participation = view.history.participation
    data = view.history.data
    for org in (seeker, candidate):
        projects = participation.indices[participation.indptr[org] : participation.indptr[org + 1]]
        strings = [str(data.project_text[p]) for p in projects if data.project_text[p]]
        vectors = [view.history.vectors.projects[p] for p in projects if data.project_text[p]]  # type: ignore[union-attr]
        if data.org_text[org]:
            strings.append(str(data.org_text[org]))
            vectors.append(view.history.vectors.organizations[org])  # type: ignore[union-attr]
        texts.append((strings, np.array(vectors)))
    (mine, my_vectors), (theirs, their_vectors) = texts
    if not mine or not theirs:
        return None
    similarities = my_vectors @ their_vectors.T
    i, j = np.unravel_index(int(np.argmax(similarities)), similarities.shape)
    return SentencePair(need=mine[i], capability=theirs[j], similarity=round(float(similarities[i, j]), 3))
