"""Features of (seeker, candidate) pairs for the learned ranking, computed for blocks of seekers at once.

Every feature is read from a :class:`History`, so a model fitted on an earlier history (labels: the links
that appeared after it) can score a later one without seeing its future. The groups:

- *graph*: common partners, Adamic-Adar, resource allocation, 3-hop path counts (a truncated Katz index),
  shared projects of any size (big consortia are no link, but they are acquaintance); the same paths through
  recent links (Adamic-Adar over links decayed by age, common partners over the last two years' links: who
  works together now brings partners now); and a personalized PageRank from the seeker (every path length,
  hubs damped);
- *text*: TF-IDF and embedding cosine of the two organizations' project texts, the seeker's partners' mean
  embedding against the candidate (who the seeker works with tells what it looks for), and "organizations
  with a text like mine worked with the candidate";
- *context*: shared programme parts, same country, both roles;
- *activity*: each side's partner count, project count, projects and new partners in the last two years and
  the last year, age, as percentiles among the active organizations (counts grow with time, ranks do not),
  and years since its last project (who is active now gains partners now).

Path-count features are divided by the seeker's largest one for the same reason.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from matching.feature_arrays import percentile, row_products, scaled
from matching.feature_names import ROLE_CODES
from matching.history import History
from matching.seeker_rows import RECENT_DAYS, SeekerRows

POPULAR_CANDIDATES = 1000
"""The most connected organizations every seeker's pool holds. Chosen on the validation shaped like the test
(ranked at 2017 with two years of truth, the mean recall@10 over fit seeds 7 and 8 at least the 3,000 pool's
0.0846 less 0.0005, by a rule written before the runs): 1,000 gave 0.0843 / 0.0859 (pool recall 0.816
against 0.863) and 1,500 0.0841 / 0.0824; a pool of about 1,300 instead of 3,300 pairs is most of a
suggestion's feature and scoring CPU."""
FEATURE_BLOCK = 10
"""Seekers whose features :meth:`PairFeatures.blocks` computes at once: the fewer, the fewer columns
no seeker of the block wants."""


