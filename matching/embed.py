"""``clusterkg embed``: the capability and needs embeddings of every organization, kept up to date cheaply.

Each embedding is stored with a content hash (of the embedder's name and the text) and a key (that name and
the text as embedded); the embedder is the model and its backend (``settings.embedder``), so vectors of two
backends never mix in an index: changing either re-embeds. Both also hold the version of how texts are cut
into sentences and pieces (``matching.model.CHUNKING``): a text cut another way is encoded again.
The graph compares each current text with its key, so a rerun reads and encodes only
texts that are new or changed, whoever changed them (ingest, the API), and a run with nothing changed
transfers no text at all. Encoding is batched, sorted by length across the whole run (less padding), and each
distinct text is encoded once however many organizations state it; the writes of one batch run in a
background thread while the model encodes the next (encoders release the GIL), so the graph round trips hide
behind the model. A run that writes a large share of a vector index stages those vectors beside the current
ones, which go on answering, and then rebuilds that index once over them instead of updating it vector by
vector (``matching.vector_index``).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from graph.db import Graph
from graph.queries.matching import embeddings as queries
from matching import vector_index
from matching.model import CHUNKING, TextEmbedding, embed_texts
from schema.settings import Settings

log = logging.getLogger(__name__)

Field = Literal["capability", "needs", "private_needs"]
"""Which text of an organization: its description (what it offers), or its needs (what it seeks), public or
private. A public need's vector is its text's node's, one per distinct public text, which organizations
stating it link to; a private need's is kept apart, in no vector index (``graph.queries.matching``): only
the organization's own suggestions search with it."""
FIELDS: tuple[Field, ...] = ("capability", "needs", "private_needs")

TEXT_PROPERTY: dict[Field, str] = {field: field for field in FIELDS}
"""The column of ``queries.EMBED_STALE`` holding a field's current text."""
HASH_PROPERTY: dict[Field, str] = {field: f"{field}_hash" for field in FIELDS}
KEY_PROPERTY: dict[Field, str] = {field: f"{field}_key" for field in FIELDS}

SENTENCE_SCALE = 127.0
"""Sentence vectors are stored as int8 (v * 127) in base64 text: small, ample for picking a sentence, and a
string travels through the driver as one value (a byte array would be converted byte by byte)."""


def content_hash(model_name: str, text: str) -> str:
    """The hash an embedding is stored with: a new model, a new way of cutting texts or a new text means a
    new hash."""
    return hashlib.sha256(f"{key_prefix(model_name)}{text}".encode()).hexdigest()[:24]


def pack_sentence_vectors(vectors: np.ndarray) -> str:
    """Unit vectors as int8, row after row, in base64."""
    codes = np.clip(np.rint(vectors * SENTENCE_SCALE), -127, 127).astype(np.int8)
    return base64.b64encode(codes.tobytes()).decode("ascii")


def unpack_sentence_vectors(data: str | None, count: int, dimensions: int) -> np.ndarray:
    """The inverse of :func:`pack_sentence_vectors` (approximately unit vectors, float32)."""
    if not data or count == 0:
        return np.zeros((0, dimensions), dtype=np.float32)
    codes = np.frombuffer(base64.b64decode(data), dtype=np.int8)
    return codes.reshape(count, dimensions).astype(np.float32) / SENTENCE_SCALE


def key_prefix(model_name: str) -> str:
    """What a stored text key starts with: the model name, the way texts are cut and a NUL, then comes the
    text as embedded."""
    return f"{model_name} {CHUNKING}\0"


@dataclass(frozen=True)
class Job:
    """One text to (re)encode."""

    id: str
    field: Field
    text: str
    hash: str
    key: str
    """The model name, a NUL and the text exactly as stored: the graph compares it with the current text."""


@dataclass
class EmbedSummary:
    """What one ``embed`` run did."""

    organizations: int = 0
    encoded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    cleared: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    distinct: int = 0
    """Texts the model encoded: identical texts (the same need stated by several organizations) once."""

    @property
    def total_encoded(self) -> int:
        return sum(self.encoded.values())


@dataclass
class Plan:
    """What a run must do with the stale texts (``queries.EMBED_STALE``)."""

    jobs: list[Job] = field(default_factory=list)
    """Texts to encode."""
    adopted: list[dict[str, Any]] = field(default_factory=list)
    """Embeddings whose hash matches their text but that lack a key (stored before keys were): keys only."""
    gone: dict[Field, list[str]] = field(default_factory=lambda: {name: [] for name in FIELDS})
    """Ids whose text is gone while its embedding stays."""


def plan(rows: list[dict[str, Any]], model_name: str) -> Plan:
    """Sort the stale texts of ``rows`` into jobs, keys to adopt and embeddings to clear."""
    result = Plan()
    prefix = key_prefix(model_name)
    for row in rows:
        adopt: dict[str, Any] = {}
        for name in FIELDS:
            raw = row[TEXT_PROPERTY[name]]
            key = None if raw is None else prefix + raw
            if key is not None and key == row[KEY_PROPERTY[name]]:
                continue
            text = (raw or "").strip()
            stored = row[HASH_PROPERTY[name]]
            if not text:
                if stored is not None:
                    result.gone[name].append(row["id"])
                continue
            digest = content_hash(model_name, text)
            if digest == stored:
                adopt[KEY_PROPERTY[name]] = key
            else:
                result.jobs.append(Job(row["id"], name, text, digest, prefix + raw))
        if adopt:
            result.adopted.append({"id": row["id"], **dict.fromkeys(KEY_PROPERTY.values()), **adopt})
    return result


