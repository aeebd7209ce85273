"""One seeker's nearest texts among every organization's, exactly, without reading every float32 vector.

A served suggestion needs, of one seeker's text cosines to 100,000 organizations, only its nearest few
hundred and the cosines of its pool (about 1,300). Reading the 150 MB of float32 vectors for them was the
longest step of a suggestion (6 ms of CPU). Here every organization's vector is also held as int8 (each row
scaled by its own largest component), and ONNX Runtime's integer product (MLAS, ``MatMulInteger``, which
leaves the GIL to the paths computed beside it) screens the 38 MB in about 2 ms. Each screened cosine comes
with a bound on its distance from the exact one, from the rounding alone:

    q . x = s_q s_x (q' + d) . (x' + e),  |d_j|, |e_j| <= 1/2
    |q . x - s_q s_x q' . x'| <= s_q s_x (|q'|_1 / 2 + |x'|_1 / 2 + dims / 4)

(``q'``, ``x'``: the int8 rows, ``s``: their scales), plus a margin for float32's own rounding of the exact
product. Whatever the k largest lower bounds' least is, an organization whose upper bound is below it
cannot be among the k nearest, nor tie with the k-th: the rest, usually a few thousand, are compared on
their exact float32 cosines. So the nearest texts are exactly those of the full product, ties at the cut
to the first columns as in :func:`~matching.feature_arrays.largest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from matching.feature_arrays import cosines, largest

MAGIC = np.float32(1.5 * 2**23)
CHUNK = 8192
SAMPLE_STEP = 32
FLOAT_MARGIN = 1e-4
"""Added to every bound: float32's rounding of a 384-term unit-vector product is below 3e-5."""


