"""Personalized PageRank from a few seekers over a large graph, computing only where the walk has gone.

From one seeker the first steps of the walk reach a few hundred organizations of 100,000; multiplying the
whole walk matrix at each of them was most of a suggestion's graph features. While the walk has mass on few
organizations, a step spreads each one's mass along its own links instead (a scatter from the rows of
``D^-1 A``), adding into each neighbour in the order of the organizations it comes from: the order in which
the full product's row sums them, where an organization without mass adds an exact 0. The result is the full
product's, bit for bit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DENSE_SHARE = 8
"""Once the walk has mass on more than 1 / DENSE_SHARE of the graph, the full product is cheaper."""


def personalized_pagerank(
    walk: sp.csr_matrix, forward: sp.csr_matrix, queries: np.ndarray, *, restart: float, steps: int
) -> np.ndarray:
    """``steps`` power iterations of PageRank restarting at each seeker (organizations x queries). ``walk``:
    the transposed random-walk matrix (D^-1 A)^T, with sorted indices; ``forward``: D^-1 A itself, each row
    where an organization's mass goes. Each step is ``restart * start + (1 - restart) * walk @ rank``, in
    place: the start is 1 at the seeker and 0 elsewhere, and adding 0 changes nothing."""
    at = (queries, np.arange(len(queries)))
    rank = np.zeros((walk.shape[0], len(queries)))
    rank[at] = 1.0
    for _ in range(steps):
        rank = _step(walk, forward, rank)
        rank *= 1 - restart
        rank[at] += restart
    return rank


def _step(walk: sp.csr_matrix, forward: sp.csr_matrix, rank: np.ndarray) -> np.ndarray:
    """``walk @ rank``: while few organizations have mass, their links' shares summed into each neighbour
    (``np.bincount`` adds in the order given: the organizations with mass, ascending, as the row sums)."""
    reached = np.flatnonzero(rank.any(axis=1))
    if len(reached) * DENSE_SHARE > len(rank):
        return walk @ rank
    starts = forward.indptr[reached]
    lengths = forward.indptr[reached + 1] - starts
    entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    targets = forward.indices[entries]
    moved = forward.data[entries][:, None] * np.repeat(rank[reached], lengths, axis=0)
    spread = np.zeros_like(rank)
    for column, weights in enumerate(moved.T):
        spread[:, column] = np.bincount(targets, weights=weights, minlength=len(rank))
    return spread
