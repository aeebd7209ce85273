"""The TreeSHAP tables give LightGBM's own ``pred_contrib``: numeric splits of every missing type, categorical
splits, missing, zero, negative and unknown values, paths that split on one feature more than once, and
the mean over several models, as the ranker averages its bags."""

from __future__ import annotations

import lightgbm
import numpy as np
import pytest

from matching.treeshap import TreeShap


def _data(rng: np.random.Generator, rows: int) -> np.ndarray:
    x = rng.normal(size=(rows, 6))
    x[:, 4] = rng.integers(0, 5, rows)  # a categorical code
    x[rng.random(rows) < 0.1, 0] = np.nan
    x[rng.random(rows) < 0.2, 1] = 0.0
    return x


def _fit(params: dict[str, object], seed: int) -> lightgbm.Booster:
    rng = np.random.default_rng(seed)
    x = _data(rng, 3000)
    logit = np.nan_to_num(x[:, 0]) * x[:, 1] + np.sin(3 * x[:, 2]) + (x[:, 4] == 2) - (x[:, 4] == 3) * x[:, 3]
    y = (logit + rng.normal(scale=0.5, size=len(x))) > 0
    train = lightgbm.Dataset(x, y.astype(float), categorical_feature=[4], params={"verbose": -1})
    base = {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 20, "verbose": -1, "seed": seed}
    return lightgbm.train({**base, **params}, train, num_boost_round=60)


@pytest.mark.parametrize(
    "params",
    [{}, {"zero_as_missing": True}, {"use_missing": False}, {"max_cat_to_onehot": 8}],
    ids=["nan-missing", "zero-missing", "no-missing", "one-hot-categories"],
)
def test_the_tables_give_pred_contrib(params: dict[str, object]) -> None:
    booster = _fit(params, seed=1)
    rows = _data(np.random.default_rng(2), 400)
    rows[::7, 4] = np.nan  # a missing code
    rows[1::7, 4] = -1  # a negative one
    rows[2::7, 4] = 9  # one never seen in training
    rows[3::7, 2] = np.nan
    rows[4::7, 1] = -0.0
    expected = booster.predict(rows, pred_contrib=True)
    got = TreeShap((booster,))(rows)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert np.allclose(got.sum(axis=1), booster.predict(rows, raw_score=True), atol=1e-6)


def test_several_models_give_the_mean_of_their_contributions() -> None:
    boosters = tuple(_fit({}, seed) for seed in (3, 4, 5))
    rows = _data(np.random.default_rng(6), 200)
    expected = np.mean([b.predict(rows, pred_contrib=True) for b in boosters], axis=0)
    assert np.allclose(TreeShap(boosters)(rows), expected, rtol=1e-6, atol=1e-7)


def test_grouped_tables_give_each_groups_sum_of_pred_contrib() -> None:
    """Features summed per group (the ranker's reasons), including a group of one and a path that splits on
    two features of one group: each output is the sum of its features' ``pred_contrib``."""
    boosters = tuple(_fit({}, seed) for seed in (7, 8))
    rows = _data(np.random.default_rng(9), 300)
    groups = [0, 2, 0, 1, 2, 0]
    per_feature = np.mean([b.predict(rows, pred_contrib=True) for b in boosters], axis=0)
    expected = np.column_stack(
        [per_feature[:, [f for f, g in enumerate(groups) if g == group]].sum(axis=1) for group in range(3)]
        + [per_feature[:, -1]]
    )
    shap = TreeShap(boosters, groups=groups)
    assert len(shap.lookup_leaf) < len(TreeShap(boosters).lookup_leaf)  # fewer lookups than slots
    assert np.allclose(shap(rows), expected, rtol=1e-6, atol=1e-7)


def test_paths_repeat_features_and_every_decision_type_is_met() -> None:
    """The cases above are not vacuous: the models split on one feature twice along a path, and hold
    categorical splits and splits of each missing type."""
    tables = {
        name: TreeShap((_fit(params, seed=1),))
        for name, params in {"nan": {}, "zero": {"zero_as_missing": True}}.items()
    }
    for name, shap in tables.items():
        splits = shap.splits
        assert splits.categorical.any()
        assert (splits.nan_type if name == "nan" else splits.zero_type).any()
        # a slot whose leaf path holds more than one entry on its feature
        assert shap.repeated.shape[0]