@dataclass
class PairFeatures:
    """Pair features over one history; candidates are the history's active organizations (``columns``)."""

    history: History
    seeker_rows: SeekerRows = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.seeker_rows = SeekerRows(self.history)

    @property
    def columns(self) -> np.ndarray:
        return self.seeker_rows.columns

    @cached_property
    def position(self) -> np.ndarray:
        """Each organization's column among the candidates, -1 for those not active before the day."""
        position = np.full(self.history.data.n_orgs, -1)
        position[self.columns] = np.arange(len(self.columns))
        return position

    @cached_property
    def _programme_parts(self) -> sp.csr_matrix:
        d = self.history.data
        parts, codes = np.unique(d.project_part, return_inverse=True)
        by_project = sp.csr_matrix(
            (np.ones(d.n_projects), (np.arange(d.n_projects), codes)), shape=(d.n_projects, len(parts))
        )
        shares = (self.history.participation @ by_project).tocsr()
        # A registry without projects (a generated region) has no programme parts to normalize.
        return normalize(shares).tocsr() if shares.shape[1] else shares

    @cached_property
    def _roles(self) -> np.ndarray:
        return np.array([ROLE_CODES.get(r, len(ROLE_CODES)) for r in self.history.data.org_role])

    @cached_property
    def _partners_by_role(self) -> np.ndarray:
        """Per organization, log(1 + its partners of each role): does it take partners like the seeker?"""
        roles = self._roles
        one_hot = sp.csr_matrix(
            (np.ones(len(roles)), (np.arange(len(roles)), roles)), shape=(len(roles), len(ROLE_CODES) + 1)
        )
        return np.log1p((self.history.adjacency @ one_hot).toarray()).astype(np.float32)

    @cached_property
    def _countries(self) -> tuple[np.ndarray, np.ndarray]:
        """Country code per organization and the lift of links between each two countries (log(1 + lift)):
        firms link across some borders far more often than across others."""
        names, codes = np.unique(self.history.data.org_country, return_inverse=True)
        links = self.history.links
        k = len(names)
        counts = np.zeros((k, k))
        np.add.at(counts, (codes[links.a], codes[links.b]), 1.0)
        counts = counts + counts.T
        margins = counts.sum(axis=1)
        expected = np.outer(margins, margins) / max(counts.sum(), 1.0)
        lift = np.log1p(counts / np.maximum(expected, 1e-9))
        return codes, lift.astype(np.float32)

    @cached_property
    def _named_country(self) -> np.ndarray:
        """Whether each organization's country is known (an unknown one is no shared country)."""
        return self.history.data.org_country != ""

    @cached_property
    def side(self) -> np.ndarray:
        """Per-organization activity features (organizations x SIDE_FEATURES)."""
        h = self.history
        d = h.data
        start = d.project_start[d.part_project]
        before = h.seen & ~np.isnat(start)
        recent_start = h.day - np.timedelta64(RECENT_DAYS, "D")
        n = d.n_orgs
        projects = np.bincount(d.part_org[before], minlength=n)
        recent = np.bincount(d.part_org[before & (start >= recent_start)], minlength=n)
        links = h.links
        new = links.since >= recent_start
        recent_partners = np.bincount(links.a[new], minlength=n) + np.bincount(links.b[new], minlength=n)
        newest = links.since >= h.day - np.timedelta64(365, "D")
        last_year = np.bincount(links.a[newest], minlength=n) + np.bincount(links.b[newest], minlength=n)
        days = np.where(before, (h.day - start).astype("timedelta64[D]").astype(np.float64), np.nan)
        first = np.full(n, np.nan)
        last = np.full(n, np.nan)
        order = np.argsort(days[before])
        org_sorted = d.part_org[before][order]
        days_sorted = days[before][order]
        last[org_sorted[::-1]] = days_sorted[::-1]  # smallest age wins: written last
        first[org_sorted] = days_sorted  # largest age wins: written last
        roles = self._roles.astype(np.float64)
        active = h.active
        counts = [percentile(v, active) for v in (h.degree, projects, recent, recent_partners, last_year)]
        return np.column_stack([*counts, percentile(first, active), last / 365.25, roles]).astype(np.float32)

    def pairs(self, queries: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """Features of (query, candidate) pairs: shape (queries, candidates, features), float32.

        ``candidates``: the column positions to compute (None: every column). A seeker's pool is a few
        thousand of 100,000 columns, and each value is computed the same way whichever columns are asked
        for (paths are counted over all organizations, then picked; scaled by the best over all columns), so
        the pool's features are exactly those of the full matrix (``tests/test_ranking.py`` checks it)."""
        h = self.history
        cols = self.columns
        pick = cols if candidates is None else cols[candidates]
        adjacency = h.adjacency
        embeddings = h.embeddings
        paths = self.seeker_rows.paths(queries)
        country_codes, lift = self._countries
        common = paths.common.toarray()[:, pick]
        degree = h.degree
        union = degree[queries][:, None] + degree[pick][None, :] - common
        pair = [
            common,
            scaled(paths.adamic_adar, h.active, pick),
            scaled(paths.resource, h.active, pick),
            scaled(paths.paths_3, h.active, pick),
            row_products(h.participation, queries, pick),
            row_products(h.tfidf, queries, pick),
            self.seeker_rows.text_at(queries, pick),
            np.einsum("ij,qj->qi", np.take(embeddings, pick, axis=0), paths.partners_embedding),
            scaled(self.seeker_rows.neighbours(queries) @ adjacency, h.active, pick),
            row_products(self._programme_parts, queries, pick),
            (country_codes[queries][:, None] == country_codes[pick][None, :])
            & self._named_country[queries][:, None],
            lift[country_codes[queries]][:, country_codes[pick]],
            common / np.maximum(union, 1.0),
            self._partners_by_role[pick[None, :], self._roles[queries][:, None]],
            scaled(paths.decayed, h.active, pick),
            paths.recent.toarray()[:, pick],
            scaled(paths.recent_paths, h.active, pick),
            scaled(paths.pagerank.T, h.active, pick),
        ]
        shape = (len(queries), len(pick))
        side = self.side
        blocks = [np.asarray(p, dtype=np.float32)[:, :, None] for p in pair]
        blocks.append(np.broadcast_to(np.take(side, pick, axis=0)[None, :, :], (*shape, side.shape[1])))
        blocks.append(np.broadcast_to(side[queries][:, None, :], (*shape, side.shape[1])))
        return np.concatenate(blocks, axis=2)

    def blocks(
        self, queries: np.ndarray, wanted: np.ndarray, size: int = FEATURE_BLOCK
    ) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """Features of the ``wanted`` pairs (a queries x columns mask, e.g. the pools), ``size`` seekers at a
        time: per block, its slice of ``queries``, the columns some seeker of it wants and their
        :meth:`pairs`. Training and the held-out figures want a seeker's pool at most (a few thousand of
        100,000 columns), and a block's columns are computed exactly as in the full matrix."""
        self.seeker_rows.text(queries)  # the seekers' text rows from one product, however the blocks cut them

        def block(start: int) -> tuple[slice, np.ndarray, np.ndarray]:
            rows = slice(start, start + size)
            columns = np.flatnonzero(wanted[rows].any(axis=0))
            return rows, columns, self.pairs(queries[rows], columns)

        starts = range(0, len(queries), size)
        if not starts:
            return
        # The first block in this thread builds the cached matrices (cached_property is no lock); the others
        # run on every core, at most one ahead per worker (a block is tens of MB). NumPy's and SciPy's
        # kernels release the GIL, and each block's values are computed alone, as in one thread.
        yield block(starts[0])
        workers = os.cpu_count() or 1
        with ThreadPoolExecutor(workers) as executor:
            pending: deque[Future[tuple[slice, np.ndarray, np.ndarray]]] = deque()
            for start in starts[1:]:
                pending.append(executor.submit(block, start))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def rows(self, queries: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """``pairs(queries)[wanted]`` (pairs x features, the seekers' order, then the columns'), computing
        the wanted pairs' blocks only."""
        blocks = self.blocks(queries, wanted)
        return np.concatenate([x[wanted[rows][:, columns]] for rows, columns, x in blocks])

    @cached_property
    def _popular(self) -> np.ndarray:
        """Candidates (column positions) among the most connected: new partners are often the busy ones."""
        degree = self.history.degree[self.columns]
        top = min(POPULAR_CANDIDATES, len(degree))
        mask = np.zeros(len(degree), dtype=bool)
        mask[np.argsort(-degree, kind="stable")[:top]] = True
        return mask

    def sources(self, queries: np.ndarray) -> dict[str, np.ndarray]:
        """Where candidates come from, each a (queries x candidates) mask: partners of partners, each
        seeker's nearest texts, and the most connected organizations (new partners are often the busy ones).
        """
        rows = self.seeker_rows
        text = rows.candidates(queries)
        return {
            "partner_of_partner": rows.common(queries).toarray()[:, self.columns] > 0,
            "similar_text": text,
            "most_active": np.broadcast_to(self._popular[None, :], text.shape),
        }

    def pool(self, queries: np.ndarray) -> np.ndarray:
        """Which pairs the model scores at all: those of any source. The rest (far in the graph, unknown,
        unrelated) are never suggested, which keeps scoring cheap; training uses the same pool so the model
        learns the choice it faces."""
        return np.logical_or.reduce(list(self.sources(queries).values()))
