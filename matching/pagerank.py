"""Personalized PageRank from a few seekers over a large graph, computing only where the walk has gone.

From one seeker the first steps of the walk reach a few hundred organizations of 100,000; multiplying the
whole walk matrix at each of them was most of a suggestion's graph features. Only the rows next to where the
walk has mass are computed, each as the same sum as in the full product, and a row with no mass next to it
is exactly 0 there as well: the result is the full product's, bit for bit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DENSE_SHARE = 8
"""Once the walk has mass on more than 1 / DENSE_SHARE of the graph, the full product is cheaper."""


def personalized_pagerank(
    walk: sp.csr_matrix, adjacency: sp.csr_matrix, queries: np.ndarray, *, restart: float, steps: int
) -> np.ndarray:
    """``steps`` power iterations of PageRank restarting at each seeker (organizations x queries). ``walk``:
    the transposed random-walk matrix (D^-1 A)^T; ``adjacency``: A, whose pattern it shares."""
    start = np.zeros((walk.shape[0], len(queries)))
    start[queries, np.arange(len(queries))] = 1.0
    rank = start
    for _ in range(steps):
        rank = restart * start + (1 - restart) * _step(walk, adjacency, rank)
    return rank


def _step(walk: sp.csr_matrix, adjacency: sp.csr_matrix, rank: np.ndarray) -> np.ndarray:
    """``walk @ rank``, computing only the rows next to the organizations with mass."""
    reached = np.flatnonzero(rank.any(axis=1))
    if len(reached) * DENSE_SHARE > len(rank):
        return walk @ rank
    rows = np.zeros(len(rank), dtype=bool)
    rows[adjacency[reached].indices] = True  # a mask, not np.unique: no sort or hash of every path's end
    rows = np.flatnonzero(rows)
    spread = np.zeros_like(rank)
    spread[rows] = walk[rows] @ rank
    return spread
