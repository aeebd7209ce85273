"""How sure a benchmark figure is: 95 % bootstrap intervals over the queries.

A recall@10 is a mean over the drawn queries, and a few hundred of them each hold most of it (a company
whose two new partners are both found counts 1.0, one with forty counts 0.05 at best), so another draw of
1,000 companies moves it by several thousandths. Comparing two methods on the same queries is sharper than
comparing their intervals: the paired difference resamples the queries once for both, so what the two lists
share cancels. Percentile intervals, not BCa: they stay defined when every value is the same (random's
zeros on the cold-start slice), and with hundreds of queries the two agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import bootstrap

RESAMPLES = 2000
LEVEL = 0.95


def mean_interval(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """The 95 % interval of ``values``' mean over resampled queries."""
    if len(values) < 2:
        return _degenerate(values)
    return _percentile((values,), np.mean, seed)


def difference_interval(first: np.ndarray, second: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """The 95 % interval of ``mean(first) - mean(second)``, the same queries resampled for both."""
    if len(first) < 2:
        return _degenerate(first - second)
    return _percentile((first, second), lambda a, b, axis: np.mean(a - b, axis=axis), seed)


def _percentile(samples: tuple[np.ndarray, ...], statistic: Any, seed: int) -> tuple[float, float]:
    """The percentile interval of ``statistic`` over the queries resampled (together, when two)."""
    found = bootstrap(
        samples,
        statistic,
        paired=True,
        vectorized=True,
        n_resamples=RESAMPLES,
        confidence_level=LEVEL,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(found.confidence_interval.low), float(found.confidence_interval.high)


def _degenerate(values: np.ndarray) -> tuple[float, float]:
    """One query (or none) cannot be resampled: the interval is the figure itself."""
    mean = float(np.mean(values)) if len(values) else 0.0
    return mean, mean
