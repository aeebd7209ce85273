"""Exact TreeSHAP for a few rows at a time: the values of LightGBM's ``pred_contrib`` from tables built once
per model, so that a request's reasons cost lookups instead of a walk of every tree's every path.

Path-dependent TreeSHAP (Lundberg et al., 2020) is a sum over leaves. For one leaf of value ``v``, let ``P``
be the ``k`` distinct features split on along its path, ``z_j`` the share of the training rows that follow
the path at the splits on ``j`` (the product of child count over parent count) and ``o_j`` 1 when the row
itself follows the path at every split on ``j``, else 0. The leaf adds to each feature ``i`` of ``P``

    v (o_i - z_i) sum over S in P - {i} of |S|! (k - |S| - 1)! / k!  prod_{j in S} o_j  prod_{j not in S} z_j

(the second product over ``P - {i} - S``) and ``v prod_j z_j`` to the bias. The ``o_j`` are bits, so a leaf's
share depends on a row only through a mask of ``k`` bits: the shares of all ``2^k`` masks are tabled once
(the idea of FastTreeSHAP v2, Yang 2022). On the served models ``k`` is at most 11 and the tables hold 6.7
million numbers (25 MiB as float32). A row's values are then its decision at every split, a mask per leaf and
one lookup per (leaf, feature on its path), summed per feature: LightGBM's sum in another order, equal to
about 1e-7 of each value (``tests/test_treeshap.py``).

The ``shap`` and ``fasttreeshap`` packages hand a LightGBM model with categorical splits (the roles) back to
``pred_contrib`` itself, which is why this module exists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm
import numpy as np
import scipy.sparse as sp

ZERO = 1e-35
"""LightGBM's ``kZeroThreshold``: a value this close to 0 is zero to a split whose missing type is Zero."""


@dataclass(frozen=True)
class _Splits:
    """Every split of every tree: its feature and threshold, how it treats a missing value (its missing type
    is NaN, Zero or else None; ``default_left``) and, for a categorical one, which codes go left
    (``categories``: a row per categorical split, in order)."""

    feature: np.ndarray
    threshold: np.ndarray
    nan_type: np.ndarray
    zero_type: np.ndarray
    default_left: np.ndarray
    categorical: np.ndarray
    categories: np.ndarray

    def left(self, rows: np.ndarray) -> np.ndarray:
        """Whether each row goes left at each split (splits x rows), as LightGBM decides (``Tree::Decision``):
        a missing value is 0 unless the split's missing type is NaN; a missing value at a NaN split, or a
        zero at a Zero split, takes the default way; a categorical split sends a missing, negative or unknown
        code right."""
        columns = np.ascontiguousarray(rows.T)  # a split reads its feature's values of the rows at once
        values = np.take(columns, self.feature, axis=0)
        missing = np.isnan(values)
        nan_type = self.nan_type[:, None]
        values = np.where(missing & ~nan_type, 0.0, values)
        left = values <= self.threshold[:, None]
        if self.nan_type.any() or self.zero_type.any():
            default = (self.zero_type[:, None] & (np.abs(values) <= ZERO)) | (nan_type & missing)
            left = np.where(default, self.default_left[:, None], left)
        if not self.categorical.any():
            return left
        where = np.flatnonzero(self.categorical)
        codes = np.take(columns, self.feature[where], axis=0)
        known = np.isfinite(codes) & (codes >= 0) & (codes < self.categories.shape[1])
        index = np.where(known, codes, 0).astype(np.int64)
        left[where] = known & self.categories[np.arange(len(where))[:, None], index]
        return left


