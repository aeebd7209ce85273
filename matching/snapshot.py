"""The collaboration graph in memory: what the learned ranking reads, as of any day.

A :class:`Snapshot` holds the organizations, projects, participations, dated links and answered suggestions
of the graph as numpy arrays and sparse matrices (read through ``graph/``), and the embedding of every
project text and organization description (cached on disk by content hash, so a text is encoded once).
:meth:`Snapshot.view` gives the graph as of a day: only links, projects and feedback dated before it, so an
evaluation at a past day sees nothing of what came after; the present view also keeps what is undated.

Freshness: each learned suggestion asks the graph for a stamp (counts from Neo4j's count store, the last
ingest run's end, the last answer; one cheap query) while it ranks on the snapshot the process holds, and
starts again on a snapshot read anew (:func:`current`) when the stamp is not the held one's. So each API
worker holds its own copy, and a copy serves no request that starts after an ingest run, an upsert or a
feedback answer has finished; after answers alone, only the answers are read again. ``tune`` keeps the
snapshot it trained on in the cache folder with its stamp, and a read whose stamp is the same takes it from
there instead of the graph (``matching/snapshot_file.py``): a server started after ``tune`` does not read the
graph a second time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import normalize

from graph.db import Graph
from graph.queries import snapshot as queries
from matching import snapshot_file
from matching.dataset import GraphData, to_day
from matching.embed import key_prefix
from matching.embedding_cache import cached_encode
from matching.features import PairFeatures
from matching.history import History, TextVectors
from matching.model import DIMENSIONS
from matching.ranker import Feedback
from schema.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class View:
    """The graph as of one day, with its pair features (computed lazily, kept for the next request)."""

    history: History
    features: PairFeatures


@dataclass
class Snapshot:
    """The graph's collaboration data, indexed 0..n-1, and the answered suggestions with their days."""

    data: GraphData
    vectors: TextVectors
    answers: dict[str, np.ndarray]
    version: dict[str, Any]
    index: dict[str, int] = field(init=False)
    _views: dict[Any, View] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {str(org_id): i for i, org_id in enumerate(self.data.org_ids)}

    @property
    def present(self) -> np.datetime64:
        """The day the present view is taken at: the day after the newest dated link or project, so that a
        registry loaded years after its last record reads recency as it was then; today without dates."""
        dated = [d[~np.isnat(d)] for d in (self.data.links.since, self.data.project_start)]
        days = np.concatenate(dated)
        return days.max() + np.timedelta64(1, "D") if len(days) else np.datetime64(dt.date.today(), "D")

    def view(self, day: np.datetime64 | None = None) -> View:
        """The graph as of ``day`` (None: the present, undated links and projects included)."""
        key = None if day is None else day.astype("datetime64[D]")
        with self._lock:
            if key not in self._views:
                if key is None:
                    history = History(self.data, self.present, self.data.links, self.vectors, undated=True)
                else:
                    history = History(self.data, key, self.data.links.before(key), self.vectors)
                self._views[key] = View(history, PairFeatures(history))
            return self._views[key]

    def feedback(self, day: np.datetime64 | None = None) -> Feedback:
        """Answers given before ``day`` (None: all) between organizations of the snapshot."""
        keep = np.ones(len(self.answers["at"]), dtype=bool) if day is None else self.answers["at"] < day
        return Feedback(
            self.answers["seeker"][keep], self.answers["partner"][keep], self.answers["accepted"][keep]
        )

    def declined(self, seeker: int, day: np.datetime64 | None = None) -> np.ndarray:
        """The organizations ``seeker`` declined before ``day``: never suggested to it again."""
        answers = self.feedback(day)
        return answers.candidates[(answers.seekers == seeker) & ~answers.accepted]

    def answered(self, since: dict[str, np.ndarray], version: dict[str, Any]) -> Snapshot:
        """This snapshot with the answers ``since`` its own (given or given again: each replaces the pair's
        older one), at ``version``. No view (history, features and what they keep) reads an answer, so the
        new snapshot shares them and the arrays."""
        n = self.data.n_orgs
        kept = ~np.isin(
            self.answers["seeker"] * n + self.answers["partner"], since["seeker"] * n + since["partner"]
        )
        answers = {name: np.concatenate([values[kept], since[name]]) for name, values in self.answers.items()}
        fresh = Snapshot(self.data, self.vectors, answers, version)
        with self._lock:
            fresh._views.update(self._views)
        return fresh


