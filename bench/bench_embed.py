"""Encoding throughput of ``clusterkg embed`` against the raw model, and a rerun with nothing changed.

    NEO4J_URI=bolt://... NEO4J_PASSWORD=... python bench/bench_embed.py [--texts-orgs 1000]

1. Throughput: a scratch Neo4j (started here, on a free port, in a temp folder) gets ``--texts-orgs``
   generated organizations through ``ingest.load``; then, in the same process with the model already loaded,
   ``model.encode`` on exactly the texts ``embed`` will encode (descriptions and needs, same batch size),
   ``clusterkg embed`` end to end (the CLI command: planning, encoding, sentence vectors, writes, progress
   bar), and ``model.encode`` once more. Target: embed's texts/s >= 90% of the raw rate (mean of both runs).
2. Nothing changed: ``clusterkg embed`` on the graph at NEO4J_URI (run ``bench/bench_suggest.py`` first: it
   loads 100,000 organizations with current hashes). Target: <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

import ingest
from api.cli import app
from graph import migrations
from graph.db import Graph
from graph.queries import matching as queries
from graph.server import ManagedNeo4j, free_port
from ingest.generate import generate
from matching.embed import EmbedSummary, plan
from matching.model import encode, load_model
from schema.settings import Settings

console = Console()
SCRATCH_PASSWORD = "clusterkg-bench-scratch"


def run_embed_command(settings: Settings) -> tuple[float, str]:
    """``clusterkg embed`` in this process; seconds and its output."""
    flags = ["--neo4j-uri", settings.neo4j_uri, "--neo4j-user", settings.neo4j_user]
    flags += ["--neo4j-password", settings.neo4j_password]
    started = time.perf_counter()
    result = CliRunner().invoke(app, [*flags, "embed"])
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"clusterkg embed failed: {result.output}")
    summary = re.search(r"[\d,]+ organizations: .*", " ".join(result.output.split()))
    return seconds, summary.group(0) if summary else result.output


def raw_rate(texts: list[str], settings: Settings) -> float:
    started = time.perf_counter()
    encode(texts, model_name=settings.embedding_model, batch_size=settings.embedding_batch_size)
    return len(texts) / (time.perf_counter() - started)


def throughput(orgs: int, seed: int) -> Table:
    home = Path(tempfile.mkdtemp(prefix="clusterkg-bench-embed-"))
    port = free_port()
    settings = Settings(
        home=home,
        neo4j_uri=f"bolt://127.0.0.1:{port}",
        neo4j_bolt_port=port,
        neo4j_password=SCRATCH_PASSWORD,
        neo4j_heap="1g",
        neo4j_pagecache="512m",
    )
    server = ManagedNeo4j(settings)
    server.start()
    try:
        with Graph.connect(settings) as graph:
            migrations.migrate(graph)
            generate(home / "region", orgs=orgs, seed=seed)
            ingest.load(graph, [home / "region" / "organizations.csv"])
            jobs, _ = plan(graph.run(queries.EMBED_STATE), settings.embedding_model, EmbedSummary())
        texts = [job.text for job in jobs]
        load_model(settings.embedding_model)
        encode(texts[:128], model_name=settings.embedding_model)  # warm up
        before = raw_rate(texts, settings)
        seconds, said = run_embed_command(settings)
        after = raw_rate(texts, settings)
    finally:
        server.stop()
    raw = statistics.fmean([before, after])
    rate = len(texts) / seconds
    table = Table(title=f"embedding throughput, {len(texts):,} texts ({orgs:,} organizations), CPU")
    for column in ("what", "texts/s", "vs raw"):
        table.add_column(column, justify="left" if column == "what" else "right")
    table.add_row("model.encode, raw (before)", f"{before:.1f}", "")
    table.add_row("model.encode, raw (after)", f"{after:.1f}", "")
    table.add_row("clusterkg embed, end to end", f"{rate:.1f}", f"{rate / raw:.1%} (target >= 90%)")
    table.caption = (
        f"clusterkg embed said: {said}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return table


def unchanged_rerun() -> Table:
    settings = Settings()
    with Graph.connect(settings) as graph:
        counts = graph.run(queries.COUNT_EMBEDDED)[0]
    seconds, said = run_embed_command(settings)
    table = Table(title=f"clusterkg embed with nothing changed, {counts['organizations']:,} organizations")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("target", justify="right")
    table.add_row("clusterkg embed (CLI, in-process)", f"{seconds:.2f}", "<= 5 s")
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
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    if not args.skip_throughput:
        console.print(throughput(args.texts_orgs, args.seed))
    console.print(unchanged_rerun())


if __name__ == "__main__":
    main()
