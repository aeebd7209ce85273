"""A BERT encoder written as an ONNX graph straight from its safetensors weights: no torch, no tracing.

all-MiniLM-L6-v2 is a BERT encoder (6 layers, 12 heads, 384 wide). Its forward pass is a short list of
standard ONNX operators (embedding look-ups, layer norms, matrix products, softmax attention, erf GELU), so
the graph is written here operator by operator and the weights copied in. Torch's own exporter would do the
same by tracing, but it needs torch installed and its TorchScript route is deprecated; this needs numpy, onnx
and safetensors, and gives the same vectors (cosine 1.0000 to the torch model, ``tests/test_encoders.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from schema.errors import MatchingError

OPSET = 20
"""Gelu is an operator from opset 20 on (LayerNormalization from 17)."""
CONTRIB = "com.microsoft"
"""ONNX Runtime's own operators: MatMulIntegerToFloat."""
MASKED = -1e4
"""Added to the attention scores of padding tokens (as BERT does): their softmax weight becomes 0."""


class _Graph:
    """Nodes and weights as they are added; each operator's output gets a fresh name."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: dict[str, onnx.TensorProto] = {}

    def const(self, name: str, value: Any) -> str:
        if name not in self.weights:
            self.weights[name] = numpy_helper.from_array(np.asarray(value), name)
        return name

    def scalar(self, name: str, value: float) -> str:
        return self.const(name, np.array(value, dtype=np.float32))

    def op(self, kind: str, inputs: list[str], **attributes: Any) -> str:
        out = f"{kind.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(kind, inputs, [out], **attributes))
        return out


def _weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    path = folder / "model.safetensors"
    if not path.is_file():
        raise MatchingError(f"The ONNX backends read model.safetensors; {folder} has none: use torch")
    weights = load_file(str(path))
    return {name.removeprefix("bert."): array for name, array in weights.items()}


def build(folder: Path, out: Path, *, int8: bool = False) -> None:
    """Write the BERT model of ``folder`` (config.json, model.safetensors) as ``out``: inputs input_ids,
    attention_mask and token_type_ids, output last_hidden_state (the token embeddings). ``int8``: the
    linear layers multiply in 8 bits (:func:`_int8_linear`); attention and the norms stay float32."""
    config = json.loads((folder / "config.json").read_text())
    kind = (
        config.get("model_type"),
        config.get("hidden_act"),
        config.get("position_embedding_type", "absolute"),
    )
    if kind != ("bert", "gelu", "absolute"):
        raise MatchingError(f"The ONNX backends support BERT models (GELU, absolute positions), not {kind}")
    w = _weights(folder)
    g = _Graph()
    hidden, heads = config["hidden_size"], config["num_attention_heads"]

    quantized: dict[str, tuple[str, str]] = {}

    def linear(x: str, name: str) -> str:
        if int8:
            if x not in quantized:
                quantized[x] = _quantize_tokens(g, x)
            return _int8_linear(g, *quantized[x], w[f"{name}.weight"], w[f"{name}.bias"], name)
        weight = g.const(f"{name}.weight", np.ascontiguousarray(w[f"{name}.weight"].T))
        return g.op("Add", [g.op("MatMul", [x, weight]), g.const(f"{name}.bias", w[f"{name}.bias"])])

    def norm(x: str, name: str) -> str:
        scale, shift = (
            g.const(f"{name}.weight", w[f"{name}.weight"]),
            g.const(f"{name}.bias", w[f"{name}.bias"]),
        )
        return g.op(
            "LayerNormalization", [x, scale, shift], axis=-1, epsilon=config.get("layer_norm_eps", 1e-12)
        )

    def embedding(name: str, ids: str) -> str:
        return g.op("Gather", [g.const(name, w[f"embeddings.{name}.weight"]), ids])

    one = g.const("one", np.array(1, dtype=np.int64))
    shape = g.op("Shape", ["input_ids"])
    length = g.op("Gather", [shape, one])
    # [batch, tokens]: the 3-d and 4-d shapes of a run are built on it.
    runs = g.op(
        "Slice",
        [shape, g.const("[0]", np.array([0], dtype=np.int64)), g.const("[2]", np.array([2], dtype=np.int64))],
    )
    positions = g.op("Range", [g.const("zero", np.array(0, dtype=np.int64)), length, one])
    tokens = g.op(
        "Add", [embedding("word_embeddings", "input_ids"), embedding("position_embeddings", positions)]
    )
    x = norm(
        g.op("Add", [tokens, embedding("token_type_embeddings", "token_type_ids")]), "embeddings.LayerNorm"
    )
    # Every step but attention acts on each token alone, so tokens run as the rows of one matrix.
    x = g.op("Reshape", [x, g.const("rows", np.array([-1, hidden], dtype=np.int64))])
    # (batch, 1, 1, tokens): 0 for a real token, MASKED for padding, added to every head's scores.
    mask = g.op("Unsqueeze", ["attention_mask", g.const("axes", np.array([1, 2], dtype=np.int64))])
    mask = g.op("Cast", [mask], to=TensorProto.FLOAT)
    mask = g.op("Mul", [g.op("Sub", [g.scalar("1.0", 1.0), mask]), g.scalar("masked", MASKED)])
    split = g.op(
        "Concat", [runs, g.const("heads", np.array([heads, hidden // heads], dtype=np.int64))], axis=0
    )
    for layer in (f"encoder.layer.{i}" for i in range(config["num_hidden_layers"])):
        x = _layer(g, x, mask, split, layer, hidden, heads, linear, norm)
    x = g.op(
        "Reshape", [x, g.op("Concat", [runs, g.const("hidden", np.array([hidden], dtype=np.int64))], axis=0)]
    )
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden]
    )
    graph = helper.make_graph(g.nodes, "bert", inputs, [output], list(g.weights.values()))
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(CONTRIB, 1)]
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


def _layer(
    g: _Graph, x: str, mask: str, split: str, layer: str, hidden: int, heads: int, linear: Any, norm: Any
) -> str:
    """One transformer layer over the token rows ``x``: multi-head self-attention (``split`` shapes the rows
    as ``(batch, tokens, heads, head width)``), then the feed-forward block, each with its residual and layer
    norm (post-norm, as BERT)."""

    def per_head(name: str) -> str:
        return g.op(
            "Transpose",
            [g.op("Reshape", [linear(x, f"{layer}.attention.self.{name}"), split])],
            perm=[0, 2, 1, 3],
        )

    keys = g.op("Transpose", [per_head("key")], perm=[0, 1, 3, 2])
    scores = g.op(
        "Mul", [g.op("MatMul", [per_head("query"), keys]), g.scalar("scale", (hidden // heads) ** -0.5)]
    )
    weights = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [weights, per_head("value")])], perm=[0, 2, 1, 3])
    context = g.op("Reshape", [context, g.const("rows", np.array([-1, hidden], dtype=np.int64))])
    attended = norm(
        g.op("Add", [linear(context, f"{layer}.attention.output.dense"), x]),
        f"{layer}.attention.output.LayerNorm",
    )
    gelu = g.op("Gelu", [linear(attended, f"{layer}.intermediate.dense")])
    return norm(g.op("Add", [linear(gelu, f"{layer}.output.dense"), attended]), f"{layer}.output.LayerNorm")


def _quantize_tokens(g: _Graph, x: str) -> tuple[str, str]:
    """The token rows ``x`` in 8 bits with one scale per token: ``round(x / scale) + 128`` as uint8 (the
    kernels ONNX Runtime makes fastest multiply uint8 by int8; one QuantizeLinear along the rows), and the
    scales, ``max |x| / 127`` of each token, as a column."""
    peak = g.op("ReduceMax", [g.op("Abs", [x]), g.const("last", np.array([-1], dtype=np.int64))], keepdims=0)
    scale = g.op("Mul", [g.op("Max", [peak, g.scalar("tiny", 1e-12)]), g.scalar("1/127", 1 / 127)])
    zero = g.op("Expand", [g.const("128u8", np.array(128, dtype=np.uint8)), g.op("Shape", [scale])])
    quantized = g.op("QuantizeLinear", [x, scale, zero], axis=0)
    return quantized, g.op("Unsqueeze", [scale, g.const("[1]", np.array([1], dtype=np.int64))])


def _int8_linear(g: _Graph, q: str, scale: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
    """A linear layer in 8 bits: each token's 8-bit values (:func:`_quantize_tokens`) times the weight's
    int8 values (one scale per output channel), summed exactly in int32 and scaled back to float by ONNX
    Runtime's MatMulIntegerToFloat in one pass, then by the token's scale.

    One scale per token, not per run (what ONNX Runtime's dynamic quantization does), keeps every token's
    result independent of the other tokens and texts of a run: a text's vector is the same alone or in a
    batch with others and their padding, so texts can run in batches."""
    columns = np.ascontiguousarray(weight.T)
    column_scale = (np.maximum(np.abs(columns).max(axis=0), 1e-12) / 127).astype(np.float32)
    weight_q = np.clip(np.round(columns / column_scale), -127, 127).astype(np.int8)
    product = g.op(
        "MatMulIntegerToFloat",
        [
            q,
            g.const(f"{name}.weight_int8", weight_q),
            g.scalar("1.0", 1.0),
            g.const(f"{name}.weight_scale", column_scale),
            g.const("128u8", np.array(128, dtype=np.uint8)),
        ],
        domain=CONTRIB,
    )
    return g.op("Add", [g.op("Mul", [product, scale]), g.const(f"{name}.bias", bias)])
