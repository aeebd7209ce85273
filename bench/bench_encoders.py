"""The embedding backends side by side: speed on the same texts in one run, and what each costs in quality.

    python bench/bench_encoders.py [--texts 1000] [--rounds 3] [--quality-orgs 400]
        [--backends onnx,onnx-int8]

1. Speed: the distinct descriptions and needs of a generated region, sorted by length as ``embed`` sorts them,
   go through ``matching.model.embed_texts`` (what ``embed`` runs: text vectors and sentence vectors) on each
   backend, each in a fresh process of its own as in the product, warmed up by one pass over the same texts
   (every length); the backends take turns ``--rounds`` times (a shared machine's load drifts) and the
   medians are compared. Texts/s, CPU seconds of the worker process, speed-up over torch by wall time and by
   CPU (and by wall time in each round), and the cosine of each text vector to torch's.
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
from schema.embedders import EMBEDDING_BACKENDS, embedder_name  # noqa: E402
from schema.settings import Settings  # noqa: E402

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


def one_backend(backend: str, texts_file: Path, vectors_file: Path) -> None:
    """A worker process: load one backend, warm it up on the texts, time it on them again, save the vectors
    and print ``{"load", "wall", "cpu"}`` as JSON. Each backend runs alone in its process, as in the
    product: with torch and both ONNX models loaded in one process, the int8 model measured about a quarter
    slower (430 against 590 texts/s on these texts) than alone."""
    texts = json.loads(texts_file.read_text())
    name = embedder_name(Settings().embedding_model, backend)  # type: ignore[arg-type]
    started = time.perf_counter()
    load_model(name)
    load = time.perf_counter() - started
    embed_texts(texts, model_name=name)
    wall, cpu, vectors = timed(texts, name)
    np.save(vectors_file, vectors)
    print(json.dumps({"load": load, "wall": wall, "cpu": cpu}))


def speed(texts: list[str], backends: list[str], rounds: int) -> Table:
    """Each backend in a fresh process of its own, torch first, ``rounds`` times over (a shared machine's
    load drifts, so the backends take turns); the medians of the rounds are compared with torch's."""
    runs: dict[str, list[dict[str, float]]] = {backend: [] for backend in ["torch", *backends]}
    vectors: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-encoders-") as folder:
        texts_file = Path(folder) / "texts.json"
        texts_file.write_text(json.dumps(texts))
        for _ in range(rounds):
            for backend in runs:
                out = Path(folder) / f"{backend}.npy"
                done = subprocess.run(
                    [sys.executable, __file__, "--one", backend, str(texts_file), str(out)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    raise SystemExit(f"{backend} failed:\n{done.stderr}")
                runs[backend].append(json.loads(done.stdout.strip().splitlines()[-1]))
                vectors[backend] = np.load(out)
    median = {
        b: {k: float(np.median([r[k] for r in rs])) for k in ("load", "wall", "cpu")}
        for b, rs in runs.items()
    }
    result = Table(
        title=f"{len(texts)} texts, embed_texts, batch 64, a process per backend, median of {rounds}"
    )
    for column in (
        "backend",
        "load s",
        "texts/s",
        "CPU s",
        "× wall",
        "× CPU",
        "× wall, rounds",
        "cosine to torch min / mean",
    ):
        result.add_column(column, justify="left" if column == "backend" else "right")
    for backend, figures in median.items():
        cosines = np.sum(vectors[backend] * vectors["torch"], axis=1)
        ratios = [t["wall"] / r["wall"] for t, r in zip(runs["torch"], runs[backend], strict=True)]
        result.add_row(
            backend,
            f"{figures['load']:.1f}",
            f"{len(texts) / figures['wall']:.1f}",
            f"{figures['cpu']:.2f}",
            f"{median['torch']['wall'] / figures['wall']:.2f}",
            f"{median['torch']['cpu'] / figures['cpu']:.2f}",
            " ".join(f"{r:.2f}" for r in ratios),
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
    parser.add_argument("--rounds", type=int, default=3, help="Times each backend is timed, in turns.")
    parser.add_argument("--one", nargs=3, metavar=("BACKEND", "TEXTS", "VECTORS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_backend(args.one[0], Path(args.one[1]), Path(args.one[2]))
        return
    backends = [b for b in args.backends.split(",") if b and b != "torch"]
    if unknown := set(backends) - set(EMBEDDING_BACKENDS):
        raise SystemExit(f"unknown backends {unknown}: choose from {EMBEDDING_BACKENDS}")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    console.print(f"{started}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-encoders-") as folder:
        texts = region_texts(Path(folder), max(args.texts, 500), args.texts)
    console.print(speed(texts, backends, args.rounds))
    if args.quality_orgs:
        console.print(quality(args.quality_orgs, backends))
    console.print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
