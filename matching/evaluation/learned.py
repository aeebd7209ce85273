"""The full method of the benchmark: gradient-boosted trees over pair features, fitted on an inner split.

To rank at day ``T`` the model is fitted on the history before ``T - horizon`` with labels = the links that
first appeared in ``[T - horizon, T)``: the same question one horizon earlier. Nothing on or after ``T`` is
read, so the test links of the benchmark never shape the model. Negatives are sampled uniformly, which shifts
the learned odds by a constant and leaves the order of candidates as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from matching.evaluation.baselines import Scorer
from matching.evaluation.dataset import EvalData
from matching.evaluation.features import CATEGORICAL, PairFeatures
from matching.evaluation.history import History, TextVectors
from matching.evaluation.protocol import Split, temporal_split

log = logging.getLogger(__name__)

HORIZON_DAYS = 365
"""Labels are the links of the last year before the day: chosen on a validation before 2019 (fit at 2017 with
labels 2017 vs fit at 2016 with labels 2016-17, both evaluated at 2018: recall@10 0.083 vs 0.077)."""
TRAIN_QUERIES = 3000
NEGATIVE_RATE = 0.03
CHUNK = 100


@dataclass(frozen=True)
class LearnedRanker:
    """A fitted pair classifier; its probability orders the candidates."""

    model: HistGradientBoostingClassifier

    @classmethod
    def fit(
        cls,
        data: EvalData,
        day: np.datetime64,
        *,
        vectors: TextVectors,
        roles: set[str] | None = None,
        seed: int = 0,
        horizon_days: int = HORIZON_DAYS,
        train_queries: int = TRAIN_QUERIES,
        negative_rate: float = NEGATIVE_RATE,
    ) -> LearnedRanker:
        """Fit on the history before ``day - horizon`` against the links of ``[day - horizon, day)``."""
        inner_day = day - np.timedelta64(horizon_days, "D")
        inner = temporal_split(
            data,
            inner_day,
            roles=roles,
            n_queries=train_queries,
            seed=seed,
            until=day,
            vectors=vectors,
        )
        return cls.fit_split(inner, seed=seed, negative_rate=negative_rate)

    @classmethod
    def fit_split(cls, inner: Split, *, seed: int = 0, negative_rate: float = NEGATIVE_RATE) -> LearnedRanker:
        """Fit on one split: its history gives the features, its relevant links the labels."""
        features = PairFeatures(inner.history)
        rng = np.random.default_rng(seed)
        xs, ys, ws = [], [], []
        for start in range(0, len(inner.queries), CHUNK):
            block = inner.queries[start : start + CHUNK]
            x = features.pairs(block)
            relevant = inner.relevant[start : start + CHUNK]
            label, allowed = _labels(inner.history, features.columns, block, relevant)
            keep = allowed & features.pool(x) & (label | (rng.random(label.shape) < negative_rate))
            # Every seeker counts about alike (recall is averaged over seekers), a seeker with many new
            # partners a little more: weight 1 / sqrt(its new partners). Negatives are not re-weighted for
            # their sampling: a constant shift of the odds leaves the order of candidates unchanged.
            weight = 1.0 / np.sqrt([max(len(r), 1) for r in relevant])
            xs.append(x[keep])
            ys.append(label[keep])
            ws.append(np.broadcast_to(weight[:, None], keep.shape)[keep])
        x_all, y_all, w_all = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
        log.info("fitting on %d pairs (%d new partners)", len(y_all), int(y_all.sum()))
        model = HistGradientBoostingClassifier(
            max_iter=500,
            learning_rate=0.05,
            max_leaf_nodes=31,
            min_samples_leaf=100,
            l2_regularization=1.0,
            categorical_features=CATEGORICAL,
            random_state=seed,
        )
        model.fit(x_all, y_all, sample_weight=w_all)
        return cls(model)

    def scorer(self, history: History) -> Scorer:
        """Scores over all organizations (non-candidates get -inf) for queries ranked at ``history.day``."""
        features = PairFeatures(history)
        columns = features.columns

        def score(queries: np.ndarray) -> np.ndarray:
            out = np.full((len(queries), history.data.n_orgs), -np.inf)
            x = features.pairs(queries)
            pool = features.pool(x)
            scores = np.full(pool.shape, -np.inf)
            scores[pool] = self.model.predict_proba(x[pool])[:, 1]
            out[:, columns] = scores
            return out

        return score


def _labels(
    history: History, columns: np.ndarray, queries: np.ndarray, relevant: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per (query, candidate): is it a new partner, and may it be suggested at all (not self, not partner)."""
    position = np.full(history.data.n_orgs, -1)
    position[columns] = np.arange(len(columns))
    label = np.zeros((len(queries), len(columns)), dtype=bool)
    for i, rel in enumerate(relevant):
        label[i, position[rel]] = True
    allowed = np.ones_like(label)
    partners = history.adjacency[queries].tocoo()
    allowed[partners.row, position[partners.col]] = False
    own = position[queries]
    allowed[np.arange(len(queries))[own >= 0], own[own >= 0]] = False
    return label, allowed
