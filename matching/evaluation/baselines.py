"""The simple methods every suggestion must beat, each a scorer over all organizations.

A scorer maps query organizations to a (queries, organizations) score matrix; higher is better. The ranking
step (``protocol.rank``) removes the query itself, its existing partners and inactive organizations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from matching.history import History

Scorer = Callable[[np.ndarray], np.ndarray]


def random_scorer(history: History, seed: int) -> Scorer:
    """Uniformly random order: the floor every method must clear."""
    rng = np.random.default_rng(seed)
    return lambda queries: rng.random((len(queries), history.data.n_orgs))


def most_connected_scorer(history: History) -> Scorer:
    """The same list for everyone: the organizations with the most partners so far."""
    degree = history.degree
    return lambda queries: np.broadcast_to(degree, (len(queries), len(degree)))


def adamic_adar_scorer(history: History) -> Scorer:
    """Common partners weighted by 1 / log(their partner count)."""
    right = history.adamic_adar
    adjacency = history.adjacency
    return lambda queries: (adjacency[queries] @ right).toarray()


DECAY_DAYS = 730.0
"""AA-DC's links weigh exp(-age / DECAY_DAYS)."""


def aa_dc_scorer(history: History) -> Scorer:
    """AA-DC, a training-free link predictor near the top of the OGB collaboration leaderboard: Adamic-Adar
    over links decayed by age, and for pairs with no common partner (below every pair with one) a length-3
    path score, so that the list never runs out of graph evidence while some remains."""
    decayed = history.links.weighted_adjacency(np.exp(-history.age_days / DECAY_DAYS))
    degree = history.degree
    inverse_log = np.zeros_like(degree)
    inverse_log[degree > 1] = 1.0 / np.log(degree[degree > 1])
    right = (sp.diags(inverse_log) @ decayed).tocsr()
    adjacency = history.adjacency

    def score(queries: np.ndarray) -> np.ndarray:
        rows = decayed[queries]
        two = (rows @ right).toarray()
        three = ((rows @ right) @ adjacency).toarray()
        common = (adjacency[queries] @ adjacency).toarray() > 0
        top2 = np.maximum(two.max(axis=1, keepdims=True), 1e-300)
        top3 = np.maximum(three.max(axis=1, keepdims=True), 1e-300)
        return np.where(common, 1.0 + two / top2, 0.999 * three / top3)

    return score


def tfidf_scorer(history: History) -> Scorer:
    """Cosine of TF-IDF vectors of the project texts each organization took part in."""
    tfidf = history.tfidf
    return lambda queries: (tfidf[queries] @ tfidf.T).toarray()


def embedding_scorer(history: History) -> Scorer:
    """Cosine of mean sentence embeddings of each organization's project texts."""
    vectors = history.embeddings
    return lambda queries: vectors[queries] @ vectors.T


def scorers(history: History, seed: int) -> dict[str, Scorer]:
    """The baselines both evaluations rank with (the temporal benchmark and the one on the graph as loaded),
    by the names their tables print, so that the two compare the product with the same methods."""
    return {
        "random": random_scorer(history, seed),
        "most-connected": most_connected_scorer(history),
        "adamic-adar": adamic_adar_scorer(history),
        "aa-dc": aa_dc_scorer(history),
        "tfidf": tfidf_scorer(history),
        "embedding": embedding_scorer(history),
    }
