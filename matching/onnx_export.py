"""The ONNX copy of a sentence-transformers model: exported once, offline, on first use, and cached.

The ``onnx`` and ``onnx-int8`` encoders run the model's transformer in ONNX Runtime, not PyTorch. The copy is
made from the local model folder, with no hub and no torch: ``matching.onnx_bert`` writes the transformer
from its weights as ``model.onnx`` (float32) and as ``model-int8.onnx``, whose linear layers multiply in 8
bits (weights with one scale per output channel, activations with one per token). Beside them lie the
tokenizer, set to cut texts where the model does, and ``encoder.json``; reading the copy needs neither torch
nor transformers.

The folder is ``<cache_dir>/encoders/<model>-<digest>``, the digest taken over the model folder's files (name,
size, time), so a changed model is exported anew. A copy is written in a temporary folder and its files are
renamed into place, so a process that reads it never sees half a file, and a file that went missing is
exported again. A new copy removes the copies of the same model folder made before it (another ``FORMAT`` or
another version of the model's files): about 150 MB each, which nothing reads again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from matching import onnx_bert
from schema.errors import MatchingError

log = logging.getLogger(__name__)

FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
"""The model file of each ONNX backend in an export folder."""
TOKENIZER = "tokenizer.json"
META = "encoder.json"
FORMAT = "onnx_bert 4"
"""Part of the folder's digest: a change to how copies are made (a new ``FORMAT``) makes new copies."""


def folder(model_path: str, cache_dir: Path) -> Path:
    """Where the ONNX copy of the model at ``model_path`` lives (see the module doc)."""
    source = Path(model_path).resolve()
    digest = hashlib.sha256(f"{FORMAT}\0{source}".encode())
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
        if not all((target / name).is_file() for name in (FILES["onnx"], TOKENIZER, META)):
            _export(model_path, work)
        if backend == "onnx-int8" and not (target / FILES[backend]).is_file():
            onnx_bert.build(Path(model_path), work / FILES[backend], int8=True)
        _publish(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_stale(target)
    return target


def _remove_stale(target: Path) -> None:
    """Remove the other copies of ``target``'s model folder (the same ``source`` in their ``encoder.json``);
    copies of other models and the temporary folders of exports in progress stay."""
    source = json.loads((target / META).read_text())["source"]
    for other in target.parent.iterdir():
        if other == target or other.name.startswith(".") or not (other / META).is_file():
            continue
        try:
            stale = json.loads((other / META).read_text()).get("source") == source
        except (OSError, ValueError):
            continue
        if stale:
            log.info("removing %s, an older ONNX copy of %s", other, source)
            shutil.rmtree(other, ignore_errors=True)


def _publish(work: Path, target: Path) -> None:
    """Move the finished files into ``target`` one by one, each replaced atomically."""
    target.mkdir(exist_ok=True)
    for path in work.iterdir():
        os.replace(path, target / path.name)


def _export(model_path: str, out: Path) -> None:
    """Write the transformer of the sentence-transformers model folder ``model_path`` as ONNX into ``out``,
    with its tokenizer set to cut texts where sentence-transformers cuts them."""
    from tokenizers import Tokenizer

    source = Path(model_path)
    if not (source / "modules.json").is_file():
        raise MatchingError(
            f"The ONNX backends export a local sentence-transformers folder; {model_path} is not"
        )
    _check_mean_pooling(source)
    onnx_bert.build(source, out / FILES["onnx"])
    max_seq_length = json.loads((source / "sentence_bert_config.json").read_text())["max_seq_length"]
    tokenizer = Tokenizer.from_file(str(source / TOKENIZER))
    tokenizer.enable_truncation(max_length=max_seq_length)
    tokenizer.no_padding()  # each text runs alone (matching.encoders.OnnxEncoder)
    tokenizer.save(str(out / TOKENIZER))
    meta = {"source": str(source.resolve()), "max_seq_length": max_seq_length}
    (out / META).write_text(json.dumps(meta, indent=2))


def _check_mean_pooling(source: Path) -> None:
    """The ONNX encoders pool by the mean of token embeddings, as all-MiniLM-L6-v2 does; refuse others."""
    modules = json.loads((source / "modules.json").read_text())
    kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
    pooling: dict[str, Any] = {}
    if kinds[1:2] == ["Pooling"]:
        pooling = json.loads((source / modules[1]["path"] / "config.json").read_text())
    modes = {key for key, on in pooling.items() if key.startswith("pooling_mode") and on is True}
    mean = pooling.get("pooling_mode") == "mean" or modes == {"pooling_mode_mean_tokens"}
    if kinds[:2] != ["Transformer", "Pooling"] or not mean or set(kinds[2:]) - {"Normalize"}:
        raise MatchingError(
            f"The ONNX encoders support a transformer pooled by the mean of its tokens, not {kinds} "
            f"({pooling}); set CLUSTERKG_EMBEDDING_BACKEND=torch for this model"
        )
