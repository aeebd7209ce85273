"""``clusterkg tune``: train the learned ranking from the graph's own dated history, and save it.

The question ``suggest`` answers is "who will this organization work with next?". The graph's history asks
it of its own past: the features are taken as of a day one horizon before the end of the dated links, the
labels are the partners each organization gained after that day, and accepted and declined suggestions
answered before the end are labels too. A share of the seekers is held out of the fit; their recall@10
next to Adamic-Adar's, on the same seekers, goes into the model's metadata with the features and the days.

:func:`train` is the one way a model is made: ``tune`` trains at the present and saves the model where
``suggest`` loads it; ``eval`` trains at its split day and hands the model to ``suggest``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.evaluation.baselines import Scorer, adamic_adar_scorer
from matching.evaluation.protocol import rank, score_lists
from matching.feature_names import FEATURE_NAMES
from matching.features import PairFeatures
from matching.history import History, Split, temporal_split
from matching.ranker import ANCHORS, BAGS, CHUNK, HORIZON_DAYS, TRAIN_QUERIES, LearnedRanker
from matching.snapshot import Snapshot, keep
from matching.suggest import model_path
from schema.errors import MatchingError
from schema.settings import Settings

log = logging.getLogger(__name__)

HELD_OUT = 0.2
"""Share of the training seekers kept out of the fit for the figures (at most ``MAX_HELD_OUT``)."""
MAX_HELD_OUT = 500
"""The figures are a check that the model learned something, next to Adamic-Adar on the same seekers, not
a benchmark (``clusterkg eval`` is): 500 seekers put recall@10 within about ±0.01, and scoring each held-out
seeker's whole pool with LightGBM is most of ``tune``'s time at 100,000 organizations (1,000 cost 50 s)."""


@dataclass(frozen=True)
class TuneResult:
    """The trained ranker, and where it was saved (None: not saved)."""

    ranker: LearnedRanker
    path: Path | None


def train(
    snapshot: Snapshot,
    day: np.datetime64 | None = None,
    *,
    horizon_days: int = HORIZON_DAYS,
    train_queries: int = TRAIN_QUERIES,
    bags: int = BAGS,
    anchors: int = ANCHORS,
    seed: int = 0,
    held_out: bool = True,
) -> LearnedRanker:
    """Fit the ranker to use at ``day`` (None: the present) on the history before ``day - horizon`` with the
    links of ``[day - horizon, day)`` and the answers before ``day`` as labels, and on the same question
    asked up to ``anchors - 1`` horizons earlier (as far as dated links go).

    Raises :class:`MatchingError` when the graph has no dated links on both sides of the inner day: a
    region without dated history keeps the signal ranking."""
    day = training_day(snapshot) if day is None else day
    inner_day = day - np.timedelta64(horizon_days, "D")
    split = temporal_split(
        snapshot.data,
        inner_day,
        roles=None,
        n_queries=None,
        seed=seed,
        until=day,
        vectors=snapshot.vectors,
    )
    if len(split.history.links) == 0 or len(split.queries) < 2:
        raise MatchingError(
            f"No dated history to learn from: {len(split.history.links):,} links before {inner_day} and "
            f"{len(split.queries):,} organizations that gained a partner between {inner_day} and {day}; "
            "suggestions keep the signal ranking"
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(split.queries))
    kept = min(MAX_HELD_OUT, int(HELD_OUT * len(order))) if held_out else 0
    # The anchors that have history share the ``train_queries`` seekers, so a fit costs what one anchor's did.
    found = _earlier(snapshot, inner_day, horizon_days, anchors, seed)
    share = train_queries // (1 + len(found))
    earlier = [_subset(split, np.sort(drawn[:share])) for split, drawn in found]
    test, fit = np.sort(order[:kept]), np.sort(order[kept:])[:share]
    feedback = snapshot.feedback(day)
    ranker = LearnedRanker.fit_split(
        _subset(split, fit), earlier=earlier, feedback=feedback, seed=seed, bags=bags
    )
    figures = _figures(ranker, _subset(split, test)) if kept else {}
    ranker.metadata.update(
        {
            "features": list(FEATURE_NAMES),
            "day": str(day),
            "features_as_of": str(inner_day),
            "labels": f"links first seen in [{inner_day}, {day}) and {len(feedback.accepted)} answers",
            "seekers": {"fit": len(fit), "held_out": kept},
            "earlier": [
                {"features_as_of": str(e.history.day), "seekers": len(e.queries)} for e in reversed(earlier)
            ],
            "bags": bags,
            "held_out": figures,
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    return ranker


LATE_SHARE = 0.01
"""Training at the present ends at the day by which all but this share of the dated links had appeared: a
registry's last months are often thin (CORDIS, a late-2020 snapshot, dates a handful of links in 2022), and
a label year that ends there would hold few links."""


def training_day(snapshot: Snapshot) -> np.datetime64:
    """The day ``tune`` trains for (see :data:`LATE_SHARE`); the present when no link is dated."""
    since = snapshot.data.links.since
    dated = np.sort(since[~np.isnat(since)])
    if not len(dated):
        return snapshot.present
    return dated[min(len(dated) - 1, int((1 - LATE_SHARE) * len(dated)))] + np.timedelta64(1, "D")


def tune(snapshot: Snapshot, settings: Settings, *, seed: int = 0, save: bool = True) -> TuneResult:
    """Train at the present and (``save``) write the model where ``suggest`` reads it, and keep the snapshot
    it was trained on for the server that starts next (read again once the graph changes)."""
    ranker = train(snapshot, seed=seed)
    path = ranker.save(model_path(settings)) if save else None
    if save:
        keep(snapshot, settings)
    log.info("trained the ranking; %s", f"saved to {path}" if path else "not saved (a dry run)")
    log.debug("the ranking's metadata: %s", ranker.metadata)  # `tune` prints what a reader needs of it
    return TuneResult(ranker, path)


def _earlier(
    snapshot: Snapshot, inner_day: np.datetime64, horizon_days: int, anchors: int, seed: int
) -> list[tuple[Split, np.ndarray]]:
    """The same question asked one, two, ... horizons before ``inner_day`` (oldest first), each with its
    seekers in a seeded order (the fit takes the first of them); it stops at the first day without dated
    links before it or new partners after."""
    splits = []
    horizon = np.timedelta64(horizon_days, "D")
    for k in range(1, anchors):
        start = inner_day - k * horizon
        split = temporal_split(
            snapshot.data,
            start,
            roles=None,
            n_queries=None,
            seed=seed,
            until=start + horizon,
            vectors=snapshot.vectors,
        )
        if len(split.history.links) == 0 or len(split.queries) < 2:
            log.info("no dated history before %s: trained on %d anchors", start, k)
            break
        splits.append((split, np.random.default_rng([seed, k]).permutation(len(split.queries))))
    return splits[::-1]


def _subset(split: Split, keep: np.ndarray) -> Split:
    return Split(split.history, split.queries[keep], [split.relevant[i] for i in keep])


def learned_scorer(ranker: LearnedRanker, history: History) -> Scorer:
    """The ranker as a scorer over all organizations of ``history`` (-inf outside its pool), for ranking
    many seekers at once: the held-out figures here, the validation in ``bench/eval_validation.py``. Only the
    pools' columns get features: the scores are those of the full matrix (``tests/test_ranking.py``)."""
    features = PairFeatures(history)

    def score(queries: np.ndarray) -> np.ndarray:
        out = np.full((len(queries), history.data.n_orgs), -np.inf)
        pool = features.pool(queries)
        for rows, columns, x in features.blocks(queries, pool):
            out[rows, features.columns[columns]] = ranker.score(x, pool[rows][:, columns])
        return out

    return score


def _figures(ranker: LearnedRanker, held: Split) -> dict[str, dict[str, float]]:
    """recall@10, hit@10 and nDCG@10 of the ranker and of Adamic-Adar on the held-out seekers."""
    scorers = {
        "learned": learned_scorer(ranker, held.history),
        "adamic-adar": adamic_adar_scorer(held.history),
    }
    figures = {}
    for name, scorer in scorers.items():
        ranked = rank(held.history, scorer, held.queries, chunk=CHUNK)
        figures[name] = {k: round(v, 4) for k, v in score_lists(ranked, held.relevant).items()}
    return figures