class TreeShap:
    """TreeSHAP tables of one or more boosters; calling it gives their mean ``pred_contrib``.

    A *slot* is one feature on one leaf's path (about 100,000 on the served models), a bit of the leaf's
    mask. A row's work: its decision at every split; each leaf's mask, a sparse product of the decisions
    (below); each lookup's entry in its leaf's table (one gather); the entries summed per output. Each
    step's array holds the rows asked at once side by side (leaves or lookups x rows), and a leaf's table
    is stored output by output, so those rows, which mostly share a mask, read the same few cache lines.

    A row follows a path entry (a split, and the way the path takes there) when its decision there is that
    way: ``1 - way + (2 way - 1) decision``, linear in the decision. A slot with one entry adds its bit
    times that to its leaf's mask: a constant and a sparse product of the decisions. A slot with several
    entries (the path splits on its feature more than once) is followed when all are: when the sum of
    those terms is its entry count, another sparse product. The products release the GIL, and took about
    10 % less CPU than gathering the decisions slot by slot."""

    def __init__(
        self, boosters: tuple[lightgbm.Booster, ...], groups: Sequence[int] | np.ndarray | None = None
    ) -> None:
        """``groups``: the output column of each feature, whose contributions it sums (None: a column per
        feature). A leaf's table then holds each group's sum of its features' shares: fewer lookups per row
        where a path splits on several features of one group."""
        self.features = boosters[0].num_feature()
        group_of = np.arange(self.features) if groups is None else np.asarray(groups, dtype=np.int64)
        self.outputs = int(group_of.max(initial=-1)) + 1
        builder = _Builder(scale=1.0 / len(boosters), groups=group_of)
        for booster in boosters:
            for tree in booster.dump_model()["tree_info"]:
                builder.tree(tree["tree_structure"])
        self.bias = builder.bias
        self.splits = builder.splits()
        leaves, splits = builder.leaves, len(builder.feature)
        slot_leaf = np.asarray(builder.slot_leaf, dtype=np.int64)
        slots = len(slot_leaf)
        # A leaf's slots are consecutive, in the order of their bits in its masks.
        bit = np.ldexp(1.0, np.arange(slots) - _starts(slot_leaf, leaves)[slot_leaf])
        entry_slot = np.asarray(builder.entry_slot, dtype=np.int64)
        entry_split = np.asarray(builder.entry_split, dtype=np.int64)
        way = np.asarray(builder.entry_left, dtype=np.float64)
        count = np.bincount(entry_slot, minlength=slots)
        one = count[entry_slot] == 1  # per entry: the only one of its slot
        slot, split = entry_slot[one], entry_split[one]
        self.constant = np.bincount(slot_leaf[slot], weights=bit[slot] * (1 - way[one]), minlength=leaves)
        self.single = sp.csr_matrix(
            (bit[slot] * (2 * way[one] - 1), (slot_leaf[slot], split)), shape=(leaves, splits)
        )
        repeated = np.flatnonzero(count > 1)
        row = np.full(slots, -1)
        row[repeated] = np.arange(len(repeated))
        many = row[entry_slot[~one]]
        self.repeated = sp.csr_matrix(
            (2 * way[~one] - 1, (many, entry_split[~one])), shape=(len(repeated), splits)
        )
        self.repeated_target = count[repeated] - np.bincount(
            many, weights=1 - way[~one], minlength=len(repeated)
        )
        self.repeated_bits = sp.csr_matrix(
            (bit[repeated], (slot_leaf[repeated], np.arange(len(repeated)))), shape=(leaves, len(repeated))
        )
        # A *lookup* is one group on one leaf's path: its entry in the leaf's table for the row's mask; int32
        # offsets while the tables fit (the lookups' entries are the largest arrays of a call).
        self.lookup_leaf = np.asarray(builder.lookup_leaf, dtype=np.int64)
        offset_type = np.int32 if builder.size < 2**31 else np.int64
        self.lookup_base = np.asarray(builder.lookup_base, dtype=offset_type)[:, None]
        self.table = builder.table.astype(np.float32)
        lookups = len(self.lookup_leaf)
        self.to_outputs = sp.csr_matrix(
            (np.ones(lookups), (np.asarray(builder.lookup_group, dtype=np.int64), np.arange(lookups))),
            shape=(self.outputs, lookups),
        )

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """Per row, each output's (feature's or group's) contribution to the mean log-odds, and the bias last
        (rows x outputs+1). The tables are float32: a contribution differs from LightGBM's by about 1e-7 of
        its size."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, self.features)
        left = self.splits.left(rows).astype(np.float64)  # splits x rows
        masks = self.single @ left + self.constant[:, None]  # leaves x rows; sums of bits, exact in float64
        masks += self.repeated_bits @ (self.repeated @ left == self.repeated_target[:, None])
        entries = np.take(masks.astype(self.lookup_base.dtype), self.lookup_leaf, axis=0)  # lookups x rows
        entries += self.lookup_base
        shares = np.take(self.table, entries).astype(np.float64)
        contributions = np.asarray(self.to_outputs @ shares).T
        return np.column_stack([contributions, np.full(len(rows), self.bias)])


class _Builder:
    """Walks the trees once, collecting the splits, each leaf's slots, lookups and path entries, and its
    table."""

    def __init__(self, scale: float, groups: np.ndarray) -> None:
        self.scale = scale
        self.groups = groups
        self.bias = 0.0
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.categories: list[list[int]] = []
        self.missing: list[str] = []
        self.default_left: list[bool] = []
        self.entry_split: list[int] = []
        self.entry_left: list[bool] = []
        self.entry_slot: list[int] = []
        self.slot_leaf: list[int] = []
        self.lookup_leaf: list[int] = []
        self.lookup_group: list[int] = []
        self.lookup_base: list[int] = []
        self.by_width: dict[int, list[tuple[int, float, list[float], list[int]]]] = {}
        self.size = 0
        self.leaves = 0

    def tree(self, root: dict[str, Any]) -> None:
        total = float(root.get("internal_count", root.get("leaf_count", 0)))
        stack: list[tuple[dict[str, Any], list[tuple[int, bool, int, float]]]] = [(root, [])]
        while stack:
            node, path = stack.pop()
            if "leaf_index" in node:
                self._leaf(float(node["leaf_value"]) * self.scale, float(node["leaf_count"]) / total, path)
                continue
            split = self._split(node)
            count = float(node["internal_count"])
            for side, goes_left in (("left_child", True), ("right_child", False)):
                child = node[side]
                share = float(child.get("internal_count", child.get("leaf_count"))) / count
                stack.append((child, [*path, (split, goes_left, int(node["split_feature"]), share)]))

    def _split(self, node: dict[str, Any]) -> int:
        self.feature.append(int(node["split_feature"]))
        self.missing.append(str(node["missing_type"]))
        self.default_left.append(bool(node["default_left"]))
        if node["decision_type"] == "==":
            self.threshold.append(np.nan)
            self.categories.append([int(c) for c in str(node["threshold"]).split("||")])
        elif node["decision_type"] == "<=":
            self.threshold.append(float(node["threshold"]))
            self.categories.append([])
        else:
            raise ValueError(f"decision type {node['decision_type']} is not supported")
        return len(self.feature) - 1

    def _leaf(self, value: float, reach: float, path: list[tuple[int, bool, int, float]]) -> None:
        """One leaf: ``reach`` is the share of training rows that end in it (its weight in the bias)."""
        self.bias += value * reach
        if not path:
            return
        first = len(self.slot_leaf)
        slots: dict[int, int] = {}
        zero: list[float] = []
        for split, goes_left, feature, share in path:
            local = slots.setdefault(feature, len(slots))
            if local == len(zero):
                zero.append(1.0)
            zero[local] *= share
            self.entry_split.append(split)
            self.entry_left.append(goes_left)
            self.entry_slot.append(first + local)
        width = len(zero)
        self.slot_leaf.extend([self.leaves] * width)
        lookups: dict[int, int] = {}  # the path's groups, in the order of their first feature
        member = [lookups.setdefault(int(self.groups[feature]), len(lookups)) for feature in slots]
        for group, local in lookups.items():
            self.lookup_leaf.append(self.leaves)
            self.lookup_group.append(group)
            self.lookup_base.append(self.size + (local << width))
        self.by_width.setdefault(width, []).append((self.size, value, zero, member))
        self.size += len(lookups) << width
        self.leaves += 1

    @property
    def table(self) -> np.ndarray:
        """Every leaf's table (its value times :func:`shares`, summed per group) at its offset, group by
        group: a group's shares of every mask together."""
        table = np.zeros(self.size)
        for width, leaves in self.by_width.items():
            offsets = np.array([offset for offset, _, _, _ in leaves])
            values = np.array([value for _, value, _, _ in leaves])
            member = np.array([m for _, _, _, m in leaves])  # leaves x features: each one's group on the path
            blocks = shares(np.array([zero for _, _, zero, _ in leaves])).transpose(0, 2, 1)
            blocks *= values[:, None, None]
            grouped = np.zeros_like(blocks)
            np.add.at(grouped, (np.arange(len(leaves))[:, None], member), blocks)
            used = np.arange(width)[None, :] <= member.max(axis=1)[:, None]  # leaves x groups on the path
            at = offsets[:, None, None] + (np.arange(width)[None, :, None] << width) + np.arange(1 << width)
            table[at[used]] = grouped[used]
        return table

    def splits(self) -> _Splits:
        codes = max((max(c) for c in self.categories if c), default=-1) + 1
        categories = [c for c in self.categories if c]
        table = np.zeros((len(categories), max(codes, 1)), dtype=bool)
        for row, codes_left in enumerate(categories):
            table[row, codes_left] = True
        return _Splits(
            np.asarray(self.feature, dtype=np.int64),
            np.asarray(self.threshold, dtype=np.float64),
            np.asarray(self.missing) == "NaN",
            np.asarray(self.missing) == "Zero",
            np.asarray(self.default_left, dtype=bool),
            np.asarray([bool(c) for c in self.categories], dtype=bool),
            table,
        )


