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
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from matching.feature_arrays import cosines, largest, percentile, row_products, scaled, top_columns
from matching.feature_names import ROLE_CODES
from matching.history import History
from matching.pagerank import personalized_pagerank

RECENT_DAYS = 730
DECAY_DAYS = 730.0
"""Links weigh exp(-age / DECAY_DAYS) in the decayed Adamic-Adar."""
PAGERANK_RESTART = 0.3
PAGERANK_STEPS = 6
POPULAR_CANDIDATES = 1000
"""The most connected organizations every seeker's pool holds. Chosen on the validation shaped like the test
(ranked at 2017 with two years of truth, the mean recall@10 over fit seeds 7 and 8 at least the 3,000 pool's
0.0846 less 0.0005, by a rule written before the runs): 1,000 gave 0.0843 / 0.0859 (pool recall 0.816
against 0.863) and 1,500 0.0841 / 0.0824; a pool of about 1,300 instead of 3,300 pairs is most of a
suggestion's feature and scoring CPU."""
TEXT_CANDIDATES = 300
TEXT_NEIGHBOURS = 50
FEATURE_BLOCK = 10
"""Seekers whose features :meth:`PairFeatures.blocks` computes at once: the fewer, the fewer columns
no seeker of the block wants."""


@dataclass(frozen=True)
class Paths:
    """A block of seekers' graph rows over every organization (queries x organizations), read by both the
    candidate sources and the pair features: paths of length 2 (``common``) and 3, Adamic-Adar, resource
    allocation, the recent and decayed paths, the personalized PageRank (organizations x queries), and the
    unit mean embedding of each seeker's partners."""

    queries: np.ndarray
    common: sp.csr_matrix
    adamic_adar: sp.csr_matrix
    resource: sp.csr_matrix
    paths_3: sp.csr_matrix
    decayed: sp.csr_matrix
    recent: sp.csr_matrix
    recent_paths: sp.csr_matrix
    pagerank: np.ndarray
    partners_embedding: np.ndarray


