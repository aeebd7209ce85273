"""Everything known about the graph before a day: links, active organizations and what each works on.

The learned ranking reads a :class:`History` only, so nothing after the day can leak into a suggestion: the
links are those first seen before the day, and an organization's text is built from its own description and
the titles and topics of the projects it took part in that started before the day (a registry of grants or
projects has no self-descriptions: what an organization did says what it offers). Each project text is
embedded on its own, so a long history counts in full, never cut to the model's input length.

:func:`temporal_split` asks the question one horizon earlier: the history before a day, and the partners
each organization gained after it. ``tune`` fits the model on such a split; ``eval`` measures on one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

from matching.dataset import GraphData
from matching.links import Links
from schema.errors import MatchingError


@dataclass(frozen=True)
class TextVectors:
    """Unit embeddings of every project text and every organization's own description (zero rows where
    there is no text), indexed like :class:`GraphData`."""

    projects: np.ndarray
    organizations: np.ndarray


@dataclass
class History:
    """The registry as of ``day``. An organization's vector is the mean of its description's and of the
    texts of its projects before the day."""

    data: GraphData
    day: np.datetime64
    links: Links
    vectors: TextVectors | None = field(default=None, repr=False)
    undated: bool = False
    """Whether projects without a start count as seen (the present view; an as-of view cannot tell)."""

    @cached_property
    def adjacency(self) -> sp.csr_matrix:
        return self.links.adjacency()

    @cached_property
    def active(self) -> np.ndarray:
        """Organizations with at least one link before the day: the ones a method may suggest."""
        return self.links.endpoints()

    @cached_property
    def degree(self) -> np.ndarray:
        return np.asarray(self.adjacency.sum(axis=1)).ravel()

    @cached_property
    def adamic_adar(self) -> sp.csr_matrix:
        """Common partners weighted by 1 / log(their partner count): hubs say less than niche partners.
        The right-hand factor ``D^-1 A`` (``D``: log degrees), so that ``A[seekers] @ it`` gives the index."""
        weights = np.zeros_like(self.degree)
        many = self.degree > 1
        weights[many] = 1.0 / np.log(self.degree[many])
        return (sp.diags(weights) @ self.adjacency).tocsr()

    @cached_property
    def age_days(self) -> np.ndarray:
        """Each link's age at the day, in days; an undated link counts as infinitely old."""
        age = (self.day - self.links.since).astype("timedelta64[D]").astype(np.float64)
        return np.where(np.isnat(self.links.since), np.inf, age)

    @cached_property
    def seen(self) -> np.ndarray:
        """Per participation: whether its project started before the day."""
        start = self.data.project_start[self.data.part_project]
        return (start < self.day) | (self.undated & np.isnat(start))

    @cached_property
    def participation(self) -> sp.csr_matrix:
        """Organization x project incidence of the projects that started before the day."""
        d = self.data
        keep = self.seen
        ones = np.ones(int(keep.sum()))
        return sp.csr_matrix((ones, (d.part_org[keep], d.part_project[keep])), shape=(d.n_orgs, d.n_projects))

    @cached_property
    def has_text(self) -> np.ndarray:
        """Organizations with a description or some project text before the day."""
        with_text = (self.data.project_text != "").astype(np.float64)
        return ((self.participation @ with_text) > 0) | (self.data.org_text != "")

    @cached_property
    def tfidf(self) -> sp.csr_matrix:
        """Unit TF-IDF rows of each organization's project texts before the day."""
        d = self.data
        seen = np.flatnonzero((self.participation.sum(axis=0).A1 > 0) & (d.project_text != ""))
        described = np.flatnonzero(d.org_text != "")
        if not len(seen) and not len(described):
            return sp.csr_matrix((d.n_orgs, 0))
        counts = CountVectorizer(stop_words="english").fit_transform(
            np.concatenate([d.project_text[seen], d.org_text[described]])
        )
        own = sp.csr_matrix(
            (np.ones(len(described)), (described, np.arange(len(described)))),
            shape=(d.n_orgs, len(described)),
        )
        org_counts = self.participation[:, seen] @ counts[: len(seen)] + own @ counts[len(seen) :]
        return normalize(TfidfTransformer(sublinear_tf=True).fit_transform(org_counts)).tocsr()

    @cached_property
    def embeddings(self) -> np.ndarray:
        """Unit mean embedding of each organization's project texts before the day (zero rows without)."""
        if self.vectors is None:
            raise MatchingError("this history was built without text embeddings")
        # In float32 from the start, the projects' sums added in float64 as before: the same values, without
        # a float64 copy of every organization's vector (seconds at 100,000 organizations).
        total = np.array(self.vectors.organizations, dtype=np.float32)
        if self.participation.nnz:
            total += self.participation @ self.vectors.projects
        return normalize(total)


FAR_FUTURE = np.datetime64("9999-12-31", "D")


@dataclass(frozen=True)
class Split:
    """A history, the seekers asked at its day, and each seeker's true new partners."""

    history: History
    queries: np.ndarray
    relevant: list[np.ndarray]


def temporal_split(
    data: GraphData,
    split: np.datetime64,
    *,
    roles: set[str] | None,
    n_queries: int | None,
    seed: int,
    until: np.datetime64 = FAR_FUTURE,
    vectors: TextVectors | None = None,
) -> Split:
    """Links before ``split`` as history; links first seen in ``[split, until)`` among active ones as truth.

    Seekers are active organizations with some text and at least one new partner; ``roles=None`` takes
    every role, ``n_queries=None`` every eligible organization, else a draw with ``default_rng(seed)``.
    """
    history = History(data, split, data.links.before(split), vectors)
    future = data.links.between(split, until).among(history.active)
    gained = future.adjacency().tocsr()
    eligible = history.active & history.has_text & (np.diff(gained.indptr) > 0)
    if roles is not None:
        eligible &= np.isin(data.org_role, sorted(roles))
    candidates = np.flatnonzero(eligible)
    if n_queries is not None and n_queries < len(candidates):
        candidates = np.sort(np.random.default_rng(seed).choice(candidates, n_queries, replace=False))
    relevant = [gained.indices[gained.indptr[q] : gained.indptr[q + 1]] for q in candidates]
    return Split(history, candidates, relevant)
