"""The temporal benchmark in one call: the full method and every baseline on the same split and queries."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np

from matching.evaluation import baselines
from matching.evaluation.dataset import EvalData
from matching.evaluation.history import TextVectors
from matching.evaluation.learned import LearnedRanker
from matching.evaluation.protocol import rank, score_lists, temporal_split

log = logging.getLogger(__name__)

FULL_METHOD = "clusterkg"


@dataclass(frozen=True)
class MethodResult:
    """One row of the benchmark table."""

    method: str
    recall_at_10: float
    hit_at_10: float
    ndcg_at_10: float
    seconds: float

    def to_dict(self) -> dict[str, float | str]:
        row = asdict(self)
        row.pop("seconds")
        return row


@dataclass(frozen=True)
class TemporalReport:
    """The table, and what it was measured on."""

    results: list[MethodResult]
    queries: int
    test_links: int
    active: int


def temporal_benchmark(
    data: EvalData,
    split: np.datetime64,
    *,
    roles: set[str] | None,
    n_queries: int,
    seed: int,
    vectors: TextVectors,
) -> TemporalReport:
    """Rank for ``n_queries`` organizations of ``roles`` at ``split`` with every method; score each."""
    s = temporal_split(data, split, roles=roles, n_queries=n_queries, seed=seed, vectors=vectors)
    h = s.history
    log.info(
        "%d queries with %d new partners; %d active organizations",
        len(s.queries),
        sum(len(r) for r in s.relevant),
        int(h.active.sum()),
    )
    started = time.perf_counter()
    learned = LearnedRanker.fit(data, split, vectors=vectors, seed=seed)
    fit_seconds = time.perf_counter() - started
    methods: dict[str, baselines.Scorer] = {
        FULL_METHOD: learned.scorer(h),
        "random": baselines.random_scorer(h, seed),
        "most-connected": baselines.most_connected_scorer(h),
        "adamic-adar": baselines.adamic_adar_scorer(h),
        "tfidf": baselines.tfidf_scorer(h),
        "embedding": baselines.embedding_scorer(h),
    }
    results = []
    for name, scorer in methods.items():
        started = time.perf_counter()
        figures = score_lists(rank(h, scorer, s.queries), s.relevant)
        seconds = time.perf_counter() - started + (fit_seconds if name == FULL_METHOD else 0.0)
        log.info("%s: %s in %.1f s", name, figures, seconds)
        results.append(MethodResult(name, seconds=seconds, **figures))
    return TemporalReport(results, len(s.queries), sum(len(r) for r in s.relevant), int(h.active.sum()))