def _starts(groups: np.ndarray, count: int) -> np.ndarray:
    """Where each of ``count`` groups starts among ``groups`` sorted by group (each group present)."""
    return np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=count))[:-1]]).astype(np.int64)


def shares(zero: np.ndarray) -> np.ndarray:
    """For leaves of value 1 whose paths' ``k`` features have zero fractions ``zero`` (leaves x k): per leaf,
    per mask of the features the row follows (bit j: feature j), each feature's share (leaves x 2^k x k).
    The sum over subsets S of the path's other features is the polynomial prod_{j != i} (z_j + o_j t),
    whose coefficient of t^s sums the subsets of size s."""
    leaves, k = zero.shape
    masks = np.arange(2**k)
    one = ((masks[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)  # 2^k x k
    weights = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    result = np.zeros((leaves, 2**k, k))
    for i in range(k):
        poly = np.zeros((leaves, 2**k, k))
        poly[:, :, 0] = 1.0
        for j in range(k):
            if j != i:
                shifted = np.zeros_like(poly)
                shifted[:, :, 1:] = poly[:, :, :-1]
                poly = poly * zero[:, j, None, None] + shifted * one[None, :, j, None]
        result[:, :, i] = (one[None, :, i] - zero[:, i, None]) * (poly @ weights)
    return result
