"""The temporal benchmark: learn from links before a split day, predict the partners gained after it.

Train on every link first seen before the split; test on links first seen on or after it between two
organizations that were both active (had a link) before it. Queries are organizations of the chosen roles
with at least one test link and some project text before the split, drawn with ``default_rng(seed)``. Each
method ranks every active organization except the query itself and its existing partners.
"""

from __future__ import annotations

import numpy as np

from matching.evaluation import metrics
from matching.evaluation.baselines import Scorer
from matching.history import History


def rank(history: History, scorer: Scorer, queries: np.ndarray, k: int = 10, chunk: int = 256) -> np.ndarray:
    """Top-``k`` suggestions per query (indices, best first; -1 pads when fewer can be suggested).

    Excluded: the query itself, its partners before the day, organizations without links before the day.
    """
    adjacency = history.adjacency
    out = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk]
        scores = np.array(scorer(block), dtype=np.float64)
        scores[:, ~history.active] = -np.inf
        scores[np.arange(len(block)), block] = -np.inf
        partners = adjacency[block].tocoo()
        scores[partners.row, partners.col] = -np.inf
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top[np.take_along_axis(top_scores, order, axis=1) == -np.inf] = -1
        out[start : start + len(block)] = top
    return out


def score_lists(ranked: np.ndarray, relevant: list[np.ndarray], k: int = 10) -> dict[str, float]:
    """The benchmark's three figures for one method."""
    return {
        "recall_at_10": metrics.recall_at_k(ranked, relevant, k),
        "hit_at_10": metrics.hit_at_k(ranked, relevant, k),
        "ndcg_at_10": metrics.ndcg_at_k(ranked, relevant, k),
    }
