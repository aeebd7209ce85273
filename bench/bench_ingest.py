"""Ingest benchmark (issue 3, Performance): a generated region loaded into a fresh Neo4j.

Prints, measured in one run: organization rows/s and link rows/s end to end (parse + validate + resolve +
write), the transfer-only ceiling (``UNWIND $rows RETURN count(*)``), a naive baseline (the same write,
one row per transaction, on a sample), the speed-up of a second load of the same files, and the peak memory
of the loading process for the organization file and for the same records in a file five times larger
(streamed: memory follows the number of organizations, not the bytes), and for a file of ``--one-id`` rows
that all hold one id, each with other values, and one five times longer (every row but the first a conflict:
memory follows the ids in conflict, not the rows). It also prints the CPU seconds the
loading process and the Neo4j server spent on each load: on a shared 2-core machine they say which side
bounds the rate.

A server that has just started spends as much CPU compiling its hot code (the JIT's compiler threads) as
running it: on 2 cores that halves the rate of the first minute. A running service is warm, so before the
measured loads the benchmark loads a small region of its own (``--warm-up`` organizations), prints that cold
rate, and deletes it: the measured loads still start on an empty graph.

    python bench/bench_ingest.py                      # 100,000 organizations, 300,000 collaborations
    python bench/bench_ingest.py --orgs 20000 --collaborations 60000

It also prints the floor of a write: the same organization rows, each creating its node with the id alone
(no properties, role label, edges or index entries beyond the id), one writer.

It starts its own Neo4j (the managed Community server, throwaway folder, free port) so the graph is fresh.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from graph import admin, migrations
from graph.db import Graph
from graph.queries.ingest import writes as q
from graph.server import SCRATCH_PASSWORD, cpu_seconds, scratch_server
from ingest import load
from ingest.generate import generate
from ingest.resolve import Keys
from ingest.writer import Writer, collaboration_row, organization_row
from schema.models import CollaborationRecord, OrganizationRecord
from schema.settings import Settings


def _child(files: list[str], uri: str, dry_run: bool, batch_size: int, writers: int) -> None:
    """Load in this (child) process and print the summary and the peak resident memory as JSON."""
    settings = Settings(environment="test", neo4j_uri=uri, neo4j_password=SCRATCH_PASSWORD)
    with Graph.connect(settings) as graph:
        summary = load(graph, files, dry_run=dry_run, batch_size=batch_size, writers=writers)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {"summary": summary.as_dict(), "peak_mb": usage.ru_maxrss / 1024}
    print(json.dumps({**result, "cpu_s": usage.ru_utime + usage.ru_stime}, default=str))


def _run_child(
    files: list[Path],
    uri: str,
    *,
    dry_run: bool = False,
    batch_size: int,
    writers: int = 1,
    server: int | None = None,
) -> dict[str, Any]:
    """Load in a fresh process; the result also says the CPU seconds of the loader and of the server."""
    command = [sys.executable, __file__, "--child", "--uri", uri, "--batch-size", str(batch_size)]
    command += ["--writers", str(writers)]
    command += ["--dry-run"] if dry_run else []
    before = cpu_seconds(server)
    done = subprocess.run([*command, *map(str, files)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child load failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    after = cpu_seconds(server)
    result["server_cpu_s"] = after - before if before is not None and after is not None else float("nan")
    return result


def _file(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in summary["files"] if f["kind"] == kind]


def _rate(files: list[dict[str, Any]]) -> float:
    return sum(f["rows"] for f in files) / max(sum(f["seconds"] for f in files), 1e-9)


def _rows(path: Path, limit: int) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]


def _padded(source: Path, target: Path, factor: int) -> None:
    """The same records with descriptions ``factor`` times as long (streamed, row by row)."""
    with (
        source.open(encoding="utf-8", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for row in reader:
            row["description"] = " ".join([row["description"]] * factor)[:4900]
            writer.writerow(row)


def _one_id(target: Path, rows: int) -> Path:
    """``rows`` rows of organization X, each with another description (streamed, row by row)."""
    target.parent.mkdir(exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "role", "description"])
        writer.writerows(["X", "Alpha", "firm", f"Makes part {n} of a machine"] for n in range(rows))
    return target


def _warm_up(
    work: Path, args: argparse.Namespace, uri: str, graph: Graph, load_options: dict[str, Any]
) -> tuple[float, float] | None:
    """Load a small region of its own into the fresh server and delete it again; its (cold) organization
    and link rates, or None when ``--warm-up 0``."""
    if not args.warm_up:
        return None
    region = generate(
        work / "warm-up", orgs=args.warm_up, collaborations=3 * args.warm_up, seed=args.seed + 1
    )
    summary = _run_child(region.files, uri, **load_options)["summary"]
    admin.delete_data(graph)
    links = _file(summary, "memberships") + _file(summary, "collaborations")
    return _rate(_file(summary, "organizations")), _rate(links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--collaborations", type=int, default=300_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--ceiling-sample", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--writers", type=int, default=2, help="write transactions at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one-id", type=int, default=100_000, help="rows of the smaller file of one id")
    parser.add_argument(
        "--warm-up", type=int, default=10_000, help="organizations of the throwaway warm-up load (0: none)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.files, args.uri, args.dry_run, args.batch_size, args.writers)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    started = time.perf_counter()
    region = generate(work / "region", orgs=args.orgs, collaborations=args.collaborations, seed=args.seed)
    print(
        f"generated {region.organizations:,} organizations, {region.collaborations:,} collaborations, "
        f"{region.memberships:,} memberships in {time.perf_counter() - started:.1f} s"
    )
    clusters, organizations, memberships, collaborations = region.files
    try:
        with scratch_server(work / "neo4j-home", neo4j_heap="2g", neo4j_pagecache="1g") as (settings, server):
            with Graph.connect(settings) as graph:
                migrations.migrate(graph)
                uri = settings.neo4j_uri

                pid = server.status().pid
                load_options = {"batch_size": args.batch_size, "writers": args.writers, "server": pid}
                cold = _warm_up(work, args, uri, graph, load_options)
                first = _run_child(region.files, uri, **load_options)
                second = _run_child(region.files, uri, **load_options)
                org_rate = _rate(_file(first["summary"], "organizations"))
                link_files = _file(first["summary"], "memberships") + _file(
                    first["summary"], "collaborations"
                )
                link_rate = _rate(link_files)

                # The ceiling: the same prepared rows, sent and counted, nothing written.
                records = [
                    OrganizationRecord.model_validate(r) for r in _rows(organizations, args.ceiling_sample)
                ]
                org_rows = [organization_row(r, Keys.of(r), r.id, True, True, "p", "e") for r in records]
                links = [
                    CollaborationRecord.model_validate(r) for r in _rows(collaborations, args.ceiling_sample)
                ]
                link_rows = [collaboration_row(r, r.source, r.target, "h", True) for r in links]

                def transfer(rows: list[dict[str, Any]]) -> float:
                    t = time.perf_counter()
                    for start in range(0, len(rows), args.batch_size):
                        graph.run(q.TRANSFER_ONLY, rows=rows[start : start + args.batch_size])
                    return len(rows) / (time.perf_counter() - t)

                org_ceiling, link_ceiling = transfer(org_rows), transfer(link_rows)

                # The floor of a write: each organization's node with its id alone, from the same rows.
                bare = [{**row, "id": f"bare-{row['id']}"} for row in org_rows]
                before, t = cpu_seconds(pid), time.perf_counter()
                for start in range(0, len(bare), args.batch_size):
                    graph.run(q.CREATE_BARE_ORGANIZATIONS, rows=bare[start : start + args.batch_size])
                bare_rate = len(bare) / (time.perf_counter() - t)
                bare_ms = ((cpu_seconds(pid) or 0.0) - (before or 0.0)) / len(bare) * 1000

                # The naive baseline: the same write (the organization, its labels, properties and edges), one
                # row per transaction and round trip, on new ids.
                prov = Writer.provenance("bench-naive", "", "bench", dt.datetime.now(dt.UTC))
                sample = org_rows[: args.naive_sample]
                t = time.perf_counter()
                for row in sample:
                    naive = {**row, "id": f"naive-{row['id']}", "record": f"naive-{row['record']}"}
                    graph.run(q.UPSERT_ORGANIZATIONS, rows=[naive], prov=prov)
                naive_rate = len(sample) / (time.perf_counter() - t)

            padded = work / "padded" / "organizations.csv"
            padded.parent.mkdir()
            _padded(organizations, padded, factor=12)
            small = _run_child([clusters, organizations], uri, dry_run=True, batch_size=args.batch_size)
            large = _run_child([clusters, padded], uri, dry_run=True, batch_size=args.batch_size)
            one_id = [
                _run_child(
                    [_one_id(work / "one-id" / f"{n}.csv", n)], uri, dry_run=True, batch_size=args.batch_size
                )
                for n in (args.one_id, 5 * args.one_id)
            ]
            size_mb = organizations.stat().st_size / 2**20
            padded_mb = padded.stat().st_size / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)

    first_s, second_s = first["summary"]["seconds"], second["summary"]["seconds"]
    warm = (
        []
        if cold is None
        else [
            (
                f"cold server, warm-up load of {args.warm_up:,}: org rows/s",
                f"{cold[0]:,.0f}",
                "deleted after",
            ),
            ("cold server, warm-up load: link rows/s", f"{cold[1]:,.0f}", ""),
        ]
    )
    table = [
        *warm,
        ("organization rows/s (end to end)", f"{org_rate:,.0f}", "target >= 10,000"),
        ("link rows/s (memberships + collaborations)", f"{link_rate:,.0f}", "target >= 30,000"),
        (
            "ceiling: organization rows/s, transfer only",
            f"{org_ceiling:,.0f}",
            "UNWIND $rows RETURN count(*)",
        ),
        ("ceiling: link rows/s, transfer only", f"{link_ceiling:,.0f}", ""),
        (
            "floor of a write: bare organization nodes/s",
            f"{bare_rate:,.0f}",
            f"CREATE (o:Organization {{id}}): {bare_ms:.3f} ms server CPU/row",
        ),
        ("naive baseline rows/s (one row per MERGE)", f"{naive_rate:,.0f}", f"sample of {len(sample):,}"),
        ("batched / naive", f"{org_rate / naive_rate:,.1f}x", "target >= 20x"),
        ("first load, all files (s)", f"{first_s:,.1f}", f"{first['summary']['rows']:,} rows"),
        ("second load, same files (s)", f"{second_s:,.1f}", f"{second['summary']['unchanged']:,} unchanged"),
        ("second-load speed-up", f"{first_s / second_s:,.1f}x", "target >= 3x"),
        ("first load: loader CPU (s)", f"{first['cpu_s']:,.1f}", "parse, validate, resolve, send"),
        ("first load: Neo4j server CPU (s)", f"{first['server_cpu_s']:,.1f}", "all threads, incl. GC"),
        ("second load: loader CPU (s)", f"{second['cpu_s']:,.1f}", ""),
        ("second load: Neo4j server CPU (s)", f"{second['server_cpu_s']:,.1f}", ""),
        ("peak memory, load (MB)", f"{first['peak_mb']:,.0f}", f"{args.orgs:,} organizations in the graph"),
        (f"peak memory, {size_mb:,.0f} MB organization file (MB)", f"{small['peak_mb']:,.0f}", "dry run"),
        (f"peak memory, {padded_mb:,.0f} MB file, same records (MB)", f"{large['peak_mb']:,.0f}", "dry run"),
        *(
            (
                f"peak memory, {n:,} rows of one id (MB)",
                f"{r['peak_mb']:,.0f}",
                f"dry run, {r['summary']['rejected']:,} rejected",
            )
            for n, r in zip((args.one_id, 5 * args.one_id), one_id, strict=True)
        ),
    ]
    width = max(len(name) for name, _, _ in table)
    print(
        f"\nIngest benchmark: {args.orgs:,} organizations, {args.collaborations:,} collaborations, "
        f"batch {args.batch_size:,}, {args.writers} writers"
    )
    print(f"{'measure':<{width}}  {'value':>12}  note")
    for name, value, note in table:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
