"""The two vector indexes, the organizations' capabilities and the distinct public need texts (a private need
is in none; ``graph/queries/matching/``): kept at the HNSW settings of config, and rebuilt after a bulk
write.

Neo4j keeps a vector index as Lucene segments, each an HNSW graph of its own, and a search walks every
segment. Vectors written transaction by transaction land in segments of a few thousand (Lucene flushes its
16 MB buffer): 100,000 vectors written in batches of 2,000 made 20 segments, and a search 63 deep cost the
server 15 ms. Neo4j's own population of a new index over vectors already stored builds one segment (the
managed server lets it buffer 512 MB, ``graph/server.py``), searched in about 5 ms. One big graph needs more
links per node than Neo4j's default of 16, though: the generated region's near-identical vectors then form
islands that a search never reaches (recall 0.82 on average, 0.02 at worst against an exact top 50), while
32 links keep them connected (``bench/bench_suggest.py`` prints the recall). So ``embed`` drops an index
after writing a large share of its vectors and creates it again over them, and keeps the indexes at the
configured settings. Such a bulk is written beside the current vectors (staged properties) while the index
goes on answering from those; the index is down only while it is rebuilt, not while the texts are encoded.
An index that holds no vector yet (a region's first ``embed``) has nothing to answer with, so its bulk is
written straight to the vectors' own properties, the index dropped meanwhile and created over them after.
The indexes keep full vectors, not int8 ones, so their scores are exact and ``suggest`` needs no re-ranking
(``graph/queries/matching/candidates.py``).

Only capability vectors are staged: a public need's vector sits on its text's node, one per distinct text and
embedder, so a changed need links its organization to another node and nothing the needs index holds is
overwritten. A bulk of needs into an index that holds vectors is written in place; into an empty one, with
the index dropped and created after, as above.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from graph.db import Graph
from graph.queries import admin
from graph.queries.matching import embeddings as embedding_queries
from graph.queries.matching import vector_indexes as index_queries
from graph.query import Query
from matching.model import DIMENSIONS
from schema.settings import Settings

if TYPE_CHECKING:
    from matching.embed import Field

log = logging.getLogger(__name__)

INDEXES: dict[Field, tuple[str, Query]] = {
    "capability": ("organization_capability_embedding", index_queries.CREATE_CAPABILITY_INDEX),
    "needs": ("need_text_embedding", index_queries.CREATE_NEEDS_INDEX),
}
"""Each field's index name and the query that creates it."""
STAGED: tuple[Field, ...] = tuple(cast("Field", field) for field in embedding_queries.STAGE_EMBEDDINGS)
"""The fields whose bulk writes into an index that holds vectors are staged: those
``embedding_queries.STAGE_EMBEDDINGS`` has a write for."""


def wanted_config(settings: Settings) -> dict[str, Any]:
    """The index configuration ``settings`` ask for."""
    return {
        "vector.dimensions": DIMENSIONS,
        "vector.similarity_function": "cosine",
        "vector.hnsw.m": settings.vector_index_m,
        "vector.hnsw.ef_construction": settings.vector_index_ef_construction,
        "vector.quantization.enabled": settings.vector_index_quantization,
    }


