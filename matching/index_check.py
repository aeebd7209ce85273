"""Checking the capability vector index's answers against a sample held in memory, and searching deeper when
the index has missed many of the nearest.

Neo4j 5.26 keeps a vector index as Lucene HNSW graphs, and Lucene 9.11 leaves islands in them: a tight group
of near-identical vectors (hundreds of organizations describing themselves from one template) can fill a
search's whole beam, so that a group beyond it is never reached unless the search is deeper than the first
group is large. The signal ranking would then never suggest the organizations whose texts fit a need best,
and no latency or mean recall figure would show it.

So each process holds a random share of the stored capability vectors (a fifth, or all of them in a graph
of at most ``SAMPLE_ALL_BELOW`` organizations; 30 MB at 100,000) and checks each search: the sampled vectors
nearer to the seeker's vector than the ``k``-th one the index found, but not found, stand for the missed
ones (their current vectors are read to make sure, and a sample found older than the graph is read again).
When they stand for more than ``MISSED_SHARE`` of the ``k``, the search is repeated ``DEEPER`` times as deep.
The sample is also held as int8 inside ONNX Runtime (``matching.text_screen``; about 30 MiB at 100,000, and
the runtime's own 45 MiB once per process): a check screens that copy and takes the exact float32 cosine
only of the few vectors the screen's bound cannot rule out, which finds the same vectors as a float32
product of the whole sample for about half its CPU (the product reads all 30 MB for each check).

The sample holds capability vectors only, which every caller may read; a seeker's own need decides only how
deep its own search goes.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from graph.db import Graph
from graph.queries.matching import candidates as candidate_queries
from graph.queries.matching import vector_indexes as index_queries
from matching.model import DIMENSIONS
from matching.text_screen import TextScreen

log = logging.getLogger(__name__)

SAMPLE_SHARE = 0.2
SAMPLE_ALL_BELOW = 10_000
"""A graph of at most this many organizations is held whole (15 MB), and its check is exact."""
REFRESH_SECONDS = 600.0
"""A held sample older than this is read again in the background (new organizations join it)."""
MISSED_SHARE = 0.2
"""A search is repeated deeper when the sample says it missed more than this share of the ``k`` nearest:
HNSW misses a few of them in most searches (recall 0.96 at 100,000); those are not worth a deeper search."""
DEEPER = 4
MAX_SEARCH_K = 5000
CHECKED_AT_MOST = 50
"""Flagged vectors whose current vector is read; the share of them still near stands for all (an island can
flag hundreds)."""


@dataclass(frozen=True)
class Search:
    """What one index search found: ids and (1 + cos) / 2 scores, nearest first, how deep it looked, and how
    many organizations the graph held."""

    ids: list[str]
    scores: list[float]
    depth: int
    organizations: int


@dataclass(frozen=True)
class Sample:
    ids: np.ndarray
    vectors: np.ndarray
    screen: TextScreen
    """The same vectors as int8, so that a check reads 8 MB instead of 30 (see :func:`missed`)."""
    share: float
    organizations: int
    read_at: float


_SAMPLES: dict[tuple[str, str], Sample] = {}
_LOCK = threading.Lock()
_REFRESHING: set[tuple[str, str]] = set()


def read_sample(graph: Graph) -> Sample:
    """A new random sample of the stored capability vectors (unit length)."""
    answer = graph.run(index_queries.CAPABILITY_SAMPLE, share=SAMPLE_SHARE, all_below=SAMPLE_ALL_BELOW)
    rows = [row for row in answer if row["id"] is not None]
    vectors = np.array([row["vector"] for row in rows], dtype=np.float32).reshape(len(rows), DIMENSIONS)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    share, organizations = float(answer[0]["share"]), int(answer[0]["organizations"])
    log.debug("holding %d capability vectors (%.0f%%) to check the vector index", len(rows), 100 * share)
    ids = np.array([row["id"] for row in rows], dtype=object)
    return Sample(ids, vectors, TextScreen(vectors).prepare(), share, organizations, time.monotonic())


def held_sample(graph: Graph, organizations: int | None = None) -> Sample:
    """The sample this process holds for ``graph``: read now the first time, then again in the background
    once it is older than ``REFRESH_SECONDS``, the graph holds another number of ``organizations`` than when
    it was read, or a search finds it older than the graph (the check goes on with the old one meanwhile)."""
    key = (graph.uri, graph.database)
    with _LOCK:
        sample = _SAMPLES.get(key)
        if sample is None:
            sample = _SAMPLES[key] = read_sample(graph)
        elif time.monotonic() - sample.read_at > REFRESH_SECONDS or (
            organizations is not None and organizations != sample.organizations
        ):
            _refresh(graph)
        return sample


def _refresh(graph: Graph) -> None:
    """Read the sample again in a background thread, unless one already does (called under ``_LOCK``). The
    thread is not a daemon: a process that ends waits for its read, since a daemon thread still inside the
    driver or ONNX Runtime when the interpreter shuts down aborts the process ("terminate called without an
    active exception") after its answer was printed."""
    key = (graph.uri, graph.database)
    if key not in _REFRESHING:
        _REFRESHING.add(key)
        threading.Thread(target=_read_again, args=(graph, key), name="read-capability-sample").start()


def _read_again(graph: Graph, key: tuple[str, str]) -> None:
    """Read the sample through a driver of this thread's own: the request that started it may close its
    graph (a CLI command that ends) while the read goes on."""
    try:
        with graph.another() as own:
            sample = read_sample(own)
        with _LOCK:
            _SAMPLES[key] = sample
    except Exception:  # noqa: BLE001 - a failed refresh keeps the old sample; a later search tries again
        log.warning("could not read the capability sample again", exc_info=True)
    finally:
        with _LOCK:
            _REFRESHING.discard(key)


def missed(graph: Graph, sample: Sample, vector: np.ndarray, search: Search, k: int) -> float:
    """How many of the ``k`` capabilities nearest to ``vector`` the search missed, as ``sample`` estimates
    it: the sampled ones nearer than the ``k``-th found (or any, when the search found fewer than ``k``) and
    not found, whose current vectors are still that near, divided by the sample's share. The current vectors
    are read only when there are enough of them to search deeper for, and of ``CHECKED_AT_MOST`` at most."""
    if not len(sample.ids):
        return 0.0
    unit = np.asarray(vector, dtype=np.float32)
    unit = unit / max(float(np.linalg.norm(unit)), 1e-12)
    cut = 2.0 * sorted(search.scores, reverse=True)[k - 1] - 1.0 if len(search.scores) >= k else -math.inf
    found = set(search.ids)
    # The int8 screen's bound leaves out only vectors that cannot be nearer than the cut; the few it keeps
    # are compared on their exact cosines, so the vectors flagged are those of a float32 product of all.
    screened = sample.screen.against(unit)
    maybe = np.flatnonzero(screened.approximate + screened.bound > cut)
    nearer = maybe[screened.exact(maybe) > cut]
    flagged = [str(i) for i in sample.ids[nearer] if i not in found]
    if len(flagged) <= MISSED_SHARE * k * sample.share:
        return len(flagged) / sample.share
    checked = flagged[:CHECKED_AT_MOST]
    rows = graph.run(index_queries.CAPABILITY_VECTORS, ids=checked)
    current = np.array([row["vector"] for row in rows], dtype=np.float32).reshape(len(rows), len(unit))
    norms = np.maximum(np.linalg.norm(current, axis=1), 1e-12)
    still = int(np.count_nonzero(current @ unit / norms > cut))
    if still < len(checked):  # some went or moved since the sample was read
        with _LOCK:
            _refresh(graph)
    return still * len(flagged) / len(checked) / sample.share


def deeper(graph: Graph, sample: Sample, vector: np.ndarray, search: Search, k: int) -> int | None:
    """The depth to search again at, or None when the search holds up (or cannot go deeper)."""
    if search.depth >= MAX_SEARCH_K:
        return None
    lost = missed(graph, sample, vector, search, k)
    if lost <= MISSED_SHARE * k:
        return None
    depth = min(DEEPER * search.depth, MAX_SEARCH_K)
    log.debug("the vector index missed about %.0f nearer than its %d-th; searching %d deep", lost, k, depth)
    return depth


def nearest_capabilities(graph: Graph, vector: np.ndarray, k: int, depth: int) -> Search:
    """The ``k`` capabilities nearest to ``vector``, nearest first, as the signal ranking searches for them:
    ``depth`` deep, checked, and searched again deeper when needed (the depth it ended at)."""

    def run(search_k: int) -> Search:
        row = graph.run(candidate_queries.NEAREST_CAPABILITIES, vector=vector.tolist(), search_k=search_k)[0]
        return Search(row["searched_ids"], row["searched_scores"], search_k, row["organizations"])

    search = run(depth)
    while (again := deeper(graph, held_sample(graph, search.organizations), vector, search, k)) is not None:
        search = run(again)
    best = sorted(zip(search.ids, search.scores, strict=True), key=lambda hit: -hit[1])[:k]
    return Search([i for i, _ in best], [score for _, score in best], search.depth, search.organizations)
