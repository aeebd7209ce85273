"""Path attributions (Saabas): an approximation of TreeSHAP for the learned ranking's reasons, chosen only by
``CLUSTERKG_MATCHING_EXPLANATION=paths`` and named in the reasons' words when used.

Each split on a pair's path through a tree credits its feature with the change of the tree's expected value
(LightGBM's ``internal_value``) from the node to the child the pair goes to. A tree's credits plus its root's
value are its leaf's value, so a pair's attributions add up to its log-odds exactly, as TreeSHAP's do. Unlike
TreeSHAP, which averages a feature's effect over every order the path's features could be known in, they
credit each split with what it changed in the one order the tree asks: a feature split near the root can be
credited with what others decide further down. They are a lookup, not a search over feature subsets: per
tree, the credits of each leaf are summed once per model, and a pair's attributions are its leaves' credits.
On the 100,000-organization bench (``docs/matching.md``) they cost 2 ms of CPU for 10 pairs against 29 ms
for ``pred_contrib``, and the largest reason was TreeSHAP's in 1,904 of 2,000 pairs.
"""

from __future__ import annotations

from typing import Any

import lightgbm
import numpy as np


class PathAttributions:
    """Per booster, each leaf's credit per feature and its tree's root value (trees x leaves x features+1)."""

    def __init__(self, boosters: tuple[lightgbm.Booster, ...]) -> None:
        self.boosters = boosters
        self.credits = [_leaf_credits(booster) for booster in boosters]

    def __call__(self, pairs: np.ndarray, *, threads: int = 0) -> np.ndarray:
        """Per pair row, each feature's mean credit over the boosters, and the mean of the roots' values last:
        each row sums to the pair's mean log-odds."""
        each = []
        for booster, credits in zip(self.boosters, self.credits, strict=True):
            leaves = np.asarray(booster.predict(pairs, pred_leaf=True, num_threads=threads)).reshape(
                len(pairs), -1
            )
            each.append(credits[np.arange(credits.shape[0])[None, :], leaves].sum(axis=1))
        return np.mean(each, axis=0)


def _leaf_credits(booster: lightgbm.Booster) -> np.ndarray:
    """Credits of every leaf of every tree (trees x most leaves x features, then the root's value)."""
    features = booster.num_feature()
    trees = booster.dump_model()["tree_info"]
    widest = max(tree["num_leaves"] for tree in trees)
    credits = np.zeros((len(trees), widest, features + 1))
    for t, tree in enumerate(trees):
        root = tree["tree_structure"]
        credits[t, :, features] = _value(root)
        stack: list[tuple[dict[str, Any], np.ndarray]] = [(root, np.zeros(features))]
        while stack:
            node, path = stack.pop()
            if "leaf_index" in node:
                credits[t, node["leaf_index"], :features] = path
                continue
            for side in ("left_child", "right_child"):
                child = node[side]
                credit = path.copy()
                credit[node["split_feature"]] += _value(child) - node["internal_value"]
                stack.append((child, credit))
    return credits


def _value(node: dict[str, Any]) -> float:
    return float(node["leaf_value"] if "leaf_index" in node else node["internal_value"])
