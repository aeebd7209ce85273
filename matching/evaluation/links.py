"""Dated collaboration links derived from co-participation, and the graph views the methods read.

Two organizations are linked when they take part in the same project of ``min_size`` to ``max_size``
participants; a link dates from the first such project's start. Larger projects (consortia of hundreds) say
little about who actually works with whom, single-partner grants say nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from matching.evaluation.dataset import EvalData

MIN_PROJECT_SIZE = 2
MAX_PROJECT_SIZE = 30


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
        rows = np.concatenate([self.a, self.b])
        cols = np.concatenate([self.b, self.a])
        data = np.ones(len(rows), dtype=np.float64)
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


def co_participation_links(
    data: EvalData, min_size: int = MIN_PROJECT_SIZE, max_size: int = MAX_PROJECT_SIZE
) -> Links:
    """Every pair of organizations sharing a project of the right size, dated by the first one's start.

    Pairs are generated per project size (all projects of size ``s`` at once, with ``triu_indices(s)``), so
    the work is a handful of numpy calls rather than a loop over projects.
    """
    size = data.project_size
    start = data.project_start
    eligible = (size >= min_size) & (size <= max_size) & ~np.isnat(start)
    order = np.lexsort((data.part_org, data.part_project))
    proj = data.part_project[order]
    org = data.part_org[order]
    keep = eligible[proj]
    proj, org = proj[keep], org[keep]
    firsts = np.flatnonzero(np.r_[True, proj[1:] != proj[:-1]])
    counts = np.diff(np.r_[firsts, len(proj)])
    a_parts, b_parts, day_parts = [], [], []
    for s in np.unique(counts):
        starts = firsts[counts == s]
        members = org[starts[:, None] + np.arange(s)[None, :]]  # (projects, s), sorted per row
        i, j = np.triu_indices(s, k=1)
        a_parts.append(members[:, i].ravel())
        b_parts.append(members[:, j].ravel())
        day_parts.append(np.repeat(start[proj[starts]], len(i)))
    a = np.concatenate(a_parts) if a_parts else np.empty(0, np.int64)
    b = np.concatenate(b_parts) if b_parts else np.empty(0, np.int64)
    days = np.concatenate(day_parts) if day_parts else np.empty(0, "datetime64[D]")
    key = a * data.n_orgs + b
    order = np.lexsort((days, key))
    key, days = key[order], days[order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, days = key[first], days[first]
    return Links(key // data.n_orgs, key % data.n_orgs, days, data.n_orgs)
