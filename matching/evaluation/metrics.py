"""Ranking metrics of a suggestion list against the partners an organization actually gained.

All functions take ``ranked`` (a 2-D int array: one row of suggested organization indices per query, best
first) and ``relevant`` (one set-like int array of true new partners per query).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def hits_matrix(ranked: np.ndarray, relevant: Sequence[np.ndarray]) -> np.ndarray:
    """Boolean (queries, k): whether each suggestion is one of the query's relevant organizations."""
    rows = [np.isin(row, rel) for row, rel in zip(ranked, relevant, strict=True)]
    return np.array(rows, dtype=bool).reshape(ranked.shape)


def recall_per_query(ranked: np.ndarray, relevant: Sequence[np.ndarray], k: int = 10) -> np.ndarray:
    """Share of each query's relevant organizations found in its top k, one value per query."""
    hits = hits_matrix(ranked[:, :k], relevant).sum(axis=1)
    sizes = np.array([len(r) for r in relevant], dtype=float)
    return np.asarray(hits / np.maximum(sizes, 1), dtype=float)


def recall_at_k(ranked: np.ndarray, relevant: Sequence[np.ndarray], k: int = 10) -> float:
    """Share of each query's relevant organizations found in its top k, averaged over queries."""
    return float(np.mean(recall_per_query(ranked, relevant, k)))


def hit_at_k(ranked: np.ndarray, relevant: Sequence[np.ndarray], k: int = 10) -> float:
    """Share of queries with at least one relevant organization in the top k."""
    return float(np.mean(hits_matrix(ranked[:, :k], relevant).any(axis=1)))


def ndcg_at_k(ranked: np.ndarray, relevant: Sequence[np.ndarray], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary relevance, averaged over queries."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hits = hits_matrix(ranked[:, :k], relevant)
    dcg = (hits * discounts[: hits.shape[1]]).sum(axis=1)
    ideal = np.array([discounts[: min(len(r), k)].sum() for r in relevant])
    return float(np.mean(dcg / np.maximum(ideal, 1e-12)))


def mrr(ranked: np.ndarray, relevant: Sequence[np.ndarray]) -> float:
    """Mean reciprocal rank of the first relevant organization in the list (0 when none is in it)."""
    hits = hits_matrix(ranked, relevant)
    first = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, np.inf)
    return float(np.mean(1.0 / first))


def catalogue_coverage(ranked: np.ndarray, catalogue_size: int) -> float:
    """Share of all suggestible organizations that appear in at least one list (do we suggest the few?)."""
    return len(np.unique(ranked[ranked >= 0])) / max(catalogue_size, 1)


def intra_list_diversity(ranked: np.ndarray, vectors: np.ndarray) -> float:
    """Mean pairwise cosine distance between the suggestions of one list, averaged over lists.

    ``vectors`` are unit-norm rows (e.g. capability embeddings) indexed like the suggestions.
    """
    values = []
    for row in ranked:
        row = row[row >= 0]
        if len(row) < 2:
            continue
        v = vectors[row]
        sims = v @ v.T
        n = len(row)
        pairs = n * (n - 1)
        values.append(float((pairs - (sims.sum() - np.trace(sims))) / pairs))
    return float(np.mean(values)) if values else 0.0
