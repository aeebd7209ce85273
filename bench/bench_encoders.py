"""The embedding backends side by side: speed on the same texts in one run, and what each costs in quality.

    python bench/bench_encoders.py [--texts 1000] [--quality-orgs 400] [--backends torch,onnx,onnx-int8]

1. Speed: the distinct descriptions and needs of a generated region, sorted by length as ``embed`` sorts them,
   go through ``matching.model.embed_texts`` (what ``embed`` runs: text vectors and sentence vectors) on each
   backend in this process: torch first and again last (a shared machine's load drifts; the baseline is the
   mean of the two), each backend warmed up first. Texts/s, CPU seconds of this process, speed-up over torch
   by wall time and by CPU, and the cosine of each text vector to torch's.
2. Quality: in a scratch Neo4j, the planted region of ``docs/evaluation.md`` (``--quality-orgs``
   organizations, seed 1) and the demo region, each embedded by each backend (``clusterkg embed``: the
   backend is in the stored key, so each switch re-embeds every text) and evaluated by ``clusterkg eval
   --hide 0.2 --seed 7 --json``: recall@10 and nDCG@10 of the full method and of the embedding baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_first_suggestion import CLI, console, scratch_server  # noqa: E402

from ingest.generate import generate  # noqa: E402
from matching.model import embed_texts, load_model  # noqa: E402
from schema.settings import EMBEDDING_BACKENDS, Settings, embedder_name  # noqa: E402

DEMO = sorted(str(p) for p in (ROOT / "ingest" / "demo").iterdir() if p.suffix in (".csv", ".jsonl"))


def region_texts(folder: Path, orgs: int, count: int) -> list[str]:
    """``count`` distinct descriptions and needs of a generated region, shortest first (as ``embed`` does)."""
    generate(folder, orgs=orgs, seed=7)
    with (folder / "organizations.csv").open(newline="") as rows:
        texts = {text for row in csv.DictReader(rows) for text in (row["description"], row["needs"]) if text}
    return sorted(texts, key=len)[:: max(1, len(texts) // count)][:count]


def timed(texts: list[str], name: str) -> tuple[float, float, np.ndarray]:
    started, cpu = time.perf_counter(), time.process_time()
    vectors = np.stack([e.vector for e in embed_texts(texts, model_name=name)])
    return time.perf_counter() - started, time.process_time() - cpu, vectors


def speed(texts: list[str], backends: list[str]) -> Table:
    model = Settings().embedding_model
    loads = {}
    for backend in ["torch", *backends]:
        started = time.perf_counter()
        load_model(embedder_name(model, backend))  # type: ignore[arg-type]
        loads[backend] = time.perf_counter() - started
        embed_texts(texts[:64], model_name=embedder_name(model, backend))  # type: ignore[arg-type]
    runs = {"torch": [timed(texts, embedder_name(model, "torch"))]}
    for backend in backends:
        runs[backend] = [timed(texts, embedder_name(model, backend))]  # type: ignore[arg-type]
    runs["torch"].append(timed(texts, embedder_name(model, "torch")))
    base_wall = float(np.mean([wall for wall, _, _ in runs["torch"]]))
    base_cpu = float(np.mean([cpu for _, cpu, _ in runs["torch"]]))
    exact = runs["torch"][0][2]
    result = Table(title=f"{len(texts)} texts, embed_texts, batch 64")
    for column in ("backend", "load s", "texts/s", "CPU s", "× wall", "× CPU", "cosine to torch min / mean"):
        result.add_column(column, justify="left" if column == "backend" else "right")
    for backend, measured in runs.items():
        for wall, cpu, vectors in measured:
            cosines = np.sum(vectors * exact, axis=1)
            result.add_row(
                backend,
                f"{loads[backend]:.1f}",
                f"{len(texts) / wall:.1f}",
                f"{cpu:.1f}",
                f"{base_wall / wall:.2f}",
                f"{base_cpu / cpu:.2f}",
                f"{cosines.min():.4f} / {cosines.mean():.4f}",
            )
    return result


def cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"clusterkg {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def quality(orgs: int, backends: list[str]) -> Table:
    result = Table(title="clusterkg eval --hide 0.2 --seed 7 after clusterkg embed, per backend")
    for column in ("region", "backend", "embed s", "recall@10", "nDCG@10", "embedding-only recall@10"):
        result.add_column(column, justify="left" if column in ("region", "backend") else "right")
    for region in (f"planted, {orgs} organizations", "demo"):
        with scratch_server("torch") as (settings, env):
            if region == "demo":
                files = DEMO
            else:
                generate(Path(settings.home) / "region", orgs=orgs, seed=1)
                files = sorted(str(p) for p in (Path(settings.home) / "region").glob("*.csv"))
            cli(["ingest", *files, "--rejects", str(Path(settings.home) / "rejects.csv")], env)
            for backend in ["torch", *backends]:
                env = {**env, "CLUSTERKG_EMBEDDING_BACKEND": backend}
                started = time.perf_counter()
                cli(["embed"], env)
                seconds = time.perf_counter() - started
                said = cli(["eval", "--hide", "0.2", "--seed", "7", "--json"], env)
                rows = {row["method"]: row for row in json.loads(said)}
                full, text = rows["clusterkg"], rows["embedding"]
                figures = (full["recall_at_10"], full["ndcg_at_10"], text["recall_at_10"])
                result.add_row(region, backend, f"{seconds:.1f}", *(f"{f:.4f}" for f in figures))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=1000, help="Distinct texts encoded by each backend.")
    parser.add_argument("--quality-orgs", type=int, default=400, help="Organizations of the planted region.")
    parser.add_argument("--backends", default="onnx,onnx-int8", help="Compared with torch, comma-separated.")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b and b != "torch"]
    if unknown := set(backends) - set(EMBEDDING_BACKENDS):
        raise SystemExit(f"unknown backends {unknown}: choose from {EMBEDDING_BACKENDS}")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    console.print(f"{started}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-encoders-") as folder:
        texts = region_texts(Path(folder), max(args.texts, 500), args.texts)
    console.print(speed(texts, backends))
    if args.quality_orgs:
        console.print(quality(args.quality_orgs, backends))
    console.print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
