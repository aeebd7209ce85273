"""The temporal benchmark in one call: the product and every baseline on the same split and queries.

The full method (``clusterkg``) is :func:`matching.suggest` itself, asked as of the split day: the learned
ranking, trained by the same :func:`matching.tune.train` that ``clusterkg tune`` runs, at the split day (so
on history and labels before it), reads the snapshot's view as of that day. The baselines rank from the
same view.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass

import numpy as np

from graph.db import Graph
from matching.evaluation import baselines
from matching.evaluation.intervals import difference_interval, mean_interval
from matching.evaluation.metrics import recall_per_query
from matching.evaluation.protocol import rank, score_lists
from matching.features import PairFeatures
from matching.history import History, temporal_split
from matching.ranker import LearnedRanker
from matching.snapshot import Snapshot
from matching.suggest import suggest
from matching.tune import train
from schema.settings import Settings

log = logging.getLogger(__name__)

FULL_METHOD = "clusterkg"


@dataclass(frozen=True)
class MethodResult:
    """One row of the benchmark table; ``recall_interval`` is recall@10's 95 % interval over the queries."""

    method: str
    recall_at_10: float
    hit_at_10: float
    ndcg_at_10: float
    recall_interval: tuple[float, float]
    seconds: float

    def to_dict(self) -> dict[str, object]:
        row = asdict(self)
        row.pop("seconds")
        row["recall_at_10_interval"] = list(row.pop("recall_interval"))
        return row


@dataclass(frozen=True)
class Difference:
    """The full method's recall@10 less a baseline's on the same queries, with its 95 % interval: a lead
    whose interval stays above 0 is not the luck of the query draw."""

    method: str
    difference: float
    interval: tuple[float, float]

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "difference": self.difference, "interval": list(self.interval)}


@dataclass(frozen=True)
class TemporalReport:
    """The table, the same for the cold-start queries, and what it was measured on."""

    results: list[MethodResult]
    cold_start: list[MethodResult]
    differences: list[Difference]
    queries: int
    cold_queries: int
    test_links: int
    active: int
    pool_recall: float


def temporal_benchmark(
    graph: Graph,
    snapshot: Snapshot,
    split: np.datetime64,
    *,
    roles: set[str] | None,
    n_queries: int,
    seed: int,
    settings: Settings,
) -> TemporalReport:
    """Rank for ``n_queries`` organizations of ``roles`` at ``split`` with every method; score each, on all
    queries and on the cold-start ones (no new partner shares a partner with them)."""
    s = temporal_split(
        snapshot.data, split, roles=roles, n_queries=n_queries, seed=seed, vectors=snapshot.vectors
    )
    view = snapshot.view(split)
    h = view.history
    log.info(
        "%d queries with %d new partners; %d active",
        len(s.queries),
        sum(map(len, s.relevant)),
        h.active.sum(),
    )
    started = time.perf_counter()
    ranker = train(snapshot, split, seed=seed, held_out=False)
    lists = {FULL_METHOD: _suggested(graph, snapshot, s.queries, split, ranker, settings)}
    seconds = {FULL_METHOD: time.perf_counter() - started}
    for name, scorer in baselines.scorers(h, seed).items():
        started = time.perf_counter()
        lists[name] = rank(h, scorer, s.queries)
        seconds[name] = time.perf_counter() - started
    cold = cold_start(h, s.queries, s.relevant)
    cold_relevant = [r for r, c in zip(s.relevant, cold, strict=True) if c]
    results, cold_results = [], []
    for name, ranked in lists.items():
        results.append(_result(name, ranked, s.relevant, seconds[name]))
        if cold.any():
            cold_results.append(_result(name, ranked[cold], cold_relevant, 0.0))
        log.info("%s: %s", name, results[-1])
    full = recall_per_query(lists[FULL_METHOD], s.relevant)
    differences = []
    for name, ranked in lists.items():
        if name != FULL_METHOD:
            other = recall_per_query(ranked, s.relevant)
            lead = float(np.mean(full - other))
            differences.append(Difference(name, lead, difference_interval(full, other)))
    return TemporalReport(
        results,
        cold_results,
        differences,
        len(s.queries),
        int(cold.sum()),
        sum(len(r) for r in s.relevant),
        int(h.active.sum()),
        pool_recall(view.features, s.queries, s.relevant),
    )


def _result(method: str, ranked: np.ndarray, relevant: list[np.ndarray], seconds: float) -> MethodResult:
    """A method's figures on these queries, recall@10 with its interval."""
    interval = mean_interval(recall_per_query(ranked, relevant))
    return MethodResult(method, **score_lists(ranked, relevant), recall_interval=interval, seconds=seconds)


def _suggested(
    graph: Graph,
    snapshot: Snapshot,
    queries: np.ndarray,
    split: np.datetime64,
    ranker: LearnedRanker,
    settings: Settings,
) -> np.ndarray:
    """``matching.suggest``'s top 10 of every query, as organization indices (-1 pads a short list)."""
    day = dt.date.fromisoformat(str(split))
    ranked = np.full((len(queries), 10), -1, dtype=np.int64)
    for i, q in enumerate(queries):
        found = suggest(
            graph, str(snapshot.data.org_ids[q]), limit=10, settings=settings, as_of=day, ranker=ranker
        )
        ids = [snapshot.index[s.id] for s in found]
        ranked[i, : len(ids)] = ids
    return ranked


def cold_start(history: History, queries: np.ndarray, relevant: list[np.ndarray]) -> np.ndarray:
    """Per query: whether none of its new partners shares a partner with it (the common SMB case: the graph
    alone cannot point to them)."""
    common = history.adjacency[queries] @ history.adjacency
    return np.array(
        [not common[i, rel].toarray().any() for i, rel in enumerate(relevant)], dtype=bool
    ).reshape(len(queries))


def pool_recall(
    features: PairFeatures, queries: np.ndarray, relevant: list[np.ndarray], chunk: int = 100
) -> float:
    """Share of the queries' new partners that the learned ranking's candidate pool holds (over all their
    new partners): what no ranking of the pool can exceed."""
    found = total = 0
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk]
        pool = features.pool(block)
        for i, rel in enumerate(relevant[start : start + chunk]):
            columns = features.position[rel]
            found += int(pool[i, columns[columns >= 0]].sum())
            total += len(rel)
    return found / max(total, 1)
