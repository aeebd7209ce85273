"""Time to first suggestion: from registry files and an empty graph to a suggestion served by the API.

    python bench/bench_first_suggestion.py --orgs 100000 [--backend onnx-int8]
    python bench/bench_first_suggestion.py --cordis /work/shared/data/cordis-h2020 [--backend torch]

A scratch Neo4j (started here, on a free port, in a temp folder; its start is not counted) gets each step as a
user runs it, every command a process of its own: ``clusterkg db migrate``, ``clusterkg generate`` (not with
``--cordis``), ``clusterkg ingest``, ``clusterkg embed`` (encoding, writes, and the vector index rebuilt over
the new vectors; then once more with nothing changed, the no-op a rerun costs, not counted in the total),
``clusterkg tune`` (the learned ranking, trained from the graph's dated history), then ``clusterkg serve`` and
one ``partnerSuggestions`` request with a member's key: that step ends when the answer arrives. Each row gives
wall seconds, the CPU seconds of the command's process, and the CPU seconds of the Neo4j server; on a shared
machine CPU seconds say more than wall time, so the load average is printed too, as each step ends.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.auth import ApiRole, create_key  # noqa: E402
from graph import server as managed  # noqa: E402
from graph.db import Graph  # noqa: E402
from graph.queries import api as q  # noqa: E402
from graph.server import ManagedNeo4j, cpu_seconds, free_port  # noqa: E402
from matching import snapshot_file  # noqa: E402
from schema.embedders import EMBEDDING_BACKENDS  # noqa: E402
from schema.settings import Settings  # noqa: E402

console = Console(width=170)
CLI = [sys.executable, "-c", "from api.cli import main; main()"]
SUGGEST = """query($org: ID!) { partnerSuggestions(organizationId: $org, limit: 10) {
    score partner { id name } reasons { signal share } } }"""
CORDIS_INGEST = [
    "--mapping",
    str(ROOT / "ingest/sources/cordis"),
    "--match-on",
    "none",
    "--derive-collaborations",
]


@dataclass
class Step:
    """One row of the table."""

    name: str
    wall: float
    cpu: float
    neo4j_cpu: float
    note: str = ""
    load: float = 0.0
    """The load average as the step ended."""
    counted: bool = True
    """Whether the step is on the way to the first suggestion (the total)."""


@contextmanager
def scratch_server(backend: str) -> Iterator[tuple[Settings, dict[str, str]]]:
    """An empty managed Neo4j in a temp folder, and the environment that points commands at it."""
    home = Path(tempfile.mkdtemp(prefix="clusterkg-bench-first-"))
    try:
        with managed.scratch_server(home, embedding_backend=backend) as (settings, _):
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "CLUSTERKG_HOME": str(home),
                "CLUSTERKG_NEO4J_BOLT_PORT": str(settings.neo4j_bolt_port),
                "NEO4J_URI": settings.neo4j_uri,
                "NEO4J_PASSWORD": settings.neo4j_password,
                "CLUSTERKG_EMBEDDING_BACKEND": backend,
                "CLUSTERKG_API_REQUEST_TIMEOUT": "600",  # a first answer is measured, not cut off
            }
            try:
                yield settings, env
            finally:
                drop_kept_snapshot(settings)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def drop_kept_snapshot(settings: Settings) -> None:
    """Remove the snapshot ``tune`` kept of the scratch graph: a few hundred MB in the cache folder that
    nothing reads again (the graph is gone)."""
    path = snapshot_file.path_for(settings)
    kept = snapshot_file.kept_header(path)
    if kept is not None and kept.get("uri") == settings.neo4j_uri:
        path.unlink(missing_ok=True)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_step(
    name: str, args: list[str], env: dict[str, str], neo4j_pid: int | None, *, counted: bool = True
) -> Step:
    """One ``clusterkg`` command in its own process; its last output line becomes the note."""
    neo4j_before, cpu_before, started = cpu_seconds(neo4j_pid) or 0.0, children_cpu(), time.perf_counter()
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    lines = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    neo4j = (cpu_seconds(neo4j_pid) or 0.0) - neo4j_before
    note = lines[-1][:90] if lines else ""
    step = Step(name, wall, children_cpu() - cpu_before, neo4j, note, os.getloadavg()[0], counted)
    # Each step is printed when it ends: a long run that fails later still leaves its figures.
    console.print(
        f"{name}: {wall:.1f} s wall, {step.cpu:.1f} s CPU, Neo4j {neo4j:.1f} s CPU, "
        f"load average {step.load:.1f}; {step.note}"
    )
    if done.returncode != 0:
        raise SystemExit(f"clusterkg {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return step


def first_suggestion(settings: Settings, env: dict[str, str], neo4j_pid: int | None) -> Step:
    """``clusterkg serve`` started, then one member's partnerSuggestions: the wait a user sees."""
    with Graph.connect(settings) as graph:
        # a member with an embedded need; a registry without needs (CORDIS): one with a collaboration
        org = (graph.run(q.BENCH_SEEKERS, limit=1) or graph.run(q.LINKED_SEEKERS, limit=1))[0]["id"]
        key = create_key(graph, ApiRole.MEMBER, org, label="bench").secret
    port = free_port()
    neo4j_before, started = cpu_seconds(neo4j_pid) or 0.0, time.perf_counter()
    server = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        said = "no answer"
        while said != "ready":
            if server.poll() is not None or time.perf_counter() - started > 600:
                raise SystemExit(f"clusterkg serve did not become ready: {said}")
            try:
                said = httpx.get(f"{base}/readyz", timeout=5).json().get("status", "")
            except httpx.HTTPError as e:
                said = str(e)
            time.sleep(0.1)
        body = {"query": SUGGEST, "variables": {"org": org}}
        answer = httpx.post(
            f"{base}/graphql", json=body, headers={"authorization": f"Bearer {key}"}, timeout=600
        )
        wall = time.perf_counter() - started
        suggestions = answer.json()["data"]["partnerSuggestions"]
        cpu = cpu_seconds(server.pid) or 0.0
    finally:
        server.terminate()
        server.wait()
    neo4j = (cpu_seconds(neo4j_pid) or 0.0) - neo4j_before
    note = f"{len(suggestions)} partners for {org}"
    return Step("serve + first suggestion", wall, cpu, neo4j, note, os.getloadavg()[0])


