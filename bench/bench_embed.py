"""Encoding throughput of ``clusterkg embed`` against the raw model, and a rerun with nothing changed.

    NEO4J_URI=bolt://... NEO4J_PASSWORD=... python bench/bench_embed.py [--texts-orgs 1000]

1. Throughput: a scratch Neo4j (started here, on a free port, in a temp folder) gets ``--texts-orgs``
   generated organizations through ``ingest.load``; then, in the same process with the model already loaded,
   ``model.encode`` on exactly the texts ``embed`` will encode (descriptions and needs, same batch size),
   then ``--rounds`` times ``clusterkg embed`` end to end (the CLI command: planning, encoding, sentence
   vectors, writes, progress bar; every text made new before each run) and ``model.encode`` once more.
   ``embed`` encodes each distinct text once (the generator, like real organizations, repeats need texts
   word for word); the raw baseline encodes every text, as a caller without that de-duplication would.
   Target: embed's texts/s >= 90% of the raw rate (the mean of the raw runs around it; median of rounds).
2. Nothing changed: ``clusterkg embed`` on the graph at NEO4J_URI (run ``bench/bench_suggest.py`` first: it
   loads 100,000 organizations with current hashes). Target: <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_suggest import server_cpu_seconds
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

import ingest
from api.cli import app
from graph import migrations
from graph.db import Graph
from graph.queries.matching import embeddings as queries
from graph.server import scratch_server
from ingest.generate import generate
from matching.embed import key_prefix, plan
from matching.model import encode, load_model
from schema.settings import Settings

console = Console(width=170)  # wide enough for the tables when the output goes to a file


def run_embed_command(settings: Settings) -> tuple[float, float, str]:
    """``clusterkg embed`` in this process; seconds, CPU seconds of this process, and its output."""
    flags = ["--neo4j-uri", settings.neo4j_uri, "--neo4j-user", settings.neo4j_user]
    flags += ["--neo4j-password", settings.neo4j_password]
    started, cpu_started = time.perf_counter(), time.process_time()
    result = CliRunner().invoke(app, [*flags, "embed"])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if result.exit_code != 0:
        raise SystemExit(f"clusterkg embed failed: {result.output}")
    summary = re.search(r"[\d,]+ organizations: .*", " ".join(result.output.split()))
    return seconds, cpu, summary.group(0) if summary else result.output


def run_embed_process(settings: Settings) -> float:
    """``clusterkg embed`` as a user runs it: a new process (interpreter start and imports included)."""
    env = {**os.environ, "NEO4J_URI": settings.neo4j_uri, "NEO4J_PASSWORD": settings.neo4j_password}
    started = time.perf_counter()
    command = shutil.which("clusterkg")
    if command is None:
        raise SystemExit("the clusterkg command is not installed (pip install -e .)")
    subprocess.run([command, "embed"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


@dataclass
class Rate:
    """Texts per second, and CPU milliseconds per text of this process and of the Neo4j server."""

    texts_per_s: float
    cpu_ms: float
    neo4j_cpu_ms: float | None = None

    @property
    def total_cpu_ms(self) -> float:
        return self.cpu_ms + (self.neo4j_cpu_ms or 0.0)


def raw_rate(texts: list[str], settings: Settings) -> Rate:
    started, cpu_started = time.perf_counter(), time.process_time()
    encode(texts, model_name=settings.embedder, batch_size=settings.embedding_batch_size)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return Rate(len(texts) / seconds, 1000 * cpu / len(texts))


def embed_rate(settings: Settings, texts: int) -> tuple[Rate, str]:
    """``clusterkg embed`` on the scratch graph, with the CPU of this process and of the Neo4j server."""
    neo4j_before = server_cpu_seconds(settings)
    seconds, cpu, said = run_embed_command(settings)
    neo4j_after = server_cpu_seconds(settings)
    rate = Rate(texts / seconds, 1000 * cpu / texts)
    if neo4j_before is not None and neo4j_after is not None:
        rate.neo4j_cpu_ms = 1000 * (neo4j_after - neo4j_before) / texts
    return rate, said


def throughput(orgs: int, seed: int, rounds: int) -> Table:
    """Raw encode, then ``rounds`` times (embed everything, raw encode): each embed run is compared with the
    raw runs just before and after it, as the load of a shared machine drifts."""
    home = Path(tempfile.mkdtemp(prefix="clusterkg-bench-embed-"))
    raws: list[Rate] = []
    embeds: list[Rate] = []
    try:
        scratch = scratch_server(home, neo4j_heap="1g", neo4j_pagecache="512m")
        with scratch as (settings, _), Graph.connect(settings) as graph:
            migrations.migrate(graph)
            generate(home / "region", orgs=orgs, seed=seed)
            ingest.load(graph, [home / "region" / "organizations.csv"])
            model = settings.embedder
            jobs = plan(graph.run(queries.EMBED_STALE, key_prefix=key_prefix(model)), model).jobs
            texts = [job.text for job in jobs]
            load_model(settings.embedder)
            encode(texts[:128], model_name=settings.embedder)  # warm up
            raws.append(raw_rate(texts, settings))
            for _ in range(rounds):
                graph.run(queries.FORGET_EMBEDDING_HASHES)  # every text is new again
                rate, said = embed_rate(settings, len(texts))
                embeds.append(rate)
                raws.append(raw_rate(texts, settings))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    table = Table(
        title=f"embedding throughput, {len(texts):,} texts ({orgs:,} organizations; {len(set(texts)):,} "
        "distinct texts: raw encodes all, embed each distinct one once), CPU"
    )
    columns = (
        "what",
        "texts/s",
        "vs raw around it",
        "CPU ms/text",
        "Neo4j CPU ms/text",
        "raw CPU / total CPU",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "what" else "right")
    ratios = []
    for i, raw in enumerate(raws):
        table.add_row(
            f"model.encode, raw ({i + 1})", f"{raw.texts_per_s:.1f}", "", f"{raw.cpu_ms:.2f}", "", ""
        )
        if i < len(embeds):
            rate, around = embeds[i], raws[i : i + 2]
            ratio = rate.texts_per_s / statistics.fmean(r.texts_per_s for r in around)
            ratios.append(ratio)
            table.add_row(
                f"clusterkg embed, end to end ({i + 1})",
                f"{rate.texts_per_s:.1f}",
                f"{ratio:.1%}",
                f"{rate.cpu_ms:.2f}",
                "n/a" if rate.neo4j_cpu_ms is None else f"{rate.neo4j_cpu_ms:.2f}",
                f"{statistics.fmean(r.cpu_ms for r in around) / rate.total_cpu_ms:.1%}",
            )
    table.add_row("median embed vs raw", "", f"{statistics.median(ratios):.1%} (target >= 90%)", "", "", "")
    table.caption = (
        f"clusterkg embed said: {said}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs. "
        "The last column compares CPU spent per text (this process, plus the Neo4j server for embed)"
    )
    return table


def unchanged_rerun() -> Table:
    settings = Settings()
    with Graph.connect(settings) as graph:
        counts = graph.run(queries.COUNT_EMBEDDED)[0]
    seconds, _, said = run_embed_command(settings)
    process_seconds = run_embed_process(settings)
    table = Table(title=f"clusterkg embed with nothing changed, {counts['organizations']:,} organizations")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("target", justify="right")
    table.add_row("clusterkg embed (CLI, in-process, imports done)", f"{seconds:.2f}", "<= 5 s")
    table.add_row(
        "clusterkg embed (a new process: interpreter start and imports)", f"{process_seconds:.2f}", ""
    )
    table.caption = (
        f"clusterkg embed said: {said}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts-orgs", type=int, default=1000, help="Organizations in the throughput run.")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="Embed runs, each between two raw runs.")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-unchanged", action="store_true", help="No graph at NEO4J_URI to rerun on.")
    args = parser.parse_args()
    if not args.skip_throughput:
        console.print(throughput(args.texts_orgs, args.seed, args.rounds))
    if not args.skip_unchanged:
        console.print(unchanged_rerun())


if __name__ == "__main__":
    main()
