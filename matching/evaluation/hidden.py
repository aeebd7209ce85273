"""Evaluate on the graph as loaded (the demo region, a generated region): hide collaborations, suggest again.

Collaborations are hidden by date where the graph dates most of them (the newest ``fraction``), otherwise at
random with a seed. The full method is the product itself, :func:`matching.suggest`: the hidden
relationships are taken out of the graph while it runs and put back afterwards (also on failure), so it
sees exactly the history the baselines see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graph.db import Graph
from graph.queries import evaluation as queries
from matching.dataset import GraphData
from matching.evaluation import baselines, metrics
from matching.evaluation.benchmark import FULL_METHOD
from matching.evaluation.protocol import rank
from matching.history import FAR_FUTURE, History, Split, TextVectors, temporal_split
from matching.links import Links
from schema.errors import MatchingError

log = logging.getLogger(__name__)

Suggester = Callable[[str], list[str]]
"""Organization id -> suggested organization ids, best first (``matching.suggest`` in the product)."""


@dataclass(frozen=True)
class HiddenResult:
    """One row of the table."""

    method: str
    recall_at_10: float
    ndcg_at_10: float
    mrr: float
    coverage: float
    diversity: float
    seconds: float


@dataclass(frozen=True)
class HiddenReport:
    results: list[HiddenResult]
    how: str
    queries: int
    hidden: int


def hide(data: GraphData, *, fraction: float, seed: int, vectors: TextVectors) -> tuple[Split, Links, str]:
    """The split, the links to take out of the graph, and how they were chosen (in words)."""
    links = data.links
    if not len(links):
        raise MatchingError("The graph holds no collaborations to hide")
    dated = ~np.isnat(links.since)
    if dated.mean() >= 0.5:
        day = np.sort(links.since[dated])[int((1 - fraction) * dated.sum())]
        split = temporal_split(data, day, roles=None, n_queries=None, seed=seed, vectors=vectors)
        return split, links.between(day, FAR_FUTURE), f"collaborations since {day} hidden"
    rng = np.random.default_rng(seed)
    hidden = rng.random(len(links)) < fraction
    kept = Links(links.a[~hidden], links.b[~hidden], links.since[~hidden], links.n_orgs)
    history = History(data, FAR_FUTURE, kept, vectors)
    gone = Links(links.a[hidden], links.b[hidden], links.since[hidden], links.n_orgs).among(history.active)
    lost = gone.adjacency().tocsr()
    queries_ = np.flatnonzero(np.diff(lost.indptr) > 0)
    relevant = [lost.indices[lost.indptr[q] : lost.indptr[q + 1]] for q in queries_]
    how = f"{int(hidden.sum())} of {len(links)} collaborations hidden at random (seed {seed})"
    return Split(history, queries_, relevant), gone, how


def hidden_benchmark(
    graph: Graph,
    data: GraphData,
    suggester: Suggester,
    *,
    fraction: float,
    seed: int,
    vectors: TextVectors,
    k: int = 10,
) -> HiddenReport:
    """Suggest for every organization that lost a collaboration; score the full method and the baselines."""
    split, gone, how = hide(data, fraction=fraction, seed=seed, vectors=vectors)
    h = split.history
    if not len(split.queries):
        raise MatchingError(f"No organization lost a collaboration ({how})")
    position = {org_id: i for i, org_id in enumerate(data.org_ids)}
    started = time.perf_counter()
    rows = [{"a": data.org_ids[a], "b": data.org_ids[b]} for a, b in zip(gone.a, gone.b, strict=True)]
    removed = graph.run(queries.HIDE_COLLABORATIONS, rows=rows)
    try:
        ranked = np.full((len(split.queries), k), -1, dtype=np.int64)
        for i, q in enumerate(split.queries):
            ids = [position[s] for s in suggester(str(data.org_ids[q])) if s in position][:k]
            ranked[i, : len(ids)] = ids
    finally:
        graph.run(queries.RESTORE_COLLABORATIONS, rows=removed)
    lists = {FULL_METHOD: (ranked, time.perf_counter() - started)}
    for name, scorer in baselines.scorers(h, seed).items():
        started = time.perf_counter()
        lists[name] = (rank(h, scorer, split.queries, k), time.perf_counter() - started)
    catalogue = data.n_orgs  # the product may suggest any organization, the baselines only active ones
    results = [
        HiddenResult(
            method=name,
            recall_at_10=metrics.recall_at_k(ranked_, split.relevant, k),
            ndcg_at_10=metrics.ndcg_at_k(ranked_, split.relevant, k),
            mrr=metrics.mrr(ranked_, split.relevant),
            coverage=metrics.catalogue_coverage(ranked_, catalogue),
            diversity=metrics.intra_list_diversity(ranked_, h.embeddings),
            seconds=seconds,
        )
        for name, (ranked_, seconds) in lists.items()
    ]
    return HiddenReport(results, how, len(split.queries), len(gone))
