"""A block of seekers' rows over every organization: text cosines, graph paths and nearest texts.

The candidate sources and the pair features (``matching/features.py``) of one request or training block both
read the text cosines and paths, so the last block's are kept and computed once. A block's text cosines are
one float32 product; one seeker's (a served request, or ``eval`` asking ``suggest``) are screened on int8
vectors (:class:`~matching.text_screen.TextScreen`), and only its nearest texts and its pool's cosines are
computed exactly: the same values and the same nearest texts, at a third of the CPU. They are computed on
two threads (:meth:`SeekerRows.prepare`): the screen beside the paths.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from matching.feature_arrays import largest
from matching.history import History
from matching.pagerank import personalized_pagerank
from matching.text_screen import Screened, TextScreen

RECENT_DAYS = 730
DECAY_DAYS = 730.0
"""Links weigh exp(-age / DECAY_DAYS) in the decayed Adamic-Adar."""
PAGERANK_RESTART = 0.3
PAGERANK_STEPS = 6
TEXT_CANDIDATES = 300
TEXT_NEIGHBOURS = 50


@dataclass(frozen=True)
class Paths:
    """A block of seekers' graph rows over every organization (queries x organizations): paths of length 2
    (``common``) and 3, Adamic-Adar, resource allocation, the recent and decayed paths, the personalized
    PageRank (organizations x queries), and the unit mean embedding of each seeker's partners."""

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
class SeekerRows:
    """Rows of one history's seekers; the last block's text cosines and paths are kept (the candidate sources
    and the pair features both read them)."""

    history: History
    _text: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)
    _one: _Alone | None = field(default=None, init=False, repr=False)
    _paths: tuple[np.ndarray, Paths] | None = field(default=None, init=False, repr=False)

    def text(self, queries: np.ndarray) -> np.ndarray:
        """Cosine of each seeker's text to every organization's (queries x organizations), for a block of
        seekers. Some seekers of the last block read their rows of it (``PairFeatures.blocks``): BLAS rounds
        a product's last bit by its shape, and a seeker's features must not depend on how its block is cut.
        """
        held = self._text
        if held is not None:
            block, text = held
            order = np.argsort(block, kind="stable")
            at = order[np.minimum(np.searchsorted(block, queries, sorter=order), len(block) - 1)]
            if np.array_equal(block[at], queries):
                return text if len(at) == len(block) and np.array_equal(at, np.arange(len(at))) else text[at]
        embeddings = self.history.embeddings
        text = embeddings[queries] @ embeddings.T
        self._text = (queries.copy(), text)
        return text

    def text_at(self, queries: np.ndarray, organizations: np.ndarray) -> np.ndarray:
        """The seekers' text cosines to ``organizations`` (queries x organizations): one seeker's computed
        for these alone (:meth:`_alone`), a block's read from :meth:`text`."""
        if len(queries) == 1:
            return self._alone(int(queries[0])).screened.exact(organizations)[None, :]
        return self.text(queries)[:, organizations]

    def candidates(self, queries: np.ndarray) -> np.ndarray:
        """Among the candidates (the active organizations, in order), a mask of each seeker's TEXT_CANDIDATES
        nearest texts (queries x candidates)."""
        active = self.history.active
        count = min(TEXT_CANDIDATES, int(np.count_nonzero(active)))
        if len(queries) == 1:
            alone = self._alone(int(queries[0]))
            if alone.candidates is None:
                nearest, _ = alone.screened.nearest(active, count)
                mask = np.zeros((1, len(self.columns)), dtype=bool)
                mask[0, np.searchsorted(self.columns, nearest)] = True
                alone.candidates = mask
            return alone.candidates
        return largest(self.text(queries)[:, self.columns], count)

    def neighbours(self, queries: np.ndarray) -> sp.csr_matrix:
        """Among all organizations but itself, each seeker's TEXT_NEIGHBOURS nearest texts (ties at the cut to
        the first) weighted by their cosine (queries x organizations)."""
        n = self.history.data.n_orgs
        count = min(TEXT_NEIGHBOURS, n - 1)
        if len(queries) == 1:
            alone = self._alone(int(queries[0]))
            if alone.neighbours is None:
                others = np.ones(n, dtype=bool)
                others[queries] = False
                nearest, values = alone.screened.nearest(others, count)
                alone.neighbours = _weighted(nearest[None, :], values[None, :], n)
            return alone.neighbours
        others = self.text(queries).copy()
        others[np.arange(len(queries)), queries] = -np.inf
        nearest = np.nonzero(largest(others, count))[1].reshape(len(queries), count)
        return _weighted(nearest, np.take_along_axis(others, nearest, axis=1), n)

    def _alone(self, seeker: int) -> _Alone:
        """One seeker's screened text cosines and nearest texts, kept for the request's sources and
        features."""
        held = self._one  # one read: another thread may replace it meanwhile
        if held is not None and held.seeker == seeker:
            return held
        alone = _Alone(seeker, self._text_screen.screen(seeker))
        self._one = alone
        return alone

    @cached_property
    def columns(self) -> np.ndarray:
        """The candidates: the organizations active before the day, in order."""
        return np.flatnonzero(self.history.active)

    @cached_property
    def _text_screen(self) -> TextScreen:
        return TextScreen(self.history.embeddings)

    def common(self, queries: np.ndarray) -> sp.csr_matrix:
        """Paths of length 2 from each seeker: the kept :class:`Paths`' when they are these seekers', else
        this product alone (the candidate sources of a training block need no more)."""
        held = self._held_paths(queries)
        if held is not None:
            return held.common
        adjacency = self.history.adjacency
        return adjacency[queries] @ adjacency

    def paths(self, queries: np.ndarray) -> Paths:
        """The seekers' :class:`Paths`."""
        held = self._held_paths(queries)
        if held is not None:
            return held
        h = self.history
        adjacency = h.adjacency
        rows = adjacency[queries]
        decayed, decayed_aa, recent = self._recent_graph
        recent_rows = recent[queries]
        paths = Paths(
            common=rows @ adjacency,
            adamic_adar=rows @ h.adamic_adar,
            resource=rows @ self.resource,
            paths_3=rows @ adjacency @ adjacency,
            decayed=decayed[queries] @ decayed_aa,
            recent=recent_rows @ recent,
            recent_paths=recent_rows @ adjacency,
            pagerank=personalized_pagerank(
                self._walk, self.resource, queries, restart=PAGERANK_RESTART, steps=PAGERANK_STEPS
            ),
            partners_embedding=self._partners_embedding(rows),
        )
        self._paths = (queries.copy(), paths)
        return paths

    def _held_paths(self, queries: np.ndarray) -> Paths | None:
        held = self._paths  # one read: another thread may replace it meanwhile
        return held[1] if held is not None and np.array_equal(held[0], queries) else None

    def prepare(self, seeker: int, executor: Executor) -> None:
        """Screen one seeker's text cosines and find its nearest texts on ``executor`` while this thread
        follows its :class:`Paths`, for its candidate sources and features: ONNX Runtime's product and
        NumPy's passes over the screened rows leave the GIL to the sparse products and PageRank."""
        queries = np.array([seeker])
        text = executor.submit(lambda: (self.candidates(queries), self.neighbours(queries)))
        self.paths(queries)
        text.result()

    @cached_property
    def resource(self) -> sp.csr_matrix:
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
        return self.resource.T.tocsr()

    def _partners_embedding(self, rows: sp.csr_matrix) -> np.ndarray:
        """The unit mean embedding of each seeker's partners (``rows``: the seekers' rows of the adjacency),
        from the partners' rows alone: SciPy multiplies a float64 matrix by a float64 copy of the whole dense
        operand (2 s for 100,000 vectors); each row is the same sum, in the same order, either way."""
        partners = np.unique(rows.indices)
        return normalize(np.asarray(rows[:, partners] @ self.history.embeddings[partners], dtype=np.float32))


@dataclass
class _Alone:
    """One seeker's screened text cosines and, once found, its nearest texts (:meth:`SeekerRows.candidates`,
    :meth:`SeekerRows.neighbours`)."""

    seeker: int
    screened: Screened
    candidates: np.ndarray | None = None
    neighbours: sp.csr_matrix | None = None


def _weighted(nearest: np.ndarray, values: np.ndarray, n: int) -> sp.csr_matrix:
    """Each seeker's nearest organizations (queries x k) weighted by their cosines, negatives as 0."""
    rows = np.repeat(np.arange(len(nearest)), nearest.shape[1])
    return sp.csr_matrix((np.clip(values, 0, None).ravel(), (rows, nearest.ravel())), shape=(len(nearest), n))
