"""The ONNX copy of a sentence-transformers model: exported once, offline, on first use, and cached.

The ``onnx`` and ``onnx-int8`` encoders run the model's transformer in ONNX Runtime, not PyTorch. The copy is
made from the local model folder (no hub): torch traces the transformer into ``model.onnx`` (float32), and
ONNX Runtime's dynamic quantization turns its matrix products into int8 ones in ``model-int8.onnx`` (weights
per output channel: one scale per tensor cost about twice the distance to the float32 vectors). Beside them
lie the tokenizer, configured as the model uses it, and ``encoder.json``; reading the copy needs neither torch
nor transformers.

The folder is ``<cache_dir>/encoders/<model>-<digest>``, the digest taken over the model folder's files (name,
size, time), so a changed model is exported anew. A copy is written in a temporary folder and renamed into
place, so a process that reads it never sees half a file, and a file that went missing is exported again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from schema.errors import MatchingError

log = logging.getLogger(__name__)

FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
"""The model file of each ONNX backend in an export folder."""
TOKENIZER = "tokenizer.json"
META = "encoder.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PROBES = [
    "We bake bread for supermarkets.",
    "Camera systems that inspect products on the line and find defects with deep learning models.",
    "Tax advisory.",
]
"""Texts of unequal length, encoded in one padded batch by torch and by the export, which must agree."""
MIN_PROBE_COSINE = 0.999


def folder(model_path: str, cache_dir: Path) -> Path:
    """Where the ONNX copy of the model at ``model_path`` lives (see the module doc)."""
    source = Path(model_path).resolve()
    digest = hashlib.sha256(str(source).encode())
    for path in sorted(source.iterdir()) if source.is_dir() else []:
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", source.name or "model")
    return cache_dir / "encoders" / f"{slug}-{digest.hexdigest()[:16]}"


def ensure(model_path: str, backend: str, cache_dir: Path) -> Path:
    """The export folder of ``model_path`` holding ``backend``'s model file, exported now if missing."""
    target = folder(model_path, cache_dir)
    wanted = [FILES["onnx"], FILES[backend], TOKENIZER, META]
    if all((target / name).is_file() for name in wanted):
        return target
    log.info("exporting %s for the %s encoder into %s (once)", model_path, backend, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        base = (FILES["onnx"], TOKENIZER, META)
        if all((target / name).is_file() for name in base):
            for name in base:
                shutil.copy2(target / name, work / name)
        else:
            _export(model_path, work)
        if backend == "onnx-int8":
            _quantize(work / FILES["onnx"], work / FILES["onnx-int8"])
        _publish(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _publish(work: Path, target: Path) -> None:
    """Move the finished files into ``target`` one by one, each replaced atomically."""
    target.mkdir(exist_ok=True)
    for path in work.iterdir():
        os.replace(path, target / path.name)


def _export(model_path: str, out: Path) -> None:
    """Trace the transformer of the sentence-transformers model at ``model_path`` into ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device="cpu")
    _check_mean_pooling(model)
    transformer: Any = model[0].auto_model
    transformer.eval()
    tokenizer = model.tokenizer.backend_tokenizer
    tokenizer.enable_truncation(max_length=model.max_seq_length)
    tokenizer.enable_padding(pad_id=model.tokenizer.pad_token_id, pad_token=model.tokenizer.pad_token)
    tokenizer.save(str(out / TOKENIZER))
    batch = model.tokenizer(PROBES, padding=True, return_tensors="pt")

    class LastHiddenState(torch.nn.Module):
        """The transformer with positional inputs and one output, as the ONNX graph has them."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer  # a submodule: its weights go into the graph as weights

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.transformer(**dict(zip(INPUTS, inputs, strict=True))).last_hidden_state

    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(),
            tuple(batch[name] for name in INPUTS),
            str(out / FILES["onnx"]),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    meta = {"source": str(Path(model_path).resolve()), "max_seq_length": model.max_seq_length}
    (out / META).write_text(json.dumps(meta, indent=2))
    expected = model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True)
    _check_agrees(out / FILES["onnx"], out / TOKENIZER, np.asarray(expected))


def _check_mean_pooling(model: Any) -> None:
    """The ONNX encoders pool by the mean of token embeddings, as all-MiniLM-L6-v2 does; refuse others."""
    names = [type(module).__name__ for module in model]
    pooling = model[1].get_config_dict().get("pooling_mode") if len(names) > 1 else None
    if names[:2] != ["Transformer", "Pooling"] or pooling != "mean" or set(names[2:]) - {"Normalize"}:
        raise MatchingError(
            f"The ONNX encoders support a transformer pooled by the mean of its tokens, not {names}; "
            "set CLUSTERKG_EMBEDDING_BACKEND=torch for this model"
        )


def _check_agrees(model_file: Path, tokenizer_file: Path, expected: np.ndarray) -> None:
    """A trace that baked in a shape (padding, batch size) would answer wrong on other inputs: compare."""
    from matching.encoders import OnnxEncoder

    got = OnnxEncoder(model_file, tokenizer_file).encode(PROBES, batch_size=len(PROBES))
    cosine = float(np.min(np.sum(got * expected, axis=1)))
    if cosine < MIN_PROBE_COSINE:
        raise MatchingError(f"The ONNX export disagrees with the model (cosine {cosine:.4f}); use torch")


def _quantize(source: Path, target: Path) -> None:
    """int8 matrix products, activations quantized per batch, weights per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        source, target, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
    )
