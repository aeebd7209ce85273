"""Sentence embeddings of project texts, cached on disk by content hash.

The benchmark embeds ~15,000 project texts; on a laptop CPU that takes minutes, so each vector is kept under
the SHA-256 of its model name, the way texts are cut (``model.CHUNKING``) and the text. A rerun encodes only
texts it has not seen. Texts are encoded as ``clusterkg embed`` encodes them (long ones in pieces), so a
vector read from the graph and one encoded here are the same.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from matching import model

log = logging.getLogger(__name__)


def _digest(model_name: str, text: str) -> bytes:
    return hashlib.sha256(f"{model_name} {model.CHUNKING}\0{text}".encode()).digest()[:16]


def _paths(cache_dir: Path) -> tuple[Path, Path]:
    return cache_dir / "text-hashes.npy", cache_dir / "text-vectors.npy"


def cached_encode(
    texts: list[str],
    *,
    model_name: str,
    cache_dir: Path,
    batch_size: int = 64,
    stored: Callable[[list[str]], dict[str, np.ndarray]] | None = None,
) -> np.ndarray:
    """Unit embeddings of ``texts`` (zero rows for empty texts), reusing and extending the cache.
    ``stored``: given the texts the cache lacks, the unit vectors made elsewhere for some of them (``clusterkg
    embed`` stored them in the graph); those are kept in the cache, not encoded again."""
    hash_path, vector_path = _paths(cache_dir)
    known: dict[bytes, int] = {}
    vectors = np.zeros((0, model.DIMENSIONS), dtype=np.float32)
    if hash_path.exists() and vector_path.exists():
        hashes = np.load(hash_path)
        # Mapped, not read: a machine's cache holds every region's texts (hundreds of MB), a read only
        # the rows it asks for.
        vectors = np.load(vector_path, mmap_mode="r")
        known = {h.tobytes(): i for i, h in enumerate(hashes)}
    digests = [_digest(model_name, t) if t else b"" for t in texts]
    missing = sorted({(d, t) for d, t in zip(digests, texts, strict=True) if t and d not in known})
    found = stored([t for _, t in missing]) if stored and missing else {}
    if found:
        for d, t in missing:
            if t in found:
                known[d] = len(known)
        vectors = np.vstack([vectors, *(found[t][None, :] for _, t in missing if t in found)])
        missing = [(d, t) for d, t in missing if t not in found]
    if missing:
        log.info("embedding %d new texts (%d cached)", len(missing), len(known))
        fresh = model.text_vectors([t for _, t in missing], model_name=model_name, batch_size=batch_size)
        for d, _ in missing:
            known[d] = len(known)
        vectors = np.vstack([vectors, fresh])
    if missing or found:
        cache_dir.mkdir(parents=True, exist_ok=True)
        in_order = [digest for digest, _ in sorted(known.items(), key=lambda item: item[1])]
        ordered = np.frombuffer(b"".join(in_order), np.uint8).reshape(-1, 16)
        for path, array in ((hash_path, ordered), (vector_path, vectors)):
            partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(partial, array)
            partial.replace(path)
    out = np.zeros((len(texts), model.DIMENSIONS), dtype=np.float32)
    rows = np.array([known[d] if d else -1 for d in digests], dtype=np.int64)
    out[rows >= 0] = vectors[rows[rows >= 0]]
    return out
