"""The intervals `clusterkg eval` prints: what they say about two rankings of the same queries."""

from __future__ import annotations

import numpy as np

from matching.evaluation.intervals import difference_interval, mean_interval


def test_a_lead_on_most_queries_has_an_interval_above_zero() -> None:
    rng = np.random.default_rng(1)
    baseline = rng.random(1000) * 0.2
    better = baseline + rng.normal(0.01, 0.02, 1000)
    low, high = difference_interval(better, baseline)
    assert 0.0 < low < float(np.mean(better - baseline)) < high < 0.02


def test_two_methods_alike_up_to_noise_have_an_interval_around_zero() -> None:
    rng = np.random.default_rng(2)
    first, second = rng.random(1000), rng.random(1000)
    low, high = difference_interval(first, second)
    assert low < 0.0 < high
    # resampling the queries once for both: the paired interval of the same lists is a point
    assert difference_interval(first, first) == (0.0, 0.0)


def test_the_mean_lies_in_its_interval_which_narrows_with_more_queries() -> None:
    rng = np.random.default_rng(3)
    values = rng.random(4000) * 0.3
    few, many = mean_interval(values[:250]), mean_interval(values)
    assert few[0] < float(np.mean(values[:250])) < few[1]
    assert many[1] - many[0] < (few[1] - few[0]) / 2


def test_constant_or_single_values_give_the_figure_itself() -> None:
    assert mean_interval(np.zeros(17)) == (0.0, 0.0)
    assert mean_interval(np.array([0.25])) == (0.25, 0.25)
    assert difference_interval(np.array([0.5]), np.array([0.25])) == (0.25, 0.25)