@dataclass
class PairFeatures:
    """Pair features over one history; candidates are the history's active organizations (``columns``)."""

    history: History
    _last_text: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)
    _last_paths: Paths | None = field(default=None, init=False, repr=False)

    @cached_property
    def columns(self) -> np.ndarray:
        return np.flatnonzero(self.history.active)

    @cached_property
    def position(self) -> np.ndarray:
        """Each organization's column among the candidates, -1 for those not active before the day."""
        position = np.full(self.history.data.n_orgs, -1)
        position[self.columns] = np.arange(len(self.columns))
        return position

    @cached_property
    def _resource(self) -> sp.csr_matrix:
        """The resource allocation index's right-hand factor ``D^-1 A`` (``D``: degrees)."""
        h = self.history
        inverse = np.zeros_like(h.degree)
        inverse[h.degree > 0] = 1.0 / h.degree[h.degree > 0]
        return (sp.diags(inverse) @ h.adjacency).tocsr()

    @cached_property
    def _recent_graph(self) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Links weighted exp(-age / DECAY_DAYS), the same times 1 / log(degree) of the middle organization
        (the decayed Adamic-Adar's right-hand factor), and the 0/1 links of the last RECENT_DAYS."""
        h = self.history
        links = h.links
        age = h.age_days
        decayed = links.weighted_adjacency(np.exp(-age / DECAY_DAYS))
        recent = links.weighted_adjacency((age < RECENT_DAYS).astype(np.float64))
        recent.eliminate_zeros()
        degree = h.degree
        inverse_log = np.zeros_like(degree)
        inverse_log[degree > 1] = 1.0 / np.log(degree[degree > 1])
        return decayed, (sp.diags(inverse_log) @ decayed).tocsr(), recent

    @cached_property
    def _walk(self) -> sp.csr_matrix:
        """The transposed random-walk matrix (D^-1 A)^T, for walks from blocks of seekers."""
        return self._resource.T.tocsr()

    def _pagerank(self, queries: np.ndarray) -> np.ndarray:
        """Personalized PageRank from each seeker by PAGERANK_STEPS power iterations (orgs x queries)."""
        return personalized_pagerank(
            self._walk, self._resource, queries, restart=PAGERANK_RESTART, steps=PAGERANK_STEPS
        )

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

    def _partners_embedding(self, rows: sp.csr_matrix) -> np.ndarray:
        """The unit mean embedding of each seeker's partners (``rows``: the seekers' rows of the adjacency),
        from the partners' rows alone: SciPy multiplies a float64 matrix by a float64 copy of the whole dense
        operand (2 s for 100,000 vectors); each row is the same sum, in the same order, either way."""
        partners = np.unique(rows.indices)
        return normalize(np.asarray(rows[:, partners] @ self.history.embeddings[partners], dtype=np.float32))

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

    def _text(self, queries: np.ndarray) -> np.ndarray:
        """Cosine of each seeker's text to every organization's (queries x organizations). The pool and the
        features of one request or block both read it, so the last block's is kept, and some seekers of that
        block read their rows of it (:meth:`blocks`): BLAS rounds a product's last bit by its shape, and a
        seeker's features must not depend on how its block is cut. One seeker's is a per-row dot product
        (:func:`cosines`): a BLAS call spends more on its threads than on one row of 100,000."""
        held = self._last_text
        if held is not None:
            block, text = held
            order = np.argsort(block, kind="stable")
            at = order[np.minimum(np.searchsorted(block, queries, sorter=order), len(block) - 1)]
            if np.array_equal(block[at], queries):
                return text if len(at) == len(block) and np.array_equal(at, np.arange(len(at))) else text[at]
        embeddings = self.history.embeddings
        if len(queries) == 1:
            text = cosines(embeddings, embeddings[queries[0]])[None, :]
        else:
            text = embeddings[queries] @ embeddings.T
        self._last_text = (queries.copy(), text)
        return text

    def _paths(self, queries: np.ndarray) -> Paths:
        """The seekers' :class:`Paths`; the last block's are kept, as its text is (:meth:`_text`)."""
        held = self._last_paths
        if held is not None and np.array_equal(held.queries, queries):
            return held
        h = self.history
        adjacency = h.adjacency
        rows = adjacency[queries]
        decayed, decayed_aa, recent = self._recent_graph
        recent_rows = recent[queries]
        paths = Paths(
            queries=queries.copy(),
            common=rows @ adjacency,
            adamic_adar=rows @ h.adamic_adar,
            resource=rows @ self._resource,
            paths_3=rows @ adjacency @ adjacency,
            decayed=decayed[queries] @ decayed_aa,
            recent=recent_rows @ recent,
            recent_paths=recent_rows @ adjacency,
            pagerank=self._pagerank(queries),
            partners_embedding=self._partners_embedding(rows),
        )
        self._last_paths = paths
        return paths

    def prepare(self, seeker: int, executor: Executor) -> None:
        """Compute one seeker's text cosines on ``executor`` while this thread follows its :class:`Paths`, for
        its next :meth:`sources` and :meth:`pairs`: NumPy's product over the 150 MB of 100,000 vectors
        leaves the GIL to the sparse products and PageRank (at 100,000 organizations 6.6 ms in all
        instead of 10, alone; beside the request's stamp query and Neo4j on two cores, about 8.7)."""
        queries = np.array([seeker])
        text = executor.submit(self._text, queries)
        self._paths(queries)
        text.result()

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
        paths = self._paths(queries)
        text = self._text(queries)
        others = text.copy()
        others[np.arange(len(queries)), queries] = -np.inf
        neighbours = min(TEXT_NEIGHBOURS, h.data.n_orgs - 1)
        nearest = top_columns(others, neighbours)  # a set: the matrix below sorts each row
        weights = np.clip(np.take_along_axis(others, nearest, axis=1), 0, None)
        similar = sp.csr_matrix(
            (weights.ravel(), (np.repeat(np.arange(len(queries)), neighbours), nearest.ravel())),
            shape=(len(queries), h.data.n_orgs),
        )
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
            text[:, pick],
            np.einsum("ij,qj->qi", np.take(embeddings, pick, axis=0), paths.partners_embedding),
            scaled(similar @ adjacency, h.active, pick),
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
        self._text(queries)  # the seekers' text rows from one product, however the blocks cut them

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
        held = self._last_paths  # the served request's, computed beside its text (:meth:`prepare`)
        adjacency = self.history.adjacency
        paths = held.common if held is not None and np.array_equal(held.queries, queries) else None
        common = (adjacency[queries] @ adjacency if paths is None else paths).toarray()[:, self.columns] > 0
        text = self._text(queries)[:, self.columns]
        return {
            "partner_of_partner": common,
            "similar_text": largest(text, min(TEXT_CANDIDATES, text.shape[1])),
            "most_active": np.broadcast_to(self._popular[None, :], text.shape),
        }

    def pool(self, queries: np.ndarray) -> np.ndarray:
        """Which pairs the model scores at all: those of any source. The rest (far in the graph, unknown,
        unrelated) are never suggested, which keeps scoring cheap; training uses the same pool so the model
        learns the choice it faces."""
        return np.logical_or.reduce(list(self.sources(queries).values()))
