"""The full method of the benchmark: gradient-boosted trees over pair features, fitted on an inner split.

To rank at day ``T`` the models are fitted on the history before ``T - horizon`` with labels = the links that
first appeared in ``[T - horizon, T)``: the same question one horizon earlier. Nothing on or after ``T`` is
read, so the test links of the benchmark never shape the model. Negatives are sampled uniformly, which shifts
the learned odds by a constant and leaves the order of candidates as it was. A single sample is noisy (one
draw of 3 % of the negatives moved recall@10 on the validation by up to 0.004), so ``BAGS`` models are fitted,
each on its own draw, and their mean probability ranks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from lightgbm import LGBMClassifier

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
BAGS = 3
"""Chosen on the validations at 2017 and 2018: three bags raised recall@10 by 0.0024 and 0.0027 over the
mean of their single models."""
SHORTLIST = 200
"""Scoring is most of ``eval``'s time (68 s per model for the 6 million pool pairs of 1,000 seekers), so only
the first model scores the whole pool. On both validations (2017, 2018) a shortlist of even 100 gave the
same top 10 as every model on the whole pool, for every one of the 2,000 seekers."""
CHUNK = 100
CATEGORICAL_COLUMNS = [int(i) for i in np.flatnonzero(CATEGORICAL)]


@dataclass(frozen=True)
class LearnedRanker:
    """Fitted pair classifiers; their mean probability orders the candidates."""

    models: tuple[LGBMClassifier, ...]

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
        """Fit ``bags`` models on one split: its history gives the features, its relevant links the labels;
        every model keeps all positives and its own draw of negatives."""
        features = PairFeatures(inner.history)
        rngs = [np.random.default_rng([seed, bag]) for bag in range(bags)]
        samples: list[tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]] = [
            ([], [], []) for _ in rngs
        ]
        for start in range(0, len(inner.queries), CHUNK):
            block = inner.queries[start : start + CHUNK]
            x = features.pairs(block)
            relevant = inner.relevant[start : start + CHUNK]
            label, allowed = _labels(inner.history, features.columns, block, relevant)
            eligible = allowed & features.pool(x)
            # Every seeker counts about alike (recall is averaged over seekers), a seeker with many new
            # partners a little more: weight 1 / sqrt(its new partners). Negatives are not re-weighted for
            # their sampling: a constant shift of the odds leaves the order of candidates unchanged.
            weight = np.broadcast_to(1.0 / np.sqrt([max(len(r), 1) for r in relevant])[:, None], label.shape)
            for rng, (xs, ys, ws) in zip(rngs, samples, strict=True):
                keep = eligible & (label | (rng.random(label.shape) < negative_rate))
                xs.append(x[keep])
                ys.append(label[keep])
                ws.append(weight[keep])
        models = []
        for bag, (xs, ys, ws) in enumerate(samples):
            y = np.concatenate(ys)
            log.info(
                "fitting model %d of %d on %d pairs (%d new partners)", bag + 1, bags, len(y), int(y.sum())
            )
            model = LGBMClassifier(
                n_estimators=500,
                learning_rate=0.05,
                num_leaves=31,
                min_child_samples=100,
                reg_lambda=1.0,
                random_state=seed + bag,
                verbose=-1,
            )
            model.fit(
                np.concatenate(xs),
                y,
                sample_weight=np.concatenate(ws),
                categorical_feature=CATEGORICAL_COLUMNS,
            )
            models.append(model)
        return cls(tuple(models))

    def scorer(self, history: History) -> Scorer:
        """Scores over all organizations for queries ranked at ``history.day``: the first model scores each
        seeker's whole pool, every model its ``SHORTLIST`` best by that score, whose mean probability ranks;
        the rest get -inf (never suggested)."""
        features = PairFeatures(history)
        columns = features.columns

        def score(queries: np.ndarray) -> np.ndarray:
            x = features.pairs(queries)
            pool = features.pool(x)
            first = np.full(pool.shape, -np.inf)
            first[pool] = _probability(self.models[0], x[pool])
            top = min(SHORTLIST, pool.shape[1])
            shortlist = np.zeros_like(pool)
            np.put_along_axis(shortlist, np.argpartition(-first, top - 1, axis=1)[:, :top], True, axis=1)
            shortlist &= pool
            scores = np.full(pool.shape, -np.inf)
            pairs = x[shortlist]
            others = [_probability(m, pairs) for m in self.models[1:]]
            scores[shortlist] = np.mean([first[shortlist], *others], axis=0)
            out = np.full((len(queries), history.data.n_orgs), -np.inf)
            out[:, columns] = scores
            return out

        return score


def _probability(model: LGBMClassifier, pairs: np.ndarray) -> np.ndarray:
    """P(new partner) of each pair row."""
    return np.asarray(model.predict_proba(pairs))[:, 1]


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
