"""The learned ranker on an inner temporal validation, before the benchmark's split: how to choose a variant.

    NEO4J_URI=bolt://... NEO4J_PASSWORD=... python bench/eval_validation.py \
        [--data ../shared/data/cordis-h2020] [--day 2018-01-01] [--until 2019-01-01] [--seed 7] [--fit-seed S]

The graph at NEO4J_URI is read as ``clusterkg eval`` reads it (loaded from ``--data`` first if needed). The
full method is trained as the benchmark and ``clusterkg tune`` train it (``matching.tune.train``), one
horizon before ``--day`` (by default at 2017 with 2017's new partners as labels), and ranks for
``--queries`` organizations of ``--roles`` drawn with ``default_rng(--seed)`` at ``--day``; truth is their
new partners in ``[--day, --until)``. Nothing on or after ``--until`` (the benchmark's split) is read, so
choosing features or settings by this table never looks at the test links. Adamic-Adar (the ratio's
baseline), AA-DC and most-connected rank the same queries.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from matching import snapshot, snapshot_file
from matching.dataset import GraphData
from matching.evaluation import baselines
from matching.evaluation.benchmark import cold_start, pool_recall
from matching.evaluation.protocol import rank, score_lists
from matching.features import PairFeatures
from matching.history import TextVectors, temporal_split
from matching.tune import learned_scorer, train
from schema.errors import echo
from schema.settings import Settings


def read_graph(folder: Path | None, settings: Settings) -> tuple[GraphData, TextVectors]:
    """The graph's snapshot, loaded from ``folder`` first if needed (as ``clusterkg eval --data`` does)."""
    from api.cli.evaluate import ensure_loaded
    from graph.db import Graph
    from ingest.sources import CORDIS_MAPPINGS

    with Graph.connect(settings) as graph:
        if folder is not None:
            ensure_loaded(graph, folder, mappings=CORDIS_MAPPINGS, source="cordis-h2020", batch_size=5000)
        held = snapshot.read(graph, settings)
    return held.data, held.vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="Registry folder, loaded first if needed.")
    parser.add_argument("--day", default="2018-01-01", help="Validation day: history before it.")
    parser.add_argument("--until", default="2019-01-01", help="Truth ends here (the benchmark's split).")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--roles", default="firm", help="Roles of the queries, comma-separated.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--fit-seed",
        type=_seeds,
        default=None,
        help="Seed of the fit (default: --seed); several, comma-separated (7,8,9,10), are each fitted and "
        "ranked, with their mean recall@10: one fit seed moves it by about 0.001.",
    )
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help="A file: read the snapshot from it when it exists, else save the graph's snapshot to it and "
        "stop (to rank on another machine).",
    )
    args = parser.parse_args()
    console = Console()
    settings = Settings()
    started = time.perf_counter()
    if args.snapshot is not None and args.snapshot.exists():
        _, data, vectors, _ = snapshot_file.read(args.snapshot)
    else:
        data, vectors = read_graph(args.data, settings)
        if args.snapshot is not None:
            snapshot_file.write(
                args.snapshot, {"read by": "eval_validation"}, data, vectors, snapshot.no_answers()
            )
            console.print(f"saved the snapshot to {args.snapshot}")
            return
    read_seconds = time.perf_counter() - started
    day, until = np.datetime64(args.day, "D"), np.datetime64(args.until, "D")
    split = temporal_split(
        data,
        day,
        roles=set(args.roles.split(",")),
        n_queries=args.queries,
        seed=args.seed,
        until=until,
        vectors=vectors,
    )
    fit_seeds = [args.seed] if args.fit_seed is None else args.fit_seed
    held = snapshot.Snapshot(data, vectors, snapshot.no_answers(), {})
    h = split.history
    learned, fit = {}, {}
    for fit_seed in fit_seeds:
        name = "clusterkg" if len(fit_seeds) == 1 else f"clusterkg (fit {fit_seed})"
        started = time.perf_counter()
        cpu = time.process_time()
        learned[name] = learned_scorer(train(held, day, seed=fit_seed, held_out=False), h)
        fit[name] = time.perf_counter() - started, time.process_time() - cpu
    methods = {
        **learned,
        "adamic-adar": baselines.adamic_adar_scorer(h),
        "aa-dc": baselines.aa_dc_scorer(h),
        "most-connected": baselines.most_connected_scorer(h),
    }
    table = Table(
        title=f"validation: {len(split.queries)} queries ({args.roles}) at {args.day}, "
        f"truth until {args.until}, seed {args.seed} (fit {','.join(map(str, fit_seeds))}); "
        f"{sum(len(r) for r in split.relevant):,} new partners"
    )
    for column in ("method", "recall@10", "hit@10", "nDCG@10", "recall / Adamic-Adar", "s", "CPU s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    rows = {}
    cold = cold_start(h, split.queries, split.relevant)
    cold_figures = {}
    for name, scorer in methods.items():
        started = time.perf_counter()
        cpu = time.process_time()
        ranked = rank(h, scorer, split.queries, chunk=100)
        figures = score_lists(ranked, split.relevant)
        cold_figures[name] = score_lists(
            ranked[cold], [r for r, c in zip(split.relevant, cold, strict=True) if c]
        )
        seconds = time.perf_counter() - started + fit.get(name, (0.0, 0.0))[0]
        cpu_seconds = time.process_time() - cpu + fit.get(name, (0.0, 0.0))[1]
        rows[name] = (figures, seconds, cpu_seconds)
    base = rows["adamic-adar"][0]["recall_at_10"]
    for name, (f, seconds, cpu_seconds) in rows.items():
        table.add_row(
            name,
            f"{f['recall_at_10']:.4f}",
            f"{f['hit_at_10']:.3f}",
            f"{f['ndcg_at_10']:.4f}",
            f"{f['recall_at_10'] / base:.2f}x",
            f"{seconds:.0f}",
            f"{cpu_seconds:.0f}",
        )
    console.print(table)
    console.print(
        f"cold start ({int(cold.sum())} queries none of whose new partners shares a partner with them): "
        + ", ".join(
            f"{name} {f['recall_at_10']:.4f} / {f['hit_at_10']:.3f}" for name, f in cold_figures.items()
        )
        + " (recall@10 / hit@10)"
    )
    pool = pool_recall(PairFeatures(h), split.queries, split.relevant)
    console.print(
        f"pool recall {pool:.3f}; read {read_seconds:.0f} s; fit "
        + ", ".join(f"{wall:.0f} s ({cpu_seconds:.0f} s CPU)" for wall, cpu_seconds in fit.values())
    )
    if len(fit_seeds) > 1:
        recalls = [rows[name][0]["recall_at_10"] for name in learned]
        console.print(
            f"clusterkg recall@10 over fit seeds {','.join(map(str, fit_seeds))}: "
            f"mean {np.mean(recalls):.4f}, standard deviation {np.std(recalls):.4f}"
        )


def _seeds(text: str) -> list[int]:
    """``7`` or ``7,8,9,10``: the fit seeds."""
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{echo(text)} is not a seed or comma-separated seeds") from None
    return seeds


if __name__ == "__main__":
    main()