def _matches(config: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(str(config.get(name)).lower() == str(value).lower() for name, value in wanted.items())


def _create(graph: Graph, field: Field, settings: Settings) -> None:
    name, create = INDEXES[field]
    log.info("creating the %s vector index %s (Neo4j populates it from the stored vectors)", field, name)
    graph.run_autocommit(create, config=wanted_config(settings))


def ensure(graph: Graph, settings: Settings) -> list[Field]:
    """Create an index that is missing (an ``embed`` stopped half way through a rebuild) or built with other
    settings than configured; the fields whose index was (re)created. Population runs in the background:
    a caller that searches right away waits with :func:`await_online`."""
    wanted = wanted_config(settings)
    changed: list[Field] = []
    for field, (name, _) in INDEXES.items():
        rows = graph.run(index_queries.VECTOR_INDEX, name=name)
        if rows and _matches(rows[0]["config"], wanted):
            continue
        if rows:
            graph.run_autocommit(index_queries.DROP_VECTOR_INDEX, name=name)
        _create(graph, field, settings)
        changed.append(field)
    return changed


def await_online(graph: Graph, seconds: int = 3600) -> None:
    """Wait until every index is online (populated)."""
    graph.run_autocommit(admin.AWAIT_INDEXES, seconds=seconds)


def rebuilds(settings: Settings, writes: int, stored: int) -> bool:
    """Whether writing ``writes`` vectors of a field that has ``stored`` now is a bulk write: enough vectors,
    and a large enough share of the index, that one population beats updating the index vector by vector."""
    return writes >= settings.vector_rebuild_min and writes >= settings.vector_rebuild_share * (
        stored + writes
    )


def _promote(graph: Graph, settings: Settings, field: Field) -> None:
    """Move a field's staged vectors in and rebuild its index over them: dropped first, so that Neo4j builds
    it in one population, not vector by vector."""
    name = INDEXES[field][0]
    log.info("moving the staged %s vectors in and rebuilding the vector index %s", field, name)
    graph.run_autocommit(index_queries.DROP_VECTOR_INDEX, name=name)
    graph.run_autocommit(embedding_queries.PROMOTE_STAGED[field], batch=settings.batch_size)
    _create(graph, field, settings)


def finish_staged(graph: Graph, settings: Settings) -> list[Field]:
    """Promote what a bulk run stopped half way through left staged (before planning a new run, so the
    vectors it already encoded count as done); the fields promoted, their indexes online again."""
    staged = graph.run(embedding_queries.STAGED_LEFT)[0]
    left = [field for field in STAGED if staged[field]]
    for field in left:
        _promote(graph, settings, field)
    if left:
        await_online(graph)
    return left


def _nothing(field: Field) -> None:
    """A field's writes are done, and nothing waits for them."""


@dataclass(frozen=True)
class Writes:
    """How one run writes its vectors: the query of each field, and whom to tell that a field is written."""

    queries: Mapping[Field, Query]
    done: Callable[[Field], None] = _nothing
    """Called once the last vector of a field is written: its index is built right away (Neo4j populates it
    in the background) while the other fields' texts are still encoded."""


@contextmanager
def writing(graph: Graph, settings: Settings, writes: Mapping[Field, int]) -> Iterator[Writes]:
    """Around the vector writes of one run, ``writes`` vectors per field: the indexes at the configured
    settings (:func:`ensure`); yields the query to write each field's vectors with: the staged properties
    (``embedding_queries.STAGE_EMBEDDINGS``) for a field whose writes are a bulk (:func:`rebuilds`) into an
    index that holds vectors, its own properties otherwise (an empty index is dropped for the writes). The
    index keeps answering from the current vectors meanwhile; once its field's writes are done
    (:attr:`Writes.done`, or the end of the run) the staged ones move in and the index is rebuilt over them
    (down for that rebuild only, not for the whole encoding). Neo4j populates an index on one core, so an
    index built while the other field is still encoded costs the run little wall time. On the way out, also
    when the writes fail, every index is online again; a failed run's staged vectors wait for
    :func:`finish_staged`."""
    recreated = ensure(graph, settings)
    bulk: frozenset[Field] = frozenset()
    if any(writes.values()):  # a run with nothing to write (the common rerun) counts nothing
        stored = graph.run(embedding_queries.COUNT_EMBEDDED)[0]
        # An index ensure() has just recreated counts too: after `db migrate` (whose indexes have Neo4j's
        # default settings) it is empty, and vectors written into it one by one leave Lucene to merge many
        # small graphs into one that, at 100,000 vectors, strands some of them after a restart.
        bulk = frozenset(
            field
            for field, count in writes.items()
            if field in INDEXES and rebuilds(settings, count, stored[field])
        )
    empty = _empty(graph, bulk)
    staged = frozenset(field for field in bulk - empty if field in STAGED)
    for field in sorted(staged):
        log.info("staging a bulk write of %d %s vectors; the index answers meanwhile", writes[field], field)
    for field in sorted(empty):
        log.info("writing %d %s vectors, then building their index", writes[field], field)
        graph.run_autocommit(index_queries.DROP_VECTOR_INDEX, name=INDEXES[field][0])
    waiting = set(empty | staged)

    def done(field: Field) -> None:
        if field not in waiting:
            return
        waiting.discard(field)
        if field in empty:
            _create(graph, field, settings)
        else:
            _promote(graph, settings, field)

    try:
        yield Writes(
            {
                field: (
                    embedding_queries.STAGE_EMBEDDINGS
                    if field in staged
                    else embedding_queries.WRITE_EMBEDDINGS
                )[field]
                for field in writes
            },
            done,
        )
        for field in sorted(waiting):
            done(field)
    finally:
        if ensure(graph, settings) or bulk or recreated:
            await_online(graph)


def _empty(graph: Graph, fields: frozenset[Field]) -> frozenset[Field]:
    """The ``fields`` whose index holds no vector (a first ``embed``): it has nothing to answer with while the
    bulk is written, so the bulk goes straight to the field's own properties and the index is dropped for the
    writes and created over them after, which spares copying every staged vector once more (as much of
    Neo4j's CPU as the writes themselves)."""
    if not fields:
        return frozenset()
    await_online(graph)
    probe = [1.0] + [0.0] * (DIMENSIONS - 1)
    return frozenset(
        field
        for field in fields
        if graph.run(index_queries.VECTOR_INDEX_EMPTY, name=INDEXES[field][0], probe=probe)[0]["empty"]
    )