@dataclass
class Screened:
    """One seeker's screened cosines to every organization: ``approximate`` is within ``bound`` of each
    exact cosine (``vectors``' rows against ``seeker``'s, as :func:`cosines` computes them)."""

    vectors: np.ndarray
    seeker: np.ndarray
    approximate: np.ndarray
    bound: np.ndarray

    def exact(self, organizations: np.ndarray) -> np.ndarray:
        """The exact cosines of ``organizations`` (each row's own dot product, as in the full product);
        those computed before are read back."""
        known = self._known
        missing = organizations[np.isnan(known[organizations])]
        known[missing] = cosines(np.take(self.vectors, missing, axis=0), self.seeker)
        return known[organizations]

    def nearest(self, among: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Of the organizations ``among`` (a mask), the ``k`` with the largest exact cosines, ties at the cut
        to the first, in ascending order, and their cosines: what :func:`largest` picks from the full row
        restricted to ``among``."""
        k = min(k, int(np.count_nonzero(among)))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        floor = _kth_largest(np.where(among, self._lower, np.float32(-np.inf)), k)
        kept = np.flatnonzero((self._upper >= floor) & among)
        values = self.exact(kept)
        chosen = largest(values[None, :], k)[0]
        return kept[chosen], values[chosen]

    @cached_property
    def _lower(self) -> np.ndarray:
        return self.approximate - self.bound

    @cached_property
    def _upper(self) -> np.ndarray:
        return self.approximate + self.bound

    @cached_property
    def _known(self) -> np.ndarray:
        """The exact cosines computed so far, NaN elsewhere."""
        return np.full(len(self.approximate), np.nan, dtype=np.float32)


def _kth_largest(values: np.ndarray, k: int) -> np.floating[Any]:
    """The ``k``-th largest of ``values``. A partition of the values above a cut guessed from every 32nd
    value, when at least ``k`` are above it (else of all): a tenth of the time of partitioning all 100,000.
    """
    sample = values[::SAMPLE_STEP]
    wanted = min(len(sample), 2 * (k // SAMPLE_STEP) + 2)
    cut = np.partition(sample, len(sample) - wanted)[len(sample) - wanted]
    above = values[values >= cut]
    if len(above) < k:
        above = values
    return np.partition(above, len(above) - k)[len(above) - k]


@dataclass
class TextScreen:
    """Every organization's text vector (unit rows, or zero where it has no text) as int8, for
    :meth:`screen`. Built once per history; the product runs on one thread, as a served request's other
    steps do."""

    vectors: np.ndarray

    @cached_property
    def _parts(self) -> tuple[Any, np.ndarray, np.ndarray]:
        """The product's session, every row's scale (0 for a zero row), and each row's part of its bound,
        ``s_x (|x'|_1 / 2 + dims / 4)``. The int8 rows live in the session alone (packed for MLAS, about
        94 MiB at 100,000 organizations); a seeker's is quantized again when asked, the same way."""
        vectors = np.asarray(self.vectors, dtype=np.float32)
        scale = _scales(vectors)
        rows = np.empty(vectors.shape, dtype=np.int8)
        half_l1: np.ndarray = np.empty(len(vectors), dtype=np.float32)
        for start in range(0, len(vectors), CHUNK):  # a float32 copy of all at once: 150 MB more
            part = slice(start, start + CHUNK)
            rounded = _rounded(vectors[part], scale[part])
            half_l1[part] = np.add.reduce(np.abs(rounded), axis=1) / np.float32(2.0)  # integers: exact
            rows[part] = rounded
        half_l1 += np.float32(vectors.shape[1] / 4.0)
        return _session(rows), scale, scale * half_l1

    def prepare(self) -> TextScreen:
        """Quantize and pack the rows now (about 0.4 s for 20,000), not on the first :meth:`screen`."""
        _ = self._parts
        return self

    def screen(self, seeker: int) -> Screened:
        """The screened cosines of organization ``seeker``'s text to every organization's."""
        return self._screen(np.asarray(self.vectors[seeker], dtype=np.float32), self._parts[1][seeker])

    def against(self, vector: np.ndarray) -> Screened:
        """The screened cosines of any unit ``vector`` (float32) to every row: the seeker need not be one
        of them (``matching.index_check`` screens its held sample against a search's vector)."""
        return self._screen(vector, _scales(vector[None, :])[0])

    def _screen(self, vector: np.ndarray, s_q: np.float32) -> Screened:
        session, scale, own = self._parts
        mine = _rounded(vector[None, :], np.array([s_q], dtype=np.float32))[0]
        dots = session.run(None, {"seeker": (mine + np.float32(128.0)).astype(np.uint8)[None, :]})[0][0]
        # s_q s_x q'.x' and s_q (s_x |q'|_1 / 2 + s_x (|x'|_1 / 2 + dims / 4)): the seeker's terms of the
        # bound are its scale and |q'|_1 / 2.
        approximate = dots.astype(np.float32)
        approximate *= scale
        approximate *= s_q
        bound = scale * np.float32(np.abs(mine).sum() / 2.0)
        bound += own
        bound *= s_q
        bound += np.float32(FLOAT_MARGIN)
        return Screened(self.vectors, vector, approximate, bound)


def _scales(vectors: np.ndarray) -> np.ndarray:
    """Each row's largest absolute component over 127 (float32)."""
    peak = np.abs(vectors).max(axis=1) if vectors.size else np.zeros(len(vectors), dtype=np.float32)
    return (peak / np.float32(127.0)).astype(np.float32)


def _rounded(vectors: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The rows divided by their scales (a zero row stays zero) and rounded to the nearest integer, ties to
    even, in float32: adding and taking away 1.5 * 2**23 leaves no fraction (NumPy's ``rint`` takes
    twenty times as long here)."""
    rows = vectors / np.where(scale > 0, scale, np.float32(1.0))[:, None]
    rows += MAGIC
    rows -= MAGIC
    return rows


def _session(rows: np.ndarray) -> Any:
    """An ONNX Runtime session of ``uint8 (1 x dims) x int8 (dims x organizations) -> int32``, the seeker's
    row shifted by 128 (MLAS's fast path is unsigned times signed; the organizations' rows are a constant,
    which MLAS packs once: given with each call instead, the product takes three times as long)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    dims = rows.shape[1]
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["seeker", "organizations", "zero"], ["dots"])],
        "text_screen",
        [helper.make_tensor_value_info("seeker", TensorProto.UINT8, [1, dims])],
        [helper.make_tensor_value_info("dots", TensorProto.INT32, [1, len(rows)])],
        [
            numpy_helper.from_array(np.ascontiguousarray(rows.T), "organizations"),
            numpy_helper.from_array(np.array(128, dtype=np.uint8), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
