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


@dataclass
class History:
    """The registry as of ``day``. ``project_vectors`` are unit embeddings of project texts (zero rows where
    a project has no text); organizations' vectors are their means over the projects before the day."""

    data: EvalData
    day: np.datetime64
    links: Links
    project_vectors: np.ndarray | None = field(default=None, repr=False)

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
        """Organizations with some project text before the day."""
        with_text = (self.data.project_text != "").astype(np.float64)
        return (self.participation @ with_text) > 0

    @cached_property
    def tfidf(self) -> sp.csr_matrix:
        """Unit TF-IDF rows of each organization's project texts before the day."""
        texts = self.data.project_text
        seen = np.flatnonzero((self.participation.sum(axis=0).A1 > 0) & (texts != ""))
        if not len(seen):
            return sp.csr_matrix((self.data.n_orgs, 0))
        counts = CountVectorizer(stop_words="english").fit_transform(texts[seen])
        org_counts = self.participation[:, seen] @ counts
        return normalize(TfidfTransformer(sublinear_tf=True).fit_transform(org_counts)).tocsr()

    @cached_property
    def embeddings(self) -> np.ndarray:
        """Unit mean embedding of each organization's project texts before the day (zero rows without)."""
        if self.project_vectors is None:
            raise MatchingError("this history was built without project embeddings")
        return normalize(np.asarray(self.participation @ self.project_vectors, dtype=np.float32))
