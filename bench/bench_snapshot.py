"""The learned ranking's cost on the graph at NEO4J_URI: reading the snapshot, its memory, and the latency of
one in-process ``suggest``.

    NEO4J_URI=bolt://... NEO4J_PASSWORD=... python bench/bench_snapshot.py [--queries 200] [--seed 7]

The model is the one ``clusterkg tune`` saved (``CLUSTERKG_MATCHING_MODEL_FILE``); without one the script
trains it first, as ``tune`` does, and says so.

    python bench/bench_snapshot.py --synthetic 100000 [--links 1000000] [--queries 200]

ranks instead on a generated snapshot held in memory only (communities of 50 organizations, links dated over
eight years, 30 % of them across communities; random unit text vectors): the snapshot's memory and the
in-process ranking of one seeker (features, pool, the saved model's scores; no graph query) at a size this
machine cannot load and embed in Neo4j within a session. Seekers are organizations with a link, drawn with
``default_rng(--seed)``. Printed: the snapshot's read time (the cost of a refresh after an ingest, an upsert
or feedback, embeddings cached), its size in memory (arrays, sparse matrices and the present view's feature
caches after the requests) and what its text screen holds inside ONNX Runtime besides (measured as the
resident memory one more screen adds), the first request (which builds the view's caches), p50 / p95 of the
rest in wall time and in this process's CPU time (on a machine shared with other work the wall time also waits
for it; the load average is printed), the pairs the model scored per seeker, and which ranking served. The
generated snapshot ranks the same seekers twice: the model's trees scored by LightGBM, then compiled to native
code as ``suggest`` serves them (the compile, or the read of trees compiled before, is timed apart); through
Neo4j the served trees are compiled before the clock starts. Then the reasons of each seeker's 10 best pairs
by TreeSHAP, from the tables ``suggest`` serves and by LightGBM's own ``pred_contrib`` in the same run: CPU
per seeker and the largest difference between the two.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from graph.db import Graph
from matching import ranker as ranker_module
from matching import snapshot, suggest
from matching.dataset import GraphData
from matching.feature_names import REASON_INDEX, REASONS
from matching.history import TextVectors
from matching.learned import ranked_columns
from matching.suggest import model_path, served_ranker
from matching.text_screen import TextScreen
from matching.tune import tune
from schema.settings import Settings


def nbytes(value: object, seen: set[int] | None = None) -> int:
    """Bytes held by the numpy arrays and scipy matrices reachable from ``value`` (each counted once)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return int(value.nbytes) if value.dtype != object else int(value.nbytes) + 60 * value.size
    if hasattr(value, "data") and hasattr(value, "indices") and hasattr(value, "indptr"):
        return sum(int(getattr(value, part).nbytes) for part in ("data", "indices", "indptr"))
    if isinstance(value, dict):
        return sum(nbytes(v, seen) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(nbytes(v, seen) for v in value)
    if hasattr(value, "__dict__"):
        return nbytes(vars(value), seen)
    return 0


def _resident() -> int:
    """This process's resident memory in bytes (Linux's ``/proc/self/statm``)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def screen_bytes(vectors: np.ndarray) -> int:
    """What a view's text screen holds inside ONNX Runtime (the int8 rows, packed for MLAS), which the walk
    of Python objects (:func:`nbytes`) cannot see: the resident memory that one more screen of the same
    vectors adds."""
    gc.collect()
    before = _resident()
    screen = TextScreen(vectors)
    screen.screen(0)  # builds the session
    held = _resident() - before
    del screen
    return held


def synthetic(orgs: int, links: int, seed: int) -> snapshot.Snapshot:
    """A generated snapshot: ``orgs`` organizations in communities of 50, ``links`` dated links."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, orgs, links)
    near = (a // 50) * 50 + rng.integers(0, 50, links)
    b = np.where(rng.random(links) < 0.7, np.minimum(near, orgs - 1), rng.integers(0, orgs, links))
    days = np.datetime64("2012-01-01") + rng.integers(0, 8 * 365, links)
    ids = [f"o{i:07d}" for i in range(orgs)]
    roles = np.array(["firm", "university", "research_institute", "vendor"])[rng.integers(0, 4, orgs)]
    rows = [{"id": i, "role": r, "country": "AT", "text": ""} for i, r in zip(ids, roles, strict=True)]
    collaborations = ({"a": ids[x], "b": ids[y], "since": d} for x, y, d in zip(a, b, days, strict=True))
    data = GraphData.from_rows(rows, [], [], collaborations)
    vectors = rng.normal(size=(orgs, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return snapshot.Snapshot(
        data, TextVectors(np.zeros((0, 384), np.float32), vectors), snapshot.no_answers(), {}
    )


def in_memory(args: argparse.Namespace, console: Console) -> None:
    """Rank on a generated snapshot with the saved model: memory and per-seeker time, no graph. The same
    seekers twice: the trees scored by LightGBM, then compiled to native code (as served)."""
    settings = Settings()
    plain = ranker_module.load(model_path(settings))
    if plain is None:
        raise SystemExit("no saved model: run `clusterkg tune` on a graph first")
    started = time.perf_counter()
    compiled = plain.compiling(settings.cache_dir / "trees")
    if compiled.compiled is None or compiled.compiled.wait() is None:
        raise SystemExit("the model's trees could not be compiled (see the log)")
    compile_seconds = time.perf_counter() - started
    started = time.perf_counter()
    held = synthetic(args.synthetic, args.links, args.seed)
    built = time.perf_counter() - started
    view = held.view()
    active = np.flatnonzero(view.history.active)
    seekers = np.random.default_rng(args.seed).choice(active, args.queries, replace=False)
    table = Table(title=f"generated: {held.data.n_orgs:,} organizations, {len(held.data.links):,} links")
    columns = (
        "trees",
        "built",
        "snapshot memory",
        "+ text screen",
        "first ranking",
        "ranking p50 / p95",
        "CPU p50 / p95",
    )
    screen = screen_bytes(view.history.embeddings)
    for column in (*columns, "pool median"):
        table.add_column(column, justify="right")
    shown: list[np.ndarray] = []
    for name, ranker in (("LightGBM", plain), (f"compiled ({compile_seconds:.1f} s)", compiled)):
        times, cpu, pools = [], [], []
        for seeker in seekers:
            started, cpu_started = time.perf_counter(), time.process_time()
            _, _, x = ranked_columns(view, ranker, int(seeker), banned=np.array([seeker]))
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            pools.append(int(view.features.pool(np.array([seeker]))[0].sum()))
            shown.append(x[:10])
        table.add_row(
            name,
            f"{built:.1f} s",
            f"{nbytes(held) / 2**20:,.0f} MiB",
            f"{screen / 2**20:,.0f} MiB",
            f"{times[0]:,.0f} ms",
            *_percentiles(times[1:]),
            *_percentiles(cpu[1:]),
            f"{int(np.median(pools)):,} pairs",
        )
    table.caption = _load_caption()
    console.print(table)
    console.print(_reasons_table(compiled, shown[len(seekers) :]))


def _reasons_table(ranker: ranker_module.LearnedRanker, shown: list[np.ndarray]) -> Table:
    """The reasons of each seeker's 10 best pairs, as served (the TreeSHAP tables, summed per reason) and
    by LightGBM's own ``pred_contrib`` on one thread (summed alike), in the same run: CPU per seeker, the
    ratio, the tables' build and the largest difference between the two."""
    started = time.process_time()
    ranker.contributions(shown[0])  # builds the tables
    built = time.process_time() - started
    cpu: dict[str, list[float]] = {"tables": [], "lightgbm": []}
    worst = 0.0
    for rows in shown:
        started = time.process_time()
        served = ranker.contributions(rows)
        cpu["tables"].append((time.process_time() - started) * 1000)
        started = time.process_time()
        own = np.mean([b.predict(rows, pred_contrib=True, num_threads=1) for b in ranker.boosters], axis=0)
        own = np.column_stack([own[:, :-1] @ np.eye(len(REASONS))[REASON_INDEX], own[:, -1]])  # per reason
        cpu["lightgbm"].append((time.process_time() - started) * 1000)
        worst = max(worst, float(np.abs(served - own).max()))
    table = Table(title="reasons of each seeker's 10 best pairs (TreeSHAP)")
    for column in ("computed by", "CPU p50 / p95", "against LightGBM (p50)", "largest difference"):
        table.add_column(column, justify="right")
    ratio = np.median(cpu["lightgbm"]) / np.median(cpu["tables"])
    table.add_row(
        f"tables, as served (built in {built:.1f} s)",
        *_percentiles(cpu["tables"]),
        f"{ratio:.1f}× less",
        f"{worst:.1e}",
    )
    table.add_row("LightGBM pred_contrib, one thread", *_percentiles(cpu["lightgbm"]), "1.0×", "")
    return table


def _percentiles(values: list[float]) -> list[str]:
    return [f"{np.percentile(values, 50):.0f} / {np.percentile(values, 95):.0f} ms"]


def _load_caption() -> str:
    """CPU: this process's CPU per request; on a machine shared with other work, wall time waits for it."""
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"CPU: this process's CPU time per request; load average (1 / 5 / 15 min) at the end: {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--synthetic", type=int, default=0, help="Organizations of a generated snapshot.")
    parser.add_argument("--links", type=int, default=1_000_000, help="Links of the generated snapshot.")
    args = parser.parse_args()
    console = Console(width=150)
    if args.synthetic:
        in_memory(args, console)
        return
    settings = Settings()
    with Graph.connect(settings) as graph:
        started = time.perf_counter()
        held = snapshot.read(graph, settings)
        read_seconds = time.perf_counter() - started
        trained = ""
        if ranker_module.load(model_path(settings)) is None:
            started = time.perf_counter()
            tune(held, settings)
            trained = f"; no model was saved: trained one first in {time.perf_counter() - started:.0f} s"
        del held
        gc.collect()
        served = served_ranker(settings)
        if served is not None and served.compiled is not None:  # compiled before the clock starts
            served.compiled.wait()
        current = snapshot.current(graph, settings)
        active = np.flatnonzero(current.data.links.endpoints())
        rng = np.random.default_rng(args.seed)
        seekers = [str(current.data.org_ids[i]) for i in rng.choice(active, args.queries, replace=False)]
        times, cpu, served = [], [], set()
        for seeker in seekers:
            started, cpu_started = time.perf_counter(), time.process_time()
            found = suggest(graph, seeker, limit=10, settings=settings)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            served |= {s.ranking for s in found}
        size = nbytes(current)
        screen = screen_bytes(current.view().history.embeddings)
    data = current.data
    table = Table(
        title=f"{data.n_orgs:,} organizations, {len(data.links):,} links, {data.n_projects:,} projects, "
        f"{len(data.part_org):,} participations{trained}"
    )
    columns = (
        "snapshot read",
        "snapshot memory",
        "+ text screen",
        "first suggest",
        "suggest p50 / p95",
        "CPU p50 / p95",
        "ranking",
    )
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        f"{read_seconds:.1f} s",
        f"{size / 2**20:,.0f} MiB",
        f"{screen / 2**20:,.0f} MiB",
        f"{times[0]:,.0f} ms",
        *_percentiles(times[1:]),
        *_percentiles(cpu[1:]),
        ", ".join(sorted(served)),
    )
    table.caption = _load_caption()
    console.print(table)


if __name__ == "__main__":
    main()
