"""Suggestion latency at 100,000 organizations, and the vector index's candidate recall against an exact
numpy top-k on the same stored vectors.

    NEO4J_URI=bolt://... NEO4J_PASSWORD=... python bench/bench_suggest.py [--orgs 100000] [--queries 300]

The region is ``clusterkg generate``'s (seeded, planted collaborations), loaded through ``ingest.load`` when
the graph holds fewer organizations. Encoding 100,000 descriptions takes about ten minutes of both CPU cores,
so the vectors are made like this, and the table says so: every needs text is encoded for real (the
generator writes 149 distinct ones); each description is its name/place sentence plus one of ~430 distinct
"working in ... We offer ..." texts, which are encoded for real, and each organization gets that vector plus
Gaussian noise calibrated on a sample of real encodings (mean cosine real <-> generated is printed). Hashes
are those of the real texts, so a later ``clusterkg embed`` sees nothing to do (``bench_embed.py`` times it).

Everything is measured twice: right after the build, and after a restart of the managed server
(``CLUSTERKG_HOME``'s) on the same data. The organization requests say which ranking served them: with a model
``clusterkg tune`` saved, the learned ranking, which ranks from the in-memory snapshot and never asks the
vector index; without one, the signal ranking, which searches it (as a need text always does).

Targets: p50 <= 20 ms and p95 <= 50 ms for one in-process ``suggest`` with limit 10; index recall >= 0.95 of
the exact top-k, no seeker at 0, at both moments.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import ingest
from graph import migrations
from graph.db import Graph
from graph.queries import admin as admin_queries
from graph.queries.matching import candidates as candidate_queries
from graph.queries.matching import embeddings as embedding_queries
from graph.queries.matching import vector_indexes as index_queries
from graph.query import Query
from graph.server import ManagedNeo4j, cpu_seconds
from ingest.generate import generate
from matching import Filters, Place, index_check, suggest, vector_index
from matching.embed import FIELDS, key_prefix, pack_sentence_vectors, plan
from matching.index_check import Search
from matching.model import embed_texts, encode
from matching.seeker import organization_seeker
from matching.signal_ranking import (
    INDEX_SEARCH_DEPTH,
    MIN_INDEX_K,
    SIMILAR_SEEKERS,
    search_depth,
)
from schema.settings import Settings

console = Console(width=170)  # wide enough for the tables when the output goes to a file
TEMPLATE = re.compile(r"^.*? working in ")
REGION_FILES = ("clusters.csv", "organizations.csv", "memberships.csv", "collaborations.csv")
WARM_UP = 1000
"""Organizations asked for before the measured ones, at each moment: the server's CPU per suggestion settles
after about 600 (see ``measure``)."""


def load_region(graph: Graph, orgs: int, seed: int, data: Path) -> float:
    """Generate and ingest the region unless the graph already holds it; seconds spent loading."""
    held = graph.run(embedding_queries.COUNT_EMBEDDED)[0]["organizations"]
    if held >= orgs:
        console.print(f"graph already holds {held:,} organizations; not loading")
        return 0.0
    generate(data, orgs=orgs, seed=seed)
    started = time.perf_counter()
    ingest.load(graph, [data / name for name in REGION_FILES])
    return time.perf_counter() - started


def template_of(description: str) -> str:
    """The part of a generated description that says what the organization does."""
    return "An organization working in " + TEMPLATE.sub("", description)


def write_generated_vectors(graph: Graph, settings: Settings, seed: int) -> dict[str, Any]:
    """Vectors for every organization that lacks a current one (see the module docstring for how)."""
    model = settings.embedder
    vector_index.finish_staged(graph, settings)
    work = plan(graph.run(embedding_queries.EMBED_STALE, key_prefix=key_prefix(model)), model)
    for start in range(0, len(work.adopted), settings.batch_size):
        graph.run(embedding_queries.ADOPT_KEYS, rows=work.adopted[start : start + settings.batch_size])
    jobs = work.jobs
    if not jobs:
        if vector_index.ensure(graph, settings):
            vector_index.await_online(graph)
        return {"generated": 0, "calibration": None}
    capability = [job for job in jobs if job.field == "capability"]
    needs = [job for job in jobs if job.field != "capability"]  # public and private needs
    rng = np.random.default_rng(seed)

    # Calibrate the noise: how far does a real description's vector sit from its template's vector?
    sample = random.Random(seed).sample(capability, min(256, len(capability)))
    real = encode([job.text for job in sample], model_name=model)
    plain = encode([template_of(job.text) for job in sample], model_name=model)
    closeness = float(np.mean(np.sum(real * plain, axis=1)))
    sigma = float(np.sqrt(1.0 / closeness**2 - 1.0))

    distinct = sorted({template_of(job.text) for job in capability} | {job.text for job in needs})
    started = time.perf_counter()
    embedded = dict(zip(distinct, embed_texts(distinct, model_name=model), strict=True))
    encode_seconds = time.perf_counter() - started
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in FIELDS}
    generated_closeness = []
    # The same index handling as `clusterkg embed`: a bulk write rebuilds the index it fills.
    with vector_index.writing(graph, settings, Counter(job.field for job in jobs)) as writes:
        for job in jobs:
            text = embedded[template_of(job.text) if job.field == "capability" else job.text]
            vector = text.vector
            if job.field == "capability":
                noisy = vector + rng.normal(0.0, sigma / np.sqrt(vector.size), vector.size).astype(np.float32)
                vector = (noisy / np.linalg.norm(noisy)).astype(np.float32)
                generated_closeness.append(float(vector @ text.vector))
            pending[job.field].append(
                {
                    "id": job.id,
                    "hash": job.hash,
                    "key": job.key,
                    "vector": vector.tolist(),
                    "sentences": text.sentences,
                    "sentence_vectors": pack_sentence_vectors(text.sentence_vectors),
                }
            )
            if len(pending[job.field]) >= 2000:
                graph.run(writes.queries[job.field], rows=pending[job.field], key_prefix=key_prefix(model))
                pending[job.field] = []
        for name, rows_left in pending.items():
            if rows_left:
                graph.run(writes.queries[name], rows=rows_left, key_prefix=key_prefix(model))
    graph.run(admin_queries.AWAIT_INDEXES, seconds=1800)
    return {
        "generated": len(jobs),
        "distinct_encoded": len(distinct),
        "encode_seconds": encode_seconds,
        "real_vs_template": closeness,
        "generated_vs_template": float(np.mean(generated_closeness)),
    }


def stored_vectors(
    graph: Graph, query: Query = index_queries.CAPABILITY_VECTORS_PAGE
) -> tuple[list[str], np.ndarray]:
    """Every stored capability vector (or those of ``query``'s index), exactly as the index holds it."""
    ids: list[str] = []
    blocks: list[np.ndarray] = []
    after = ""
    while True:
        page = graph.run(query, after=after, limit=20_000)
        if not page:
            break
        ids.extend(row["id"] for row in page)
        blocks.append(np.array([row["vector"] for row in page], dtype=np.float32))
        after = page[-1]["id"]
    return ids, np.concatenate(blocks)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


@dataclass
class Timings:
    """Per request: wall milliseconds, this process's CPU milliseconds, queries sent."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    server_cpu_ms: float | None = None
    """The managed Neo4j's CPU per request (None when NEO4J_URI is not the server CLUSTERKG_HOME runs)."""


def server_cpu_seconds(settings: Settings) -> float | None:
    """CPU seconds the managed Neo4j process has used so far, when this machine runs it."""
    if settings.neo4j_uri.rsplit(":", 1)[-1] != str(settings.neo4j_bolt_port):
        return None
    return cpu_seconds(ManagedNeo4j(settings).status().pid)


def timed(graph: Graph, settings: Settings, requests: list[Callable[[], object]]) -> Timings:
    timings = Timings()
    server_before = server_cpu_seconds(settings)
    for request in requests:
        queries_before = graph.queries_run
        cpu_started, started = time.process_time(), time.perf_counter()
        request()
        timings.wall.append(1000 * (time.perf_counter() - started))
        timings.cpu.append(1000 * (time.process_time() - cpu_started))
        timings.queries.append(graph.queries_run - queries_before)
    server_after = server_cpu_seconds(settings)
    if server_before is not None and server_after is not None:
        timings.server_cpu_ms = 1000 * (server_after - server_before) / len(requests)
    return timings


def for_seekers(graph: Graph, settings: Settings, seekers: list[str], **kwargs: Any) -> Timings:
    return timed(
        graph,
        settings,
        [partial(suggest, graph, seeker, limit=10, settings=settings, **kwargs) for seeker in seekers],
    )


def measure(
    graph: Graph, settings: Settings, ids: list[str], matrix: np.ndarray, seekers: list[str], moment: str
) -> None:
    """Latency of ``suggest`` and the vector index's recall, printed for one moment (after the build, after
    a restart)."""
    # Every kind of request measured below is warmed up, and the warm-up's own suggestions are printed: after
    # a start the server spends several times a query's own CPU on the first runs of each kind (about 48 ms
    # of Neo4j CPU per learned suggestion over the first 200, 10 over the next 200, 6 after 600, 3-4 when it
    # has run for long), the JVM compiling the code they run (a page cache warmed by a scan of every
    # organization first changed nothing).
    warm = random.Random(len(seekers)).sample(ids, WARM_UP)
    warm_up = for_seekers(graph, settings, warm)
    for_seekers(graph, settings, warm[:100], filters=Filters(roles=["university"]))
    timed(graph, settings, [partial(anonymous_request, graph, settings, i) for i in range(50)])
    served: set[str] = set()

    def organization(seeker: str) -> None:
        served.update(s.ranking for s in suggest(graph, seeker, limit=10, settings=settings))

    round_trip = timed(graph, settings, [partial(graph.run, candidate_queries.ROUND_TRIP)] * 300)
    plain = timed(graph, settings, [partial(organization, seeker) for seeker in seekers])
    filtered = for_seekers(graph, settings, seekers[:100], filters=Filters(roles=["university"]))
    anonymous = timed(graph, settings, [partial(anonymous_request, graph, settings, i) for i in range(100)])
    table = Table(title=f"{moment}: suggest (limit 10, in-process)")
    columns = ("request", "n", "p50 ms", "p95 ms", "p99 ms", "x round trip", "CPU ms", "Neo4j CPU ms")
    for column in (*columns, "queries", "target"):
        table.add_column(column, justify="right" if column != "request" else "left")
    for name, values, target in (
        (f"warm-up: the first {WARM_UP:,} organizations (no filter)", warm_up, ""),
        ("one round trip (RETURN 1): the baseline", round_trip, ""),
        (f"organization, no filter ({', '.join(sorted(served))} ranking)", plain, "p50 <= 20, p95 <= 50"),
        ("organization, --role university", filtered, ""),
        ("anonymous need (encodes the text; signal ranking)", anonymous, ""),
    ):
        table.add_row(
            name,
            str(len(values.wall)),
            f"{percentile(values.wall, 50):.1f}",
            f"{percentile(values.wall, 95):.1f}",
            f"{percentile(values.wall, 99):.1f}",
            f"{percentile(values.wall, 50) / percentile(round_trip.wall, 50):.1f}",
            f"{statistics.fmean(values.cpu):.1f}",
            "n/a" if values.server_cpu_ms is None else f"{values.server_cpu_ms:.1f}",
            f"{statistics.fmean(values.queries):.1f}",
            target,
        )
    table.caption = (
        "x round trip: p50 over the p50 of one trivial query in the same run; CPU: this process, mean per "
        "request; Neo4j CPU: the managed server process, mean per request. The learned ranking ranks an "
        "organization from the in-memory snapshot (exact text cosines, screened on int8 vectors) and never "
        "asks the vector index; the signal ranking (a need text, or no model) searches it."
    )
    console.print(table)
    console.print(index_recall(graph, settings, ids, matrix, seekers[:200], moment))
    console.print(needs_recall(graph, settings, seekers[:200], moment))


def anonymous_request(graph: Graph, settings: Settings, i: int) -> None:
    topics = ["machine vision", "cold chain logistics", "robot cells", "energy audits"]
    need = f"We look for a partner for {topics[i % len(topics)]} in our plant."
    suggest(graph, need=need, location=Place(lat=48.0, lon=14.0), limit=10, settings=settings)


def index_recall(
    graph: Graph, settings: Settings, ids: list[str], matrix: np.ndarray, seekers: list[str], moment: str
) -> Table:
    """Recall of the index's candidates against the exact top-k: the signal ranking's search
    (INDEX_SEARCH_DEPTH times deeper than k, checked against the sample and repeated deeper when it missed
    many: ``matching.index_check``), and the index alone asked for k, INDEX_SEARCH_DEPTH times and four
    times as deep."""
    k = max(10 * settings.matching_overfetch, MIN_INDEX_K)
    depth = search_depth(k)

    def index_alone(search_k: int) -> Callable[[np.ndarray], Search]:
        def run(vector: np.ndarray) -> Search:
            row = graph.run(
                candidate_queries.NEAREST_CAPABILITIES, search_k=search_k, vector=vector.tolist()
            )[0]
            return Search(row["searched_ids"], row["searched_scores"], search_k, row["organizations"])

        return run

    searches: dict[str, tuple[str, Callable[[np.ndarray], Search]]] = {
        "signal ranking: checked, deeper when needed": (
            f"{depth}+",
            partial(index_check.nearest_capabilities, graph, k=k, depth=depth),
        ),
        "Neo4j vector index alone, asked for k": (str(k), index_alone(k)),
        f"index alone, {INDEX_SEARCH_DEPTH:g}x deeper": (str(depth), index_alone(depth)),
        "index alone, 4x deeper": (str(4 * k), index_alone(4 * k)),
    }
    started = time.perf_counter()
    sample = index_check.read_sample(graph)  # timed here; the searches use the one this process holds
    sample_seconds = time.perf_counter() - started
    recalls: dict[str, list[float]] = {name: [] for name in searches}
    index_ms: dict[str, list[float]] = {name: [] for name in searches}
    index_server_ms: dict[str, list[float]] = {name: [] for name in searches}
    deepened = 0
    exact_ms = []
    for seeker_id in seekers:
        vector = organization_seeker(graph, seeker_id, need=None, settings=settings).vector
        assert vector is not None
        started = time.perf_counter()
        scores = matrix @ vector
        top = {ids[i] for i in np.argpartition(-scores, k)[:k]}
        exact_ms.append(1000 * (time.perf_counter() - started))
        for name, (_, search) in searches.items():
            server_before, started = server_cpu_seconds(settings), time.perf_counter()
            found = search(vector)
            index_ms[name].append(1000 * (time.perf_counter() - started))
            server_after = server_cpu_seconds(settings)
            if server_before is not None and server_after is not None:
                index_server_ms[name].append(1000 * (server_after - server_before))
            best = sorted(zip(found.scores, found.ids, strict=True), reverse=True)[:k]
            recalls[name].append(len({i for _, i in best} & top) / k)
            deepened += name.startswith("signal ranking") and found.depth > depth

    recall = Table(
        title=f"{moment}: vector-index candidates vs exact numpy top-{k} ({len(exact_ms)} seekers' vectors)",
        caption=f"The signal ranking searched deeper for {deepened} of {len(exact_ms)} seekers. Its check "
        f"holds a sample of {len(sample.ids):,} capability vectors ({sample.share:.0%}), read in "
        f"{sample_seconds:.1f} s.",
    )
    columns = ("method", "searched", "recall mean", "recall min", "p50 ms", "Neo4j CPU ms", "target")
    for column in columns:
        recall.add_column(column, justify="right" if column != "method" else "left")
    recall.add_row(
        "exact numpy (float32 matrix in memory)",
        "all",
        "1.000",
        "1.000",
        f"{percentile(exact_ms, 50):.1f}",
        "",
        "",
    )
    for name, (searched, _) in searches.items():
        recall.add_row(
            name,
            searched,
            f"{statistics.fmean(recalls[name]):.3f}",
            f"{min(recalls[name]):.3f}",
            f"{percentile(index_ms[name], 50):.1f}",
            f"{statistics.fmean(index_server_ms[name]):.1f}" if index_server_ms[name] else "n/a",
            ">= 0.95, none at 0" if name.startswith("signal ranking") else "",
        )
    return recall


def needs_recall(graph: Graph, settings: Settings, seekers: list[str], moment: str) -> Table:
    """The needs index (one vector per distinct public need text) searched as the signal ranking searches it
    for organizations with a similar need (the nearest texts, each with the organizations stating it, until
    ``SIMILAR_SEEKERS``), against the exact nearest organizations by their public need's vector: a found
    organization counts when its need is at least as near as the exact ``SIMILAR_SEEKERS``-th (a need text
    stated word for word by many organizations ties). Also: for how many seekers the search reached the
    nearest text (the organizations found include one stating it)."""
    ids, matrix = stored_vectors(graph, index_queries.NEEDS_VECTORS_PAGE)
    texts = graph.run(embedding_queries.COUNT_EMBEDDED)[0]["need_texts"]
    k = SIMILAR_SEEKERS
    position = {organization: i for i, organization in enumerate(ids)}
    recalls, gaps, sizes, whole = [], [], [], []
    for seeker_id in seekers:
        vector = organization_seeker(graph, seeker_id, need=None, settings=settings).vector
        assert vector is not None
        scores = matrix @ vector
        if seeker_id in position:
            scores[position[seeker_id]] = -np.inf  # the search leaves the seeker out
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        found = graph.run(candidate_queries.NEAREST_NEEDS, similar_k=k, vector=vector.tolist())
        found_ids = {row["id"] for row in found}
        near = {ids[i] for i in np.flatnonzero(scores >= kth - 1e-6)}
        nearest = {ids[i] for i in np.flatnonzero(scores >= scores.max() - 1e-6)}
        recalls.append(min(len(found_ids & near), k) / k)
        sizes.append(len(found_ids))
        whole.append(bool(nearest & found_ids))
        gaps.append(float(scores.max()) - max((row["cosine"] for row in found), default=-1.0))
    table = Table(
        title=f"{moment}: needs index, similar organizations ({k}) vs the exact nearest "
        f"({len(recalls)} seekers)"
    )
    columns = (
        "organizations with a public need",
        "distinct texts indexed",
        "recall mean",
        "recall min",
        "seekers at 0",
        "organizations found (mean)",
        "nearest text reached",
        "largest cosine the index missed",
    )
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        f"{len(ids):,}",
        f"{texts:,}",
        f"{statistics.fmean(recalls):.3f}",
        f"{min(recalls):.3f}",
        str(sum(r == 0 for r in recalls)),
        f"{statistics.fmean(sizes):.0f}",
        f"{sum(whole)} of {len(whole)}",
        f"{max(gaps):.2f} below the best",
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=None, help="Where the generated files go (a temp dir).")
    parser.add_argument("--rewrite-vectors", action="store_true", help="Write every vector again.")
    args = parser.parse_args()
    settings = Settings()
    graph = Graph.connect(settings)
    migrations.migrate(graph)
    data = args.data or Path(tempfile.mkdtemp(prefix="clusterkg-bench-"))
    load_seconds = load_region(graph, args.orgs, args.seed, data)
    if args.rewrite_vectors:
        graph.run(embedding_queries.FORGET_EMBEDDING_HASHES)
    vectors_made = write_generated_vectors(graph, settings, args.seed)
    counts = graph.run(embedding_queries.COUNT_EMBEDDED)[0]
    ids, matrix = stored_vectors(graph)
    seekers = random.Random(args.seed).sample(ids, args.queries)
    measure(graph, settings, ids, matrix, seekers, "right after the build")
    if server_cpu_seconds(settings) is None:
        console.print("NEO4J_URI is not the server CLUSTERKG_HOME manages: no restart measured")
    else:
        graph.close()
        server = ManagedNeo4j(settings)
        server.stop()
        server.start()
        graph = Graph.connect(settings)
        measure(graph, settings, ids, matrix, seekers, "after a server restart, same data")
    notes = Table(title="data")
    notes.add_column("what")
    notes.add_column("value", justify="right")
    notes.add_row(
        "organizations / with capability vector / with public need / distinct public need texts",
        f"{counts['organizations']:,} / {counts['capability']:,} / {counts['needs']:,} / "
        f"{counts['need_texts']:,}",
    )
    notes.add_row("load average (1 / 5 / 15 min) at the end", " / ".join(f"{x:.1f}" for x in os.getloadavg()))
    notes.add_row(
        "region loaded through ingest.load (s)", f"{load_seconds:.0f}" if load_seconds else "reused"
    )
    if vectors_made.get("generated"):
        notes.add_row("vectors written this run", f"{vectors_made['generated']:,}")
        notes.add_row("distinct texts encoded for real", f"{vectors_made['distinct_encoded']:,}")
        notes.add_row("mean cos(real description, its template)", f"{vectors_made['real_vs_template']:.3f}")
        notes.add_row(
            "mean cos(generated vector, its template)", f"{vectors_made['generated_vs_template']:.3f}"
        )
    else:
        notes.add_row("vectors", "already in the graph (from an earlier run)")
    console.print(notes)
    graph.close()


if __name__ == "__main__":
    main()