def no_answers() -> dict[str, np.ndarray]:
    """The answers of a graph where no suggestion was answered yet."""
    empty = np.zeros(0, dtype=np.int64)
    return {
        "seeker": empty,
        "partner": empty,
        "accepted": np.zeros(0, bool),
        "at": np.zeros(0, "datetime64[D]"),
    }


def read(graph: Graph, settings: Settings) -> Snapshot:
    """Read the snapshot from the graph and embed the texts the cache has not seen; or take the one ``tune``
    kept, while the graph's stamp is the one it was read at (``matching/snapshot_file.py``)."""
    version = stamp(graph)
    kept = _kept(settings, version)
    if kept is not None:
        return kept
    organizations = graph.run(queries.ORGANIZATIONS, key_prefix=key_prefix(settings.embedder))
    data = GraphData.from_rows(
        organizations,
        graph.run(queries.PROJECTS),
        graph.run(queries.PARTICIPATIONS),
        graph.run(queries.COLLABORATIONS),
    )
    index = {str(org_id): i for i, org_id in enumerate(data.org_ids)}
    vectors = text_vectors(graph, data, settings, organizations)
    return Snapshot(data, vectors, read_answers(graph, index), version)


def read_answers(graph: Graph, index: dict[str, int], since: str | None = None) -> dict[str, np.ndarray]:
    """The answered suggestions between organizations of ``index`` (their positions); ``since``: only those
    given at that time or later (a stamp's ``answered``)."""
    found = graph.run(queries.FEEDBACK) if since is None else graph.run(queries.FEEDBACK_SINCE, since=since)
    rows = [r for r in found if r["seeker"] in index and r["partner"] in index]
    return {
        "seeker": np.array([index[r["seeker"]] for r in rows], dtype=np.int64),
        "partner": np.array([index[r["partner"]] for r in rows], dtype=np.int64),
        "accepted": np.array([bool(r["accepted"]) for r in rows], dtype=bool),
        "at": np.array([to_day(r["at"]) for r in rows], dtype="datetime64[D]"),
    }


def keep(snapshot: Snapshot, settings: Settings) -> Path | None:
    """Write ``snapshot`` where the next :func:`read` of the same graph, unchanged, takes it from; not for a
    graph no ingest run wrote (its stamp is counts alone, which two different graphs can share)."""
    if snapshot.version.get("finished") is None:
        return None
    header = snapshot_file.header_for(settings, snapshot.version)
    path = snapshot_file.path_for(settings)
    if snapshot_file.holds(path, header):
        return path  # tune read it from there: the graph is unchanged
    snapshot_file.write(path, header, snapshot.data, snapshot.vectors, snapshot.answers)
    log.info("kept the snapshot in %s for the next server or command", path)
    return path


def _kept(settings: Settings, version: dict[str, Any]) -> Snapshot | None:
    """The kept snapshot if it was read at ``version`` of this graph with this embedder, else None."""
    path = snapshot_file.path_for(settings)
    if not path.is_file():
        return None
    try:
        _, data, vectors, answers = snapshot_file.read(path, snapshot_file.header_for(settings, version))
    except KeyError:
        return None  # the graph changed since: read it
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        log.warning("ignoring the unreadable snapshot file %s (%s); reading the graph", path, e)
        return None
    log.info("took the collaboration snapshot from %s: the graph is unchanged since it was read", path)
    return Snapshot(data, vectors, answers, version)


def text_vectors(
    graph: Graph, data: GraphData, settings: Settings, organizations: list[dict[str, Any]]
) -> TextVectors:
    """Embeddings of every project text and organization description, cached by content hash. A
    description ``clusterkg embed`` already encoded (``embedded`` in ``organizations``) and the cache lacks
    is read from the graph into the cache, not encoded a second time: a region of 100,000 described
    organizations is encoded once, and a refresh reads only the vectors of new descriptions."""
    owners = {str(r["text"]): str(r["id"]) for r in organizations if r["embedded"] and r["text"]}

    def stored(texts: list[str]) -> dict[str, np.ndarray]:
        ids = [owners[t] for t in texts if t in owners]
        prefix = key_prefix(settings.embedder)
        rows = graph.run(queries.STORED_VECTORS, ids=ids, key_prefix=prefix) if ids else []
        if not rows:  # nothing embed stored for these texts (scikit-learn refuses to normalize no rows)
            return {}
        vectors = normalize(np.array([r["vector"] for r in rows], dtype=np.float32).reshape(-1, DIMENSIONS))
        texts_of = {owner: text for text, owner in owners.items()}
        return {texts_of[r["id"]]: vector for r, vector in zip(rows, vectors, strict=True)}

    everything = cached_encode(
        [*data.project_text, *data.org_text],
        model_name=settings.embedder,
        cache_dir=settings.cache_dir / "embeddings",
        batch_size=settings.embedding_batch_size,
        stored=stored,
    )
    return TextVectors(projects=everything[: data.n_projects], organizations=everything[data.n_projects :])


