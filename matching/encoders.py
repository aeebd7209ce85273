"""The two ways to run the sentence model: PyTorch (sentence-transformers) or ONNX Runtime (an exported copy).

Both answer the same two questions, so ``matching.model`` does not care which runs: the unit vectors of some
texts, and, from the same forward pass, each text's vector with its contextual token embeddings and the
character span of each token (the sentence vectors of a suggestion's reasons are built from those).

The ONNX encoder runs each batch on one thread and spreads a call's batches over the cores: a small model's
run split over two threads spends much of its time waiting at the split, and one thread per batch is also
what the API wants (one request, one short text, one core).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


@dataclass(frozen=True)
class Pass:
    """One text through the model: its unit vector, its token embeddings and their character spans."""

    vector: np.ndarray
    tokens: np.ndarray
    """Shape ``(len(offsets), dimensions)``: the contextual embedding of each token, special ones included."""
    offsets: list[tuple[int, int]]
    """``(start, end)`` of each token in the text; ``(0, 0)`` for special tokens."""


class Encoder(Protocol):
    """What ``matching.model`` needs of a backend."""

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        """Unit vectors of ``texts``, shape ``(len(texts), dimensions)``, float32."""
        ...

    def passes(self, texts: list[str], *, batch_size: int) -> list[Pass]:
        """Each text's vector with its token embeddings and spans."""
        ...


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _batches(texts: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


class TorchEncoder:
    """sentence-transformers on PyTorch, float32: the model as published."""

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def passes(self, texts: list[str], *, batch_size: int) -> list[Pass]:
        outputs: list[dict[str, Any]] = self.model.encode(  # type: ignore[assignment]
            texts, batch_size=batch_size, output_value=None, convert_to_numpy=True, show_progress_bar=False
        )
        offsets = self.model.tokenizer(
            texts, return_offsets_mapping=True, truncation=True, max_length=self.model.max_seq_length
        )["offset_mapping"]
        return [
            Pass(
                vector=np.asarray(output["sentence_embedding"], dtype=np.float32),
                tokens=np.asarray(output["token_embeddings"], dtype=np.float32)[: len(spans)],
                offsets=[(int(a), int(b)) for a, b in spans],
            )
            for output, spans in zip(outputs, offsets, strict=True)
        ]


RUN_TEXTS = 16
"""Texts per ONNX Runtime run: 1.4-1.7x the texts/s of one text per run on one core, where 32 or 64 were
slower again (titles of 9 tokens and descriptions of 30, int8 model)."""


class OnnxEncoder:
    """The exported transformer in ONNX Runtime, mean-pooled and normalized here as the model's own modules
    do; the tokenizer is the model's, read by the ``tokenizers`` library (no torch, no transformers).

    Texts run :data:`RUN_TEXTS` at a time, those of about the same number of tokens together, padded to the
    longest. A text's vector does not depend on its run-mates: the padding is masked out of attention and
    pooling, and the int8 model quantizes each token on its own scale (``matching.onnx_bert``), so a text
    alone and the same text in a run differ by float rounding only (``tests/test_encoders.py``)."""

    def __init__(self, model_file: Path, tokenizer_file: Path, *, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {node.name for node in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self.threads = threads or cores

    def _batch(self, texts: list[str]) -> list[Pass]:
        """The texts' passes, in runs of texts of similar length (see the class doc)."""
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result: dict[int, Pass] = {}
        for start in range(0, len(order), RUN_TEXTS):
            run = [encodings[i] for i in order[start : start + RUN_TEXTS]]
            ids = np.zeros((len(run), max(len(e.ids) for e in run)), dtype=np.int64)
            mask, types = np.zeros_like(ids), np.zeros_like(ids)
            for row, encoding in enumerate(run):
                ids[row, : len(encoding.ids)] = encoding.ids
                mask[row, : len(encoding.ids)] = encoding.attention_mask
                types[row, : len(encoding.ids)] = encoding.type_ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            outputs = self.session.run(None, {name: feed[name] for name in self.inputs})[0]
            for row, index in enumerate(order[start : start + RUN_TEXTS]):
                encoding = encodings[index]
                tokens = outputs[row, : len(encoding.ids)]
                result[index] = Pass(_unit(tokens.mean(axis=0)), tokens, encoding.offsets)
        return [result[index] for index in range(len(texts))]

    def passes(self, texts: list[str], *, batch_size: int) -> list[Pass]:
        batches = list(_batches(texts, batch_size))
        if len(batches) == 1 or self.threads == 1:
            return [one for batch in batches for one in self._batch(batch)]
        with ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="onnx-encode") as pool:
            return [one for done in pool.map(self._batch, batches) for one in done]

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        return np.stack([one.vector for one in self.passes(texts, batch_size=batch_size)])
