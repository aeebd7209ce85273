"""Array helpers of the pair features (``matching/features.py``): each seeker's cosines, its k largest values
(as a mask, and as the columns that ``argpartition`` picks), percentiles among the active organizations, path
counts scaled by each seeker's best, and row products."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def cosines(vectors: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row of ``vectors`` dotted with ``vector``, each row's own dot product (einsum): the same value
    for a row whichever rows are asked."""
    return np.einsum("ij,j->i", vectors, vector)


def largest(values: np.ndarray, k: int) -> np.ndarray:
    """Per row, a mask of its ``k`` largest values; ties at the cut go to the first columns, so a seeker's
    candidates do not depend on its block. One partition finds each row's cut (an ``argpartition`` moving
    indices cost three times as much: most of a 100,000-organization ``tune``'s candidate sourcing)."""
    if k <= 0:
        return np.zeros(values.shape, dtype=bool)
    kth = values.shape[1] - k
    cut = np.partition(values, kth, axis=1)[:, kth : kth + 1]
    mask = values > cut
    wanted = k - mask.sum(axis=1)
    rows, columns = np.nonzero(values == cut)  # row by row, each row's columns in order
    first = np.searchsorted(rows, np.arange(len(values)))
    keep = np.arange(len(rows)) - first[rows] < wanted[rows]
    mask[rows[keep], columns[keep]] = True
    return mask


def percentile(values: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Each organization's rank among the active ones, in [0, 1]. Counts that only grow with time (partners,
    projects, age) are compared within one history, so a model fitted two years earlier still reads them
    right on a denser graph."""
    reference = np.sort(np.nan_to_num(values[active], nan=-1.0))
    if not len(reference):
        return np.zeros(len(values))
    return np.searchsorted(reference, np.nan_to_num(values, nan=-1.0), side="right") / len(reference)


def scaled(scores: np.ndarray | sp.spmatrix | sp.sparray, active: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """Scores (queries x organizations) at ``pick``, divided by each seeker's best one among all candidates
    (the ``active`` organizations): path counts grow with the graph, their order does not. A seeker's best
    over all organizations is its best candidate's when a candidate holds it, as it nearly always does (an
    inactive organization has no path), which spares copying out the candidates' scores."""
    dense = scores.toarray() if isinstance(scores, sp.spmatrix | sp.sparray) else np.asarray(scores)
    best = dense.argmax(axis=1)
    top = dense[np.arange(len(dense)), best][:, None]
    elsewhere = ~active[best]
    if elsewhere.any():
        top[elsewhere] = dense[elsewhere][:, active].max(axis=1, keepdims=True)
    return dense[:, pick] / np.where(top > 0, top, 1.0)


def row_products(matrix: sp.csr_matrix, queries: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """``(matrix[queries] @ matrix[pick].T).toarray()`` (rows without a repeated column): for one seeker, its
    entries' products with the matching entries of each picked row, summed per row by ``np.bincount`` in
    the order of the seeker's row (which the sparse product follows), without copying the picked rows
    out and transposing them. Blocks of seekers (training) share that copy in one product."""
    if len(queries) != 1:
        return np.asarray((matrix[queries] @ matrix[pick].T).toarray())
    first, last = matrix.indptr[queries[0]], matrix.indptr[queries[0] + 1]
    position = np.full(matrix.shape[1], -1, dtype=np.int16 if last - first < 2**15 else np.int64)
    position[matrix.indices[first:last]] = np.arange(last - first)  # radix-sortable when short
    starts = matrix.indptr[pick]
    lengths = matrix.indptr[pick + 1] - starts
    ends = np.cumsum(lengths)
    entries = np.repeat(starts - ends + lengths, lengths) + np.arange(ends[-1] if len(ends) else 0)
    at = position[matrix.indices[entries]]
    hits = np.flatnonzero(at >= 0)
    hits = hits[np.argsort(at[hits], kind="stable")]
    products = matrix.data[first:last][at[hits]] * matrix.data[entries[hits]]
    owner = np.searchsorted(ends, hits, side="right")
    sums = np.bincount(owner, weights=products, minlength=len(pick))
    return sums.astype(products.dtype, copy=False)[None, :]  # no products: bincount counts in integers