def _payload(embedding: TextEmbedding) -> dict[str, Any]:
    """What is written for a text, whichever organization it belongs to."""
    return {
        "vector": embedding.vector.tolist(),
        "sentences": embedding.sentences,
        "sentence_vectors": pack_sentence_vectors(embedding.sentence_vectors),
    }


def _rows(jobs: list[Job], payloads: dict[str, dict[str, Any]]) -> dict[Field, list[dict[str, Any]]]:
    by_field: dict[Field, list[dict[str, Any]]] = {name: [] for name in FIELDS}
    for job in jobs:
        by_field[job.field].append({"id": job.id, "hash": job.hash, "key": job.key, **payloads[job.text]})
    return by_field


def _chunks(texts: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


def embed(
    graph: Graph,
    settings: Settings,
    *,
    on_plan: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EmbedSummary:
    """Encode every new or changed capability description and needs text and write the vectors.

    ``on_plan`` hears how many texts will be encoded, ``on_progress`` how many were just written.
    """
    model_name = settings.embedder
    summary = EmbedSummary()
    vector_index.finish_staged(graph, settings)
    graph.run(queries.DROP_UNSTATED_NEED_TEXTS)
    work = plan(graph.run(queries.EMBED_STALE, key_prefix=key_prefix(model_name)), model_name)
    _clear_and_adopt(graph, settings, work, summary)
    jobs = work.jobs
    if on_plan:
        on_plan(len(jobs))
    with vector_index.writing(graph, settings, Counter(job.field for job in jobs)) as writes:
        if jobs:
            encode_and_write(graph, settings, jobs, summary, on_progress, writes)
    counts = graph.run(queries.COUNT_EMBEDDED)[0]
    summary.organizations = counts["organizations"]
    for kind in summary.unchanged:
        summary.unchanged[kind] = counts[kind] - summary.encoded[kind]
    log.info("embedded %d texts of %d organizations", summary.total_encoded, summary.organizations)
    return summary


def refresh(graph: Graph, settings: Settings, ids: list[str]) -> EmbedSummary:
    """Bring the embeddings of the organizations ``ids`` up to date now: what the API runs right after it
    writes an organization or a need, so that a replaced text is neither quoted nor searched with until the
    next ``embed``. Writes straight to the indexed properties (a handful of vectors, never a bulk)."""
    model_name = settings.embedder
    summary = EmbedSummary()
    rows = graph.run(queries.EMBED_STALE_OF, ids=ids, key_prefix=key_prefix(model_name))
    work = plan(rows, model_name)
    _clear_and_adopt(graph, settings, work, summary)
    if work.jobs:
        writes = vector_index.Writes({name: queries.WRITE_EMBEDDINGS[name] for name in FIELDS})
        encode_and_write(graph, settings, work.jobs, summary, None, writes)
    return summary


def _clear_and_adopt(graph: Graph, settings: Settings, work: Plan, summary: EmbedSummary) -> None:
    """Remove the embeddings whose text is gone and store the keys of those still current."""
    for name, ids in work.gone.items():
        if ids:
            graph.run(queries.CLEAR_EMBEDDINGS[name], ids=ids)
            summary.cleared[name] = len(ids)
    for start in range(0, len(work.adopted), settings.batch_size):
        graph.run(queries.ADOPT_KEYS, rows=work.adopted[start : start + settings.batch_size])


FIRST: dict[Field, int] = {"capability": 0, "needs": 1, "private_needs": 1}
"""The order in which a run's fields are written: every capability text before any need, so that the
capability index (the larger) is built while the needs are still encoded (``vector_index.Writes.done``)."""


def encode_and_write(
    graph: Graph,
    settings: Settings,
    jobs: list[Job],
    summary: EmbedSummary,
    on_progress: Callable[[int], None] | None,
    writes: vector_index.Writes,
    *,
    chunk_size: int | None = None,
) -> None:
    """Encode each distinct text once (organizations often state the same need word for word; a text's vector
    does not depend on whose it is) and write it to every job with that text, the writes of one chunk
    overlapping the encoding of the next, the fields one after another (:data:`FIRST`); ``writes.done``
    hears of each field once its last vector is written. ``chunk_size``: texts per chunk."""
    model_name = settings.embedder
    jobs_of: dict[str, list[Job]] = {}
    for job in jobs:
        jobs_of.setdefault(job.text, []).append(job)
    # Similar lengths side by side within a field: the model pads each batch to its longest text.
    texts = sorted(jobs_of, key=lambda text: (min(FIRST[job.field] for job in jobs_of[text]), len(text)))
    summary.distinct = len(texts)
    chunk_size = chunk_size or max(settings.embedding_batch_size * 8, 256)
    left = Counter(job.field for job in jobs)

    def write(chunk: list[str], embeddings: list[TextEmbedding]) -> None:
        payloads = {text: _payload(embedding) for text, embedding in zip(chunk, embeddings, strict=True)}
        chunk_jobs = [job for text in chunk for job in jobs_of[text]]
        for name, batch in _rows(chunk_jobs, payloads).items():
            for start in range(0, len(batch), settings.batch_size):
                graph.run(
                    writes.queries[name],
                    rows=batch[start : start + settings.batch_size],
                    key_prefix=key_prefix(model_name),
                )
        for job in chunk_jobs:
            summary.encoded[job.field] += 1
            left[job.field] -= 1
        if on_progress:
            on_progress(len(chunk_jobs))
        for name in sorted({job.field for job in chunk_jobs if not left[job.field]}):
            writes.done(name)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-write") as writer:
        pending: Future[None] | None = None
        for chunk in _chunks(texts, chunk_size):
            embeddings = embed_texts(chunk, model_name=model_name, batch_size=settings.embedding_batch_size)
            if pending:
                pending.result()
            pending = writer.submit(write, chunk, embeddings)
        if pending:
            pending.result()
