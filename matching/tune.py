"""``clusterkg tune``: fit the signal weights to what organizations actually chose.

Positives are accepted suggestions and historical collaborations; negatives are declined suggestions and
random organizations the seeker never worked with. A logistic regression over the five signals (the exact
signals ``suggest`` ranks by) gives one coefficient per signal; negative ones are set to zero and the rest
normalized to sum 1, the form the score needs. Pairs are split by seeker into a fitting and a held-out part,
and the held-out ranking quality (ROC AUC, average precision) is reported before and after.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from graph.db import Graph
from graph.queries import matching as queries
from matching import signals
from matching.seeker import organization_seeker
from matching.suggest import candidate_signals
from schema.errors import MatchingError
from schema.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuneResult:
    """Weights before and after, and the held-out figures of each."""

    before: dict[str, float]
    after: dict[str, float]
    figures: dict[str, dict[str, float]]
    pairs: dict[str, int]
    path: Path | None


def _signal_matrix(
    graph: Graph, settings: Settings, labelled: dict[str, dict[str, bool]], sampled: dict[str, set[str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signals of every labelled (seeker, candidate) pair: features, labels, and the seeker group of each.
    A sampled negative that turns out to be a partner of the seeker is dropped."""
    role_fit = signals.role_fit_matrix(settings)
    rows, labels, groups = [], [], []
    for group, (seeker_id, candidates) in enumerate(labelled.items()):
        try:
            seeker = organization_seeker(graph, seeker_id, need=None, settings=settings)
        except MatchingError:
            continue  # nothing embedded to match with
        inputs = graph.run(queries.PAIR_SIGNAL_INPUTS, seeker=seeker_id, ids=list(candidates), vector=None)
        for row in (record["candidate"] for record in inputs):
            if row["id"] in sampled[seeker_id] and row["id"] in seeker.partners:
                continue
            candidate = candidate_signals(seeker, row, settings, role_fit)
            rows.append([candidate.signals[name] for name in signals.SIGNALS])
            labels.append(candidates[row["id"]])
            groups.append(group)
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=bool), np.array(groups)


def _figures(x: np.ndarray, y: np.ndarray, weights: dict[str, float]) -> dict[str, float]:
    scores = x @ np.array([weights[name] for name in signals.SIGNALS])
    if y.all() or not y.any():
        return {"roc_auc": float("nan"), "average_precision": float("nan")}
    return {
        "roc_auc": round(float(roc_auc_score(y, scores)), 4),
        "average_precision": round(float(average_precision_score(y, scores)), 4),
    }


def tune(
    graph: Graph,
    settings: Settings,
    *,
    max_pairs: int = 4000,
    negatives_per_positive: int = 3,
    held_out: float = 0.3,
    seed: int = 7,
    save: bool = True,
) -> TuneResult:
    """Fit, compare on held-out seekers, and (``save``) write the weights where ``suggest`` reads them."""
    rng = random.Random(seed)
    known = graph.run(queries.TRAINING_PAIRS, limit=max_pairs)
    if not known:
        raise MatchingError("Nothing to learn from: no collaborations and no feedback in the graph")
    pool = [row["id"] for row in graph.run(queries.RANDOM_ORGANIZATIONS, limit=max(200, max_pairs))]
    labelled: dict[str, dict[str, bool]] = defaultdict(dict)
    for row in known:
        labelled[row["seeker"]][row["candidate"]] = bool(row["accepted"])
    sampled: dict[str, set[str]] = defaultdict(set)
    for seeker_id, candidates in labelled.items():
        wanted = negatives_per_positive * sum(candidates.values())
        for other in rng.sample(pool, min(len(pool), 2 * wanted + 5)):
            if len(sampled[seeker_id]) >= wanted:
                break
            if other != seeker_id and other not in candidates:
                candidates[other] = False
                sampled[seeker_id].add(other)
    x, y, groups = _signal_matrix(graph, settings, labelled, sampled)
    if y.all() or not y.any():
        raise MatchingError("Need both positive and negative pairs to tune")
    seekers = np.unique(groups)
    rng_np = np.random.default_rng(seed)
    test_groups = rng_np.choice(seekers, size=max(1, int(held_out * len(seekers))), replace=False)
    test = np.isin(groups, test_groups)
    train = ~test
    if y[train].all() or not y[train].any():
        train = np.ones_like(test)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    model.fit(x[train], y[train])
    coefficients = {name: max(0.0, float(c)) for name, c in zip(signals.SIGNALS, model.coef_[0], strict=True)}
    before = signals.load_weights(settings)
    after = signals.normalized(coefficients) if sum(coefficients.values()) > 0 else before
    figures = {"before": _figures(x[test], y[test], before), "after": _figures(x[test], y[test], after)}
    pairs = {
        "positive": int(y.sum()),
        "negative": int((~y).sum()),
        "held_out": int(test.sum()),
        "seekers": int(len(seekers)),
    }
    path = signals.save_weights(settings, after, {**figures, "pairs": pairs}) if save else None
    log.info("tuned weights on %d pairs: %s", len(y), after)
    return TuneResult(before=before, after=after, figures=figures, pairs=pairs, path=path)
