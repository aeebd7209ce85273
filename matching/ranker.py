"""The learned ranking: gradient-boosted trees over pair features, fitted on the graph's own dated history.

To rank at day ``T`` the models are fitted on the history before ``T - horizon`` with labels = the links that
first appeared in ``[T - horizon, T)``: the same question one horizon earlier, so nothing on or after ``T``
is read. Accepted and declined suggestions answered before ``T`` are labels too. Negatives are sampled
uniformly, which shifts the learned odds by a constant and leaves the order of candidates as it was. A
single sample is noisy (one draw of 3 % of the negatives moved recall@10 on the validation by up to 0.004),
so ``BAGS`` models are fitted, each on its own draw, and their mean log-odds ranks: the mean of their
per-feature contributions (LightGBM's ``pred_contrib``) then adds up to exactly the score that ranked.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
from lightgbm import LGBMClassifier

from matching.compiled import CompiledTrees
from matching.feature_names import CATEGORICAL, FEATURE_NAMES, REASON_INDEX
from matching.features import PairFeatures
from matching.history import Split
from matching.treeshap import TreeShap
from schema.errors import ConfigError

log = logging.getLogger(__name__)

HORIZON_DAYS = 365
"""Labels are the links of the last year before the day: chosen on a validation before 2019 (fit at 2017 with
labels 2017 vs fit at 2016 with labels 2016-17, both evaluated at 2018: recall@10 0.083 vs 0.077)."""
ANCHORS = 3
"""The question is asked at this many days, one horizon apart (the latest ``T - horizon``, then a horizon
before it, and so on as far as dated links go), and the models are fitted on all their pairs together, the
seekers shared between them: several periods' habits, not one year's, for the same fit. Three were chosen on
the validation ranked at 2018 with one year of truth (the one validation where a third anchor has history)
by a rule written before the runs (a mean over fit seeds 7 and 8 of at least two anchors' 0.08725 + 0.0010):
0.0887 / 0.0886 against 0.0887 / 0.0858. Ranked at 2017 the third is skipped (the anchors that have history
share the seekers, so it is the two-anchor ranking there). Seeds 9 and 10 at 2018, after the choice: 0.0846 /
0.0857 against 0.0861 / 0.0851, so the gain is within a fit seed's spread. Two had been chosen over one the
same way (0.0840 / 0.0852 against 0.0837 / 0.0825 at 2017)."""
TRAIN_QUERIES = 3000
"""Seekers fitted, shared alike by the anchors that have history."""
NEGATIVE_RATE = 0.03
BAGS = 3
"""Chosen on the validations at 2017 and 2018: three bags raised recall@10 by 0.0024 and 0.0027 over the
mean of their single models."""
LEAVES = 15
"""Leaves per tree, chosen on the validations against 31: recall@10 ranked at 2017 with two years of truth,
fit seeds 7-10, 0.0837 / 0.0825 / 0.0822 / 0.0826 (mean 0.0828) against 0.0808 / 0.0805 / 0.0808 / 0.0814
(mean 0.0809); 0.0832 against 0.0835 at 2018. Smaller trees also make TreeSHAP, which the reasons run, and
the compiled scores cheaper."""
SHORTLIST = 200
"""Only the first model scores a seeker's whole pool; every model scores its ``SHORTLIST`` best. On both
validations (2017, 2018) a shortlist of even 100 gave the same top 10 as every model on the whole pool."""
CHUNK = 100
CATEGORICAL_COLUMNS = [int(i) for i in np.flatnonzero(CATEGORICAL)]


@dataclass(frozen=True)
class Feedback:
    """Answered suggestions as labels: seeker and candidate indices, and whether each was accepted."""

    seekers: np.ndarray
    candidates: np.ndarray
    accepted: np.ndarray

    @classmethod
    def none(cls) -> Feedback:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0, dtype=bool))


@dataclass(frozen=True)
class LearnedRanker:
    """Fitted boosters and what they were fitted on (``metadata``: features, days, held-out figures).
    ``compiled``: the boosters as native code, which :meth:`score` uses once they are built (the same
    log-odds within float rounding for a seventh of the CPU; ``matching/compiled.py``)."""

    boosters: tuple[lightgbm.Booster, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    compiled: CompiledTrees | None = field(default=None, compare=False)

    def compiling(self, folder: Path) -> LearnedRanker:
        """This ranker, its trees compiled into ``folder`` in the background (LightGBM scores until then)."""
        return replace(self, compiled=CompiledTrees(self.boosters, folder))

    @classmethod
    def fit_split(
        cls,
        inner: Split,
        *,
        earlier: Sequence[Split] = (),
        feedback: Feedback | None = None,
        seed: int = 0,
        negative_rate: float = NEGATIVE_RATE,
        bags: int = BAGS,
    ) -> LearnedRanker:
        """Fit ``bags`` models on one split and the ``earlier`` ones (the same question asked one or more
        horizons before, oldest first): each history gives its pairs' features, its relevant links (and,
        for ``inner``, the feedback) the labels; every model keeps all positives and its own draw of
        negatives."""
        rngs = [np.random.default_rng([seed, bag]) for bag in range(bags)]
        samples: list[_Sample] = [([], [], []) for _ in rngs]
        for split in earlier:
            _sample(PairFeatures(split.history), split, rngs, negative_rate, samples)
        features = PairFeatures(inner.history)
        _sample(features, inner, rngs, negative_rate, samples)
        answered = _feedback_rows(features, feedback or Feedback.none())
        boosters = []
        for bag, (xs, ys, ws) in enumerate(samples):
            xs.append(answered[0])
            ys.append(answered[1])
            ws.append(np.ones(len(answered[1])))
            y = np.concatenate(ys)
            if y.all() or not y.any():
                raise ValueError("the training pairs hold only one class")
            log.info("fitting model %d of %d on %d pairs (%d positive)", bag + 1, bags, len(y), int(y.sum()))
            model = LGBMClassifier(
                n_estimators=500,
                learning_rate=0.05,
                num_leaves=LEAVES,
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
            boosters.append(model.booster_)
        return cls(tuple(boosters))

    def score(self, x: np.ndarray, pool: np.ndarray, *, threads: int = 0) -> np.ndarray:
        """Log-odds of each pair of ``x`` (seekers x candidates x features) where ``pool`` allows it: the
        first model scores the whole pool, every model its ``SHORTLIST`` best by that, and their mean ranks;
        everything else is -inf (never suggested). ``threads``: LightGBM's threads (0: one per core, for
        blocks of seekers; one seeker's request is cheaper on one, as a server answers several at once)."""
        compiled = self.compiled.ready() if self.compiled is not None else None
        first = np.full(pool.shape, -np.inf)
        first[pool] = self._raw(0, x[pool], threads, compiled)
        top = min(SHORTLIST, pool.shape[1])
        shortlist = np.zeros_like(pool)
        # A stable sort, not a partition: ties at the cut go to the first column, so scoring a seeker's
        # pool alone shortlists the very pairs that scoring all columns does.
        np.put_along_axis(shortlist, np.argsort(-first, axis=1, kind="stable")[:, :top], True, axis=1)
        shortlist &= pool
        pairs = x[shortlist]
        others = [self._raw(bag, pairs, threads, compiled) for bag in range(1, len(self.boosters))]
        scores = np.full(pool.shape, -np.inf)
        scores[shortlist] = np.mean([first[shortlist], *others], axis=0)
        return scores

    def _raw(self, bag: int, rows: np.ndarray, threads: int, compiled: list[Any] | None) -> np.ndarray:
        """Model ``bag``'s log-odds of ``rows``: compiled when built, else LightGBM's own predict (given
        float64, which it reads as is: float32 rows are converted value by value, 13 % slower)."""
        if compiled is None or not len(rows):
            x = rows.astype(np.float64)
            return np.asarray(self.boosters[bag].predict(x, raw_score=True, num_threads=threads))
        return np.asarray(compiled[bag].predict(rows, n_jobs=threads or os.cpu_count() or 1))

    def contributions(self, pairs: np.ndarray) -> np.ndarray:
        """Per pair row, each reason's mean contribution to the log-odds (``feature_names.REASONS`` order: the
        sum of its features' TreeSHAP values, LightGBM's ``pred_contrib``), and the bias last: each row sums
        to the score :meth:`score` gives the pair."""
        return self._treeshap(pairs)

    @cached_property
    def _treeshap(self) -> TreeShap:
        """The models' TreeSHAP tables, summed per reason, built the first time a request asks for reasons
        (about 2 s for three models of 500 trees; then about 5 ms of CPU for 10 pairs against LightGBM's
        30 ms; a reason's table holds the sum of its features', so a row needs 63,000 lookups instead of
        100,000)."""
        return TreeShap(self.boosters, groups=REASON_INDEX)

    def save(self, path: Path) -> Path:
        """One JSON file: the metadata and each booster as LightGBM's own model text."""
        body = {
            "features": list(FEATURE_NAMES),
            "metadata": self.metadata,
            "boosters": [booster.model_to_string() for booster in self.boosters],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(body), encoding="utf-8")
        partial.replace(path)
        return path


