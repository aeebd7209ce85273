"""The full method of the benchmark: bagged boosted trees over pair features, fitted on an inner split.

To rank at day ``T`` the model is fitted on the history before ``T - horizon`` with labels = the links that
first appeared in ``[T - horizon, T)``: the same question one horizon earlier. Nothing on or after ``T`` is
read, so the test links of the benchmark never shape the model. Each seeker's candidates form one list,
ranked with LambdaRank. Every tree ensemble of the bag sees all new partners and its own, disjoint, uniform
sample of the other candidates of the pool; the bag's mean score orders the candidates. Averaging ensembles
fitted on different samples removes most of the sample's noise, which alone moved the validation by ~0.008
recall@10 for a single fit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np

from matching.evaluation.baselines import Scorer
from matching.evaluation.dataset import EvalData
from matching.evaluation.features import CATEGORICAL, PairFeatures
from matching.evaluation.history import History, TextVectors
from matching.evaluation.protocol import Split, temporal_split
from schema.errors import MatchingError

log = logging.getLogger(__name__)

HORIZON_DAYS = 365
"""Labels are the links of the last year before the day: chosen on a validation before 2019 (fit at 2017 with
labels 2017 vs fit at 2016 with labels 2016-17, both evaluated at 2018: recall@10 0.083 vs 0.077)."""
TRAIN_QUERIES = 3000
NEGATIVE_RATE = 0.03
"""Share of the pool's other candidates each ensemble of the bag is fitted on."""
BAGS = 5
"""Ensembles averaged: chosen on the validation (see the README, Evaluation)."""
CHUNK = 100
TREE_PARAMETERS = {
    "objective": "lambdarank",
    "learning_rate": 0.15,
    "num_leaves": 31,
    "min_data_in_leaf": 100,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 1,
}
"""One list per seeker, ordered by LambdaRank (NDCG's gain of swapping two candidates): the top of each list
is what is scored. One thread: on a shared machine OpenMP's spinning threads slowed the fit ten-fold."""
ROUNDS = 100


@dataclass(frozen=True)
class LearnedRanker:
    """A bag of fitted pair rankers; their mean score orders the candidates."""

    models: list[lgb.Booster]

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
        bags: int = BAGS,
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
        return cls.fit_split(inner, seed=seed, negative_rate=negative_rate, bags=bags)

    @classmethod
    def fit_split(
        cls, inner: Split, *, seed: int = 0, negative_rate: float = NEGATIVE_RATE, bags: int = BAGS
    ) -> LearnedRanker:
        """Fit on one split: its history gives the features, its relevant links the labels.

        Each pooled non-partner draws one uniform number; ensemble ``b`` takes those that fall in
        ``[b, b + 1) * negative_rate``, so the bag's samples are disjoint and one pass over the features
        serves them all."""
        if bags * negative_rate > 1.0:
            raise MatchingError(f"{bags} bags of {negative_rate:.0%} of the negatives each exceed them all")
        features = PairFeatures(inner.history)
        rng = np.random.default_rng(seed)
        xs, ys, ws, bag, seekers = [], [], [], [], []
        for start in range(0, len(inner.queries), CHUNK):
            block = inner.queries[start : start + CHUNK]
            x = features.pairs(block)
            relevant = inner.relevant[start : start + CHUNK]
            label, allowed = _labels(inner.history, features.columns, block, relevant)
            draw = rng.random(label.shape)
            keep = allowed & features.pool(x) & (label | (draw < bags * negative_rate))
            # Every seeker counts about alike (recall is averaged over seekers), a seeker with many new
            # partners a little more: weight 1 / sqrt(its new partners). Negatives are not re-weighted for
            # their sampling: a constant shift of the odds leaves the order of candidates unchanged.
            weight = 1.0 / np.sqrt([max(len(r), 1) for r in relevant])
            xs.append(x[keep])
            ys.append(label[keep])
            ws.append(np.broadcast_to(weight[:, None], keep.shape)[keep])
            seekers.append(start + np.nonzero(keep)[0])
            bag.append(np.where(label[keep], -1, (draw[keep] // negative_rate).astype(np.int64)))
        x_all, y_all, w_all = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
        bag_all, seeker_all = np.concatenate(bag), np.concatenate(seekers)
        log.info(
            "fitting %d ensembles on %d new partners among %d sampled pairs", bags, int(y_all.sum()), len(y_all)
        )
        categorical = [int(i) for i in np.flatnonzero(CATEGORICAL)]
        models = []
        for b in range(bags):
            rows = (bag_all == -1) | (bag_all == b)
            _, group = np.unique(seeker_all[rows], return_counts=True)  # rows come seeker by seeker
            train = lgb.Dataset(
                x_all[rows],
                y_all[rows].astype(np.float64),
                weight=w_all[rows],
                group=group,
                categorical_feature=categorical,
            )
            models.append(lgb.train({**TREE_PARAMETERS, "seed": seed + b}, train, num_boost_round=ROUNDS))
        return cls(models)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The bag's mean score of each row's pair (higher: more likely to become partners)."""
        return np.mean([model.predict(x, num_threads=1) for model in self.models], axis=0)

    def scorer(self, history: History) -> Scorer:
        """Scores over all organizations (non-candidates get -inf) for queries ranked at ``history.day``."""
        features = PairFeatures(history)
        columns = features.columns

        def score(queries: np.ndarray) -> np.ndarray:
            out = np.full((len(queries), history.data.n_orgs), -np.inf)
            x = features.pairs(queries)
            pool = features.pool(x)
            scores = np.full(pool.shape, -np.inf)
            scores[pool] = self.predict(x[pool])
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
