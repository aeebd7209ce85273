"""Where ``embed``'s encoding time goes, and whether a static-embedding model could take the bulk of it.

    python bench/bench_static_candidates.py [--orgs 3000] [--queries 300]
    python bench/bench_static_candidates.py --cordis /work/shared/data/cordis-h2020

On the texts of a generated region (``ingest.generate``, in a temp folder; no Neo4j), or with ``--cordis``
on real ones: ``--orgs`` distinct CORDIS project titles, each query one of them (itself left out):

1. The texts ``embed`` encodes: how many, how many distinct, their length in tokens (the model reads 256).
2. The int8 encoder (``onnx-int8``, what ``embed`` runs) on one thread: CPU milliseconds per text of 4, 20,
   40 and 60 tokens. A run's fixed part is what batching could save at most (each text runs alone, see
   ``matching.encoders``).
3. A static model (model2vec's recipe, done here: ``model2vec[distill]`` would downgrade transformers and
   tokenizers in this environment): each vocabulary token through the fp32 ONNX copy alone, mean-pooled,
   PCA, Zipf weights; a text is the mean of its tokens' rows. Its cost, its texts/s against the int8 encoder's
   on the region's descriptions, and, for ``--queries`` public needs, the share of the int8 encoder's 10
   nearest descriptions found among the static model's nearest k: the candidates a static first stage would
   hand the transformer. Generated descriptions offer a few dozen capabilities and differ by name and city,
   so many of their nearest 10 are near-ties; the CORDIS titles are the fairer test.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.generate import generate  # noqa: E402
from matching import onnx_export  # noqa: E402
from matching.model import encode, model_folder  # noqa: E402
from schema.settings_loader import get_settings  # noqa: E402

console = Console(width=150)
DEPTHS = (50, 100, 200, 500)


def region_texts(orgs: int, seed: int) -> tuple[list[str], list[str]]:
    """The descriptions and the public needs of a generated region."""
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-static-") as folder:
        generate(Path(folder), orgs=orgs, seed=seed)
        with open(Path(folder) / "organizations.csv", newline="") as file:
            rows = list(csv.DictReader(file))
    needs = [r["needs"] for r in rows if r["needs"] and r["needs_visibility"] == "public"]
    return [r["description"] for r in rows if r["description"]], needs


def cordis_titles(folder: Path, count: int, seed: int) -> list[str]:
    """``count`` distinct project titles of a CORDIS folder, drawn at random."""
    with gzip.open(folder / "projects.csv.gz", "rt", newline="") as file:
        titles = sorted({r["title"].strip() for r in csv.DictReader(file) if r["title"].strip()})
    rng = np.random.default_rng(seed)
    return [titles[i] for i in rng.choice(len(titles), min(count, len(titles)), replace=False)]


def session(path: Path) -> object:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def feed(ids: np.ndarray) -> dict[str, np.ndarray]:
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def per_run_ms(model: object, tokens: int, runs: int = 100) -> float:
    """CPU milliseconds of one text of ``tokens`` tokens through ``model`` on one thread."""
    inputs = feed(np.full((1, tokens), 2000, dtype=np.int64))
    model.run(None, inputs)  # type: ignore[attr-defined]
    started = time.process_time()
    for _ in range(runs):
        model.run(None, inputs)  # type: ignore[attr-defined]
    return 1000 * (time.process_time() - started) / runs


def distill(fp32: object, vocabulary: int, dimensions: int) -> np.ndarray:
    """model2vec's recipe: every token alone between [CLS] and [SEP], mean-pooled; PCA; Zipf weights (a
    token's rank in the vocabulary stands in for its frequency, as model2vec assumes)."""
    table = np.zeros((vocabulary, 384), np.float32)
    for start in range(0, vocabulary, 1024):
        ids = np.arange(start, min(vocabulary, start + 1024))
        sandwich = np.stack([np.full(len(ids), 101), ids, np.full(len(ids), 102)], 1).astype(np.int64)
        table[ids] = fp32.run(None, feed(sandwich))[0].mean(axis=1)  # type: ignore[attr-defined]
    table -= table.mean(axis=0)
    components = np.linalg.svd(table, full_matrices=False)[2][:dimensions]
    rank = np.arange(1, vocabulary + 1)
    weights = 1e-3 / (1e-3 + 1 / (rank * np.log(1.78 * vocabulary)))
    return (table @ components.T * weights[:, None]).astype(np.float32)


