"""The simple methods every suggestion must beat, each a scorer over all organizations.

A scorer maps query organizations to a (queries, organizations) score matrix; higher is better. The ranking
step (``protocol.rank``) removes the query itself, its existing partners and inactive organizations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from matching.evaluation.history import History

Scorer = Callable[[np.ndarray], np.ndarray]


def random_scorer(history: History, seed: int) -> Scorer:
    """Uniformly random order: the floor every method must clear."""
    rng = np.random.default_rng(seed)
    return lambda queries: rng.random((len(queries), history.data.n_orgs))


def most_connected_scorer(history: History) -> Scorer:
    """The same list for everyone: the organizations with the most partners so far."""
    degree = history.degree
    return lambda queries: np.broadcast_to(degree, (len(queries), len(degree)))


def adamic_adar_matrix(history: History) -> sp.csr_matrix:
    """Common partners weighted by 1 / log(their partner count): hubs say less than niche partners.

    Returned as the right-hand factor ``D^-1 A`` so that ``A[queries] @ it`` gives the scores.
    """
    degree = history.degree
    weights = np.zeros_like(degree)
    many = degree > 1
    weights[many] = 1.0 / np.log(degree[many])
    return (sp.diags(weights) @ history.adjacency).tocsr()


def adamic_adar_scorer(history: History) -> Scorer:
    right = adamic_adar_matrix(history)
    adjacency = history.adjacency
    return lambda queries: (adjacency[queries] @ right).toarray()


def tfidf_scorer(history: History) -> Scorer:
    """Cosine of TF-IDF vectors of the project texts each organization took part in."""
    tfidf = history.tfidf
    return lambda queries: (tfidf[queries] @ tfidf.T).toarray()


def embedding_scorer(history: History) -> Scorer:
    """Cosine of mean sentence embeddings of each organization's project texts."""
    vectors = history.embeddings
    return lambda queries: vectors[queries] @ vectors.T
