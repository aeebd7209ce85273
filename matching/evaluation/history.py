"""Everything known about the registry before a day: links, active organizations and what each works on.

A method ranks from a :class:`History` only, so nothing after the day can leak into a suggestion: the links
are those first seen before the day, and an organization's text is built from the titles and topics of the
projects it took part in that started before the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

from matching.evaluation.dataset import EvalData
from matching.evaluation.links import Links
from schema.errors import MatchingError


@dataclass(frozen=True)
class TextVectors:
    """Unit embeddings of every project text and every organization's own description (zero rows where
    there is no text), indexed like :class:`EvalData`."""

    projects: np.ndarray
    organizations: np.ndarray


@dataclass
class History:
    """The registry as of ``day``. An organization's vector is the mean of its description's and of the
    texts of its projects before the day."""

    data: EvalData
    day: np.datetime64
    links: Links
    vectors: TextVectors | None = field(default=None, repr=False)

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
    def participation(self) -> sp.csr_matrix:
        """Organization x project incidence of the projects that started before the day."""
        d = self.data
        keep = d.project_start[d.part_project] < self.day
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
        total = self.participation @ self.vectors.projects + self.vectors.organizations
        return normalize(np.asarray(total, dtype=np.float32))