def static_encode(table: np.ndarray, tokenizer: object, texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), table.shape[1]), np.float32)
    for i, encoding in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):  # type: ignore[attr-defined]
        if encoding.ids:
            out[i] = table[encoding.ids].mean(axis=0)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--dimensions", type=int, default=256)
    parser.add_argument("--cordis", type=Path, help="A CORDIS folder: its project titles instead.")
    args = parser.parse_args()
    from tokenizers import Tokenizer

    settings = get_settings()
    load, started_at = os.getloadavg()[0], time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.cordis:
        descriptions = cordis_titles(args.cordis, args.orgs, args.seed)
        needs = descriptions[: args.queries]
    else:
        descriptions, needs = region_texts(args.orgs, args.seed)
    folder = onnx_export.ensure(model_folder(settings.embedding_model), "onnx-int8", settings.cache_dir)
    tokenizer = Tokenizer.from_file(str(folder / onnx_export.TOKENIZER))
    tokenizer.no_padding()
    texts = descriptions if args.cordis else [*descriptions, *needs]
    lengths = np.array([len(e.ids) for e in tokenizer.encode_batch(sorted(set(texts)))])

    what = f"{len(descriptions):,} CORDIS titles" if args.cordis else f"{args.orgs:,} generated organizations"
    result = Table(title=f"{what}: {started_at}, load average {load:.1f}")
    result.add_column("measure")
    result.add_column("figure", justify="right")
    result.add_row(
        "texts (descriptions and public needs, or titles) / distinct", f"{len(texts):,} / {len(set(texts)):,}"
    )
    result.add_row(
        "tokens per distinct text: mean / p95 / max",
        f"{lengths.mean():.1f} / {np.percentile(lengths, 95):.0f} / {lengths.max()}",
    )
    int8, fp32 = (session(folder / onnx_export.FILES[kind]) for kind in ("onnx-int8", "onnx"))
    for tokens in (4, 20, 40, 60):
        result.add_row(
            f"int8 encoder, one thread, {tokens} tokens: CPU ms", f"{per_run_ms(int8, tokens):.2f}"
        )

    cpu, wall = time.process_time(), time.perf_counter()
    truth = encode(descriptions, model_name=settings.embedder)
    int8_rate = len(descriptions) / (time.perf_counter() - wall)
    result.add_row(
        "int8 encoder (both cores): descriptions/s, CPU ms each",
        f"{int8_rate:.0f}, {1000 * (time.process_time() - cpu) / len(descriptions):.2f}",
    )
    cpu = time.process_time()
    table = distill(fp32, tokenizer.get_vocab_size(), args.dimensions)
    result.add_row(
        "static model: distilled in CPU s, table MB",
        f"{time.process_time() - cpu:.1f}, {table.nbytes / 1e6:.1f}",
    )
    cpu, wall = time.process_time(), time.perf_counter()
    static = static_encode(table, tokenizer, descriptions)
    result.add_row(
        "static model: descriptions/s, CPU ms each",
        f"{len(descriptions) / (time.perf_counter() - wall):.0f}, "
        f"{1000 * (time.process_time() - cpu) / len(descriptions):.3f}",
    )

    rng = np.random.default_rng(args.seed)
    picked = rng.choice(len(needs), min(args.queries, len(needs)), replace=False)
    asked = [needs[i] for i in picked]
    exact = encode(asked, model_name=settings.embedder) @ truth.T
    rough = static_encode(table, tokenizer, asked) @ static.T
    if args.cordis:  # a title's nearest are the others
        exact[np.arange(len(picked)), picked] = rough[np.arange(len(picked)), picked] = -np.inf
    near, order = np.argsort(-exact, axis=1)[:, :10], np.argsort(-rough, axis=1)
    for depth in DEPTHS:
        found = [len(set(a) & set(b[:depth])) / 10 for a, b in zip(near, order, strict=True)]
        result.add_row(
            f"int8's 10 nearest found in the static {depth} nearest: mean (min)",
            f"{np.mean(found):.3f} ({np.min(found):.1f})",
        )
    console.print(result)
    console.print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