def load(path: Path, *, compile_into: Path | None = None) -> LearnedRanker | None:
    """The ranker saved at ``path`` (read once per file version), or None when none was trained.
    ``compile_into``: a folder where its trees are compiled to native code in the background (or read, when
    compiled before), for serving."""
    try:
        changed = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    return _load(path, changed, compile_into)


@lru_cache(maxsize=4)
def _load(path: Path, changed: int, compile_into: Path | None) -> LearnedRanker:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        boosters = tuple(lightgbm.Booster(model_str=text) for text in body["boosters"])
        features, metadata = body["features"], body["metadata"]
    except (OSError, ValueError, KeyError, TypeError, lightgbm.basic.LightGBMError) as e:
        raise ConfigError(f"Cannot read the ranking model {path}: {e}; rerun `clusterkg tune`") from e
    if features != list(FEATURE_NAMES) or not boosters:
        raise ConfigError(f"The ranking model {path} was fitted on other features; rerun `clusterkg tune`")
    ranker = LearnedRanker(boosters, metadata)
    return ranker if compile_into is None else ranker.compiling(compile_into)


_Sample = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]
"""One model's training pairs, in blocks: features, labels, weights."""


def _sample(
    features: PairFeatures,
    split: Split,
    rngs: list[np.random.Generator],
    negative_rate: float,
    samples: list[_Sample],
) -> None:
    """Append each model's pairs of ``split`` to its sample: every positive and its own draw of negatives."""
    for start in range(0, len(split.queries), CHUNK):
        block = split.queries[start : start + CHUNK]
        relevant = split.relevant[start : start + CHUNK]
        label, allowed = _labels(features, block, relevant)
        eligible = allowed & features.pool(block)
        # Every seeker counts about alike (recall is averaged over seekers), a seeker with many new
        # partners a little more: weight 1 / sqrt(its new partners).
        weight = np.broadcast_to(1.0 / np.sqrt([max(len(r), 1) for r in relevant])[:, None], label.shape)
        # The draws cover every (seeker, column) as they always did, so a seed gives the same pairs;
        # features are computed only for the pairs some model keeps, not for every column.
        keeps = [eligible & (label | (rng.random(label.shape) < negative_rate)) for rng in rngs]
        wanted = np.logical_or.reduce(keeps)
        x = features.rows(block, wanted)
        for keep, (xs, ys, ws) in zip(keeps, samples, strict=True):
            xs.append(x[keep[wanted]])
            ys.append(label[keep])
            ws.append(weight[keep])


def _labels(
    features: PairFeatures, queries: np.ndarray, relevant: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per (query, candidate): is it a new partner, and may it be suggested at all (not self, not partner)."""
    position = features.position
    label = np.zeros((len(queries), len(features.columns)), dtype=bool)
    for i, rel in enumerate(relevant):
        label[i, position[rel]] = True
    allowed = np.ones_like(label)
    partners = features.history.adjacency[queries].tocoo()
    allowed[partners.row, position[partners.col]] = False
    own = position[queries]
    allowed[np.arange(len(queries))[own >= 0], own[own >= 0]] = False
    return label, allowed


def _feedback_rows(features: PairFeatures, feedback: Feedback) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of the answered pairs whose candidate the history knows."""
    position = features.position
    known = position[feedback.candidates] >= 0
    seekers, candidates = feedback.seekers[known], position[feedback.candidates[known]]
    accepted = feedback.accepted[known]
    rows = np.zeros((len(seekers), len(FEATURE_NAMES)), dtype=np.float32)
    for seeker in np.unique(seekers):
        mine = seekers == seeker
        rows[mine] = features.pairs(np.array([seeker]), candidates[mine])[0]
    return rows, accepted