_SNAPSHOTS: dict[tuple[str, str, str], Snapshot] = {}
_READING = threading.Lock()


class Stale(Exception):
    """The held snapshot is older than the graph (now at ``version``): the request starts again on a fresh
    one."""

    def __init__(self, version: dict[str, Any]) -> None:
        super().__init__("the held snapshot is older than the graph")
        self.version = version


def stamp(graph: Graph) -> dict[str, Any]:
    """The graph's version (one cheap query; ``queries.VERSION``)."""
    return dict(graph.run(queries.VERSION)[0]["version"])


def held(graph: Graph, settings: Settings) -> Snapshot | None:
    """The snapshot this process holds for ``graph``, unchecked: a request ranks on it while the graph's stamp
    is asked for, and starts again on :func:`current` when the stamp says it is stale."""
    return _SNAPSHOTS.get(_key(graph, settings))


ANSWERS = ("answers", "answered")
"""The stamp's parts that feedback alone changes."""


def current(graph: Graph, settings: Settings, version: dict[str, Any] | None = None) -> Snapshot:
    """The snapshot of ``graph`` as it is now: the one held in this process while the graph's stamp
    (``version``, asked for when None) is unchanged, else read again (one reader at a time; the others wait
    for its result). When only answers changed (feedback: a live service's most frequent write), only those
    given since the held ones are read, along the index on their time, and the held arrays and views are
    kept: a whole read takes seconds at 100,000 organizations."""
    key = _key(graph, settings)
    version = stamp(graph) if version is None else version
    held = _SNAPSHOTS.get(key)
    if held is not None and held.version == version:
        return held
    with _READING:
        held = _SNAPSHOTS.get(key)
        if held is not None and held.version != version and _answers_only(held.version, version):
            log.info("reading the answered suggestions: %s", changes(held.version, version))
            since = read_answers(graph, held.index, held.version["answered"])
            held = _SNAPSHOTS[key] = held.answered(since, version)
        elif held is None:
            log.info("reading the collaboration snapshot of %s", described(version))
            held = _SNAPSHOTS[key] = read(graph, settings)
        elif held.version != version:
            log.info("reading the collaboration snapshot again: %s", changes(held.version, version))
            held = _SNAPSHOTS[key] = read(graph, settings)
        return held


COUNTED = {
    "organizations": "organization",
    "links": "collaboration",
    "participations": "project participation",
    "runs": "ingest run",
    "answers": "answered suggestion",
}
"""The stamp's counts, each as the noun a log line says it with."""


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def described(version: dict[str, Any]) -> str:
    """A stamp in words: ``1,200 organizations, 3,400 collaborations, …``."""
    return ", ".join(_counted(int(version[key] or 0), noun) for key, noun in COUNTED.items())


def changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What differs between two stamps, in words: ``3 more organizations, 1 more ingest run``. A write that
    left every count as it was is told by its time: an ingest run or upsert that finished, an answer given
    again."""
    said = []
    for key, noun in COUNTED.items():
        delta = int(after.get(key) or 0) - int(before.get(key) or 0)
        if delta:
            said.append(_counted(abs(delta), f"{'more' if delta > 0 else 'fewer'} {noun}"))
    if not said and before.get("finished") != after.get("finished"):
        said.append(f"an ingest run or upsert finished at {after.get('finished')}")
    if not said and before.get("answered") != after.get("answered"):
        said.append(f"a suggestion answered again at {after.get('answered')}")
    return ", ".join(said) or "no count changed"


def _answers_only(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether two stamps differ in their answers alone."""
    return before.keys() == after.keys() and all(before[k] == after[k] for k in before if k not in ANSWERS)


def _key(graph: Graph, settings: Settings) -> tuple[str, str, str]:
    return (graph.uri, graph.database, settings.embedder)