def pipeline(args: argparse.Namespace) -> list[Step]:
    """Every step on an empty scratch graph, in order."""
    steps = []
    with scratch_server(args.backend) as (settings, env):
        neo4j_pid = ManagedNeo4j(settings).status().pid
        work = Path(settings.home) / "region"
        steps.append(run_step("db migrate", ["db", "migrate"], env, neo4j_pid))
        if args.cordis:
            files = sorted(str(path) for path in Path(args.cordis).glob("*.csv.gz"))
            steps.append(run_step("ingest", ["ingest", *files, *CORDIS_INGEST], env, neo4j_pid))
        else:
            generate = ["generate", "--orgs", str(args.orgs), "--seed", str(args.seed), "--out", str(work)]
            steps.append(run_step("generate", generate, env, neo4j_pid))
            files = sorted(str(path) for path in work.glob("*.csv"))
            steps.append(run_step("ingest", ["ingest", *files], env, neo4j_pid))
        steps.append(run_step("embed (+ vector index)", ["embed"], env, neo4j_pid))
        steps.append(run_step("embed again, nothing changed", ["embed"], env, neo4j_pid, counted=False))
        if not args.no_tune:
            steps.append(run_step("tune", ["tune"], env, neo4j_pid))
        steps.append(first_suggestion(settings, env, neo4j_pid))
    return steps


def table(steps: list[Step], title: str) -> Table:
    result = Table(title=title)
    for column in ("step", "wall s", "CPU s", "Neo4j CPU s", "load", "said"):
        result.add_column(column, justify="left" if column in ("step", "said") else "right")
    for s in steps:
        name = s.name if s.counted else f"({s.name}, not in the total)"
        result.add_row(name, f"{s.wall:.1f}", f"{s.cpu:.1f}", f"{s.neo4j_cpu:.1f}", f"{s.load:.1f}", s.note)
    counted = [s for s in steps if s.counted]
    wall, cpu, neo4j = (sum(getattr(s, f) for s in counted) for f in ("wall", "cpu", "neo4j_cpu"))
    minutes = f"{wall / 60:.1f} min"
    result.add_row("total", f"{wall:.1f}", f"{cpu:.1f}", f"{neo4j:.1f}", "", minutes, style="bold")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=100_000, help="Organizations of the generated region.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cordis", type=Path, help="A CORDIS folder to load instead of a generated region.")
    parser.add_argument("--backend", choices=EMBEDDING_BACKENDS, default=Settings().embedding_backend)
    parser.add_argument("--no-tune", action="store_true", help="Skip tune: the signal ranking serves.")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    steps = pipeline(args)
    what = f"CORDIS ({args.cordis})" if args.cordis else f"{args.orgs:,} generated organizations"
    title = f"{what}, backend {args.backend}: {started}, load average {load:.1f} at the start"
    console.print(table(steps, f"{title}, {os.getloadavg()[0]:.1f} at the end"))


if __name__ == "__main__":
    main()
