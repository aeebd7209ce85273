"""Dated collaboration links between organizations, and the graph views the methods read.

On a participation registry they are the ``COLLABORATES_WITH {kind: 'joint_project'}`` relationships the
ingest derives: two organizations sharing a project of 2 to 30 participants, dated by the first such
project's start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Links:
    """Undirected links ``a < b`` with the day each first appeared."""

    a: np.ndarray
    b: np.ndarray
    since: np.ndarray  # datetime64[D]
    n_orgs: int

    def before(self, day: np.datetime64) -> Links:
        keep = self.since < day
        return Links(self.a[keep], self.b[keep], self.since[keep], self.n_orgs)

    def between(self, start: np.datetime64, end: np.datetime64) -> Links:
        keep = (self.since >= start) & (self.since < end)
        return Links(self.a[keep], self.b[keep], self.since[keep], self.n_orgs)

    def among(self, members: np.ndarray) -> Links:
        """Only links whose two ends are both in the boolean mask ``members``."""
        keep = members[self.a] & members[self.b]
        return Links(self.a[keep], self.b[keep], self.since[keep], self.n_orgs)

    def adjacency(self) -> sp.csr_matrix:
        """Symmetric 0/1 adjacency matrix (float64, CSR)."""
        return self.weighted_adjacency(np.ones(len(self.a)))

    def weighted_adjacency(self, weights: np.ndarray) -> sp.csr_matrix:
        """Symmetric adjacency matrix with one weight per link (e.g. decayed by its age)."""
        rows = np.concatenate([self.a, self.b])
        cols = np.concatenate([self.b, self.a])
        data = np.concatenate([weights, weights]).astype(np.float64)
        return sp.csr_matrix((data, (rows, cols)), shape=(self.n_orgs, self.n_orgs))

    @classmethod
    def undirected(cls, a: np.ndarray, b: np.ndarray, since: np.ndarray, n_orgs: int) -> Links:
        """One link per pair (``a < b``), dated by its earliest row (a pair may be stored once per kind)."""
        low, high = np.minimum(a, b), np.maximum(a, b)
        keep = low != high
        key = low[keep] * n_orgs + high[keep]
        days = since[keep]
        order = np.lexsort((np.isnat(days), days, key))  # earliest date first, undated last
        key, days = key[order], days[order]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
        key, days = key[first], days[first]
        return cls(key // n_orgs, key % n_orgs, days, n_orgs)

    def endpoints(self) -> np.ndarray:
        """Boolean mask of organizations with at least one link: the "active" organizations."""
        mask = np.zeros(self.n_orgs, dtype=bool)
        mask[self.a] = True
        mask[self.b] = True
        return mask

    def __len__(self) -> int:
        return len(self.a)
