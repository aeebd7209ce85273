"""Malformed registry files against the real Neo4j and the real CLI: each is named (file, position, reason),
accounted for (rows loaded and rejected, the run record's state and counts) and leaves the rest of the graph
as it was; no traceback on the whole corpus; a run killed with SIGKILL is marked interrupted by the next run,
which counts exactly what the killed one had committed.

The corpus (``tests/utils/bad_csv.py``, ``bad_json.py``, ``bad_files.py``) runs on one graph holding the
demo region; each case's organizations have ids starting with its name, so what a case committed is told
apart from the rest.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph import admin
from graph.db import Graph
from graph.query import Query
from ingest import demo, load
from ingest.generate import generate
from schema.settings import Settings
from tests.utils.bad_csv import csv_cases, gzip_cases
from tests.utils.bad_files import BATCH, Bad, many_file_cases, mapping_cases
from tests.utils.bad_json import json_cases

NODES = Query(
    "test.bad.nodes",
    "MATCH (n) WHERE NOT n:IngestRun AND NOT n:Source AND NOT n:Migration "
    "RETURN elementId(n) AS key, n.id AS id, labels(n) AS labels, properties(n) AS props",
)
RELATIONSHIPS = Query(
    "test.bad.relationships",
    "MATCH (a)-[r]->(b) WHERE type(r) <> 'LOADED_FROM' "
    "RETURN elementId(r) AS key, a.id AS a, b.id AS b, type(r) AS type, properties(r) AS props",
)
ORGS_OF = Query(
    "test.bad.orgs_of",
    "MATCH (o:Organization) WHERE o.id STARTS WITH $prefix RETURN o.id AS id ORDER BY id",
)
RUN = Query(
    "test.bad.run",
    "MATCH (r:IngestRun {id: $id}) RETURN r.status AS status, r.rows AS rows, r.added AS added, "
    "r.rejected AS rejected, r.error AS error, r.not_loaded AS not_loaded, r.interrupted_by AS by",
)
RUNS = Query(
    "test.bad.runs", "MATCH (r:IngestRun) RETURN r.id AS id, r.status AS status ORDER BY r.started_at"
)
COUNT_ORGS = Query("test.bad.count_orgs", "MATCH (o:Organization) RETURN count(o) AS n")
CORPUS = [*csv_cases(), *gzip_cases(), *json_cases(), *mapping_cases(), *many_file_cases()]

COUNT_LINKS = Query("test.bad.count_links", "MATCH ()-[r:COLLABORATES_WITH]->() RETURN count(r) AS n")
OTHER_TRANSACTIONS = Query(
    "test.bad.other_transactions",
    "SHOW TRANSACTIONS YIELD currentQuery WHERE NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS' "
    "RETURN count(*) AS n",
)


def snapshot(graph: Graph, skip: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every node and relationship with its labels and properties, except those of ids starting ``skip``
    (the case's own) and the run records."""
    nodes = {
        row["key"]: (sorted(row["labels"]), row["props"])
        for row in graph.run(NODES)
        if not str(row["id"] or "").startswith(skip)
    }
    relationships = {
        row["key"]: (row["a"], row["type"], row["b"], row["props"])
        for row in graph.run(RELATIONSHIPS)
        if not str(row["a"] or "").startswith(skip) and not str(row["b"] or "").startswith(skip)
    }
    return nodes, relationships


@pytest.fixture(scope="module")
def base(session_graph: Graph) -> Graph:
    """The demo region, loaded once for the corpus."""
    admin.delete_data(session_graph)
    load(session_graph, demo.paths())
    return session_graph


def connection(settings: Settings) -> list[str]:
    return ["--neo4j-uri", settings.neo4j_uri, "--neo4j-password", settings.neo4j_password]


def check_summary(case: Bad, summary: dict[str, Any], graph: Graph) -> None:
    """The printed summary and the run record agree with the case, and with each other."""
    assert summary["status"] == case.run
    if case.error:
        stated = summary["error"] + " not loaded: " + " ".join(summary["not_loaded"])
        assert all(part in stated for part in case.error), stated
    reasons: dict[int, str] = {}
    for reject in summary["rejects"]:
        reasons[reject["row"]] = reasons.get(reject["row"], "") + reject["reason"] + " | " + reject["field"]
    assert summary["rejected"] == len(case.rejects), reasons
    for row, reason in case.rejects.items():
        assert reason in reasons.get(row, ""), (row, reasons)
    record = graph.run(RUN, id=summary["run_id"])[0]
    assert record["status"] == case.run
    assert (record["rows"], record["added"], record["rejected"]) == (
        summary["rows"],
        summary["added"],
        summary["rejected"],
    )
    assert (record["error"], record["not_loaded"]) == (summary["error"], summary["not_loaded"])


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_a_malformed_file_is_named_and_accounted_for(
    case: Bad, base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    paths = case.write(tmp_path)
    prefix = f"{case.name}-"
    before = snapshot(base, prefix)
    runs_before = len(base.run(RUNS))
    args = [*connection(neo4j_settings), "ingest", *map(str, paths), "--json", "--batch-size", str(BATCH)]
    result = CliRunner().invoke(app, [*args, *case.args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("".join(traceback.format_exception(result.exception)))
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exit_code == (1 if case.error else 0), output
    for part in case.error:
        assert part in result.stderr, result.stderr

    committed = [row["id"] for row in base.run(ORGS_OF, prefix=prefix)]
    if case.run is None:  # failed before writing anything: no summary, no run record
        assert result.stdout.strip() == "" and len(base.run(RUNS)) == runs_before
        assert committed == []
    else:
        summary = json.loads(result.stdout)
        check_summary(case, summary, base)
        if case.loaded == ("*",):
            assert 0 < len(committed) == summary["added"], (len(committed), summary["added"])
        else:
            assert committed == sorted(case.loaded)
            assert summary["added"] == len(case.loaded) and summary["rows"] == case.rows
    assert snapshot(base, prefix) == before


DRIVER = """
import json, sys, traceback
from api.cli import app
for args in json.loads(sys.stdin.read()):
    print("=== case", flush=True)
    try:
        app(args, prog_name="clusterkg")
    except SystemExit as e:
        print("=== exit", e.code, flush=True)
    except BaseException:
        traceback.print_exc()
        print("=== exit crashed", flush=True)
"""


def test_no_traceback_on_the_whole_corpus_in_a_real_process(
    base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """The CLI in a process of its own, printing tables to a real pipe (dry runs, so the graph stays);
    one interpreter runs every case so the corpus costs one start-up."""
    runs = [
        [*connection(neo4j_settings), "ingest", *map(str, case.write(tmp_path / case.name)), "--dry-run"]
        for case in CORPUS
    ]
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    env["PYTHONPATH"] = str(Path(__file__).parents[1])
    done = subprocess.run(
        [sys.executable, "-c", DRIVER], input=json.dumps(runs), env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in output and "Aborted" not in output, output
    codes = [line.split()[-1] for line in done.stdout.splitlines() if line.startswith("=== exit")]
    assert codes == ["1" if case.error else "0" for case in CORPUS], output
    assert "organization '[/boom]' exists nowhere" in done.stdout  # markup-like text printed as itself
    assert "gzip_cut.csv.gz: after" in done.stderr


def test_the_console_script_names_a_cut_gzip_and_loads_around_a_deep_line(
    base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    case = next(c for c in CORPUS if c.name == "gzip_cut")
    deep = next(c for c in CORPUS if c.name == "jsonl_deep")
    clusterkg = shutil.which("clusterkg")
    assert clusterkg, "the clusterkg console script is installed with the package"
    env = {
        **os.environ,
        "NEO4J_URI": neo4j_settings.neo4j_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password,
    }
    paths = map(str, case.write(tmp_path / "cut"))
    cut = subprocess.run([clusterkg, "ingest", *paths], env=env, capture_output=True, text=True)
    assert cut.returncode == 1 and "Traceback" not in cut.stderr and "Aborted" not in cut.stderr
    assert all(part in cut.stderr for part in case.error), cut.stderr
    nested = subprocess.run(
        [clusterkg, "ingest", *map(str, deep.write(tmp_path / "deep")), "--json", "--dry-run"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert nested.returncode == 0 and "Traceback" not in nested.stdout + nested.stderr
    summary = json.loads(nested.stdout)
    assert (summary["added"] + summary["unchanged"], summary["rejected"]) == (2, 1)
    assert summary["rejects"][0]["row"] == 2 and "nested too deeply" in summary["rejects"][0]["reason"]


def test_a_folder_or_a_device_is_named_as_what_it_is(
    base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """`clusterkg ingest registry` (a folder, where `registry/*.csv` was meant) said "registry: no such
    file", about a path that exists."""
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "firms.csv").write_text("id,name,role\nfolder-1,Firm,firm\n", encoding="utf-8")
    result = CliRunner().invoke(app, [*connection(neo4j_settings), "ingest", str(folder)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    said = result.stderr
    assert f"{folder}: is a folder, not a file" in said and f"{folder}/*.csv" in said, said
    device = CliRunner().invoke(app, [*connection(neo4j_settings), "ingest", "/dev/null"])
    assert device.exit_code == 1 and "/dev/null: is not a regular file" in device.stderr
    assert base.run(ORGS_OF, prefix="folder-") == []


def test_an_output_path_that_cannot_be_written_is_named_not_a_traceback(
    base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """`--rejects FOLDER`, `report --out FOLDER` and `generate --out FILE` ended in Python tracebacks
    (IsADirectoryError, FileExistsError)."""
    folder = tmp_path / "out"
    folder.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    firms = tmp_path / "firms.csv"
    firms.write_text("id,name,role\nout-1,Firm,firm\n", encoding="utf-8")
    runs = [
        (["ingest", str(firms), "--rejects", str(folder)], str(folder)),
        (["report", "FOOD", "--out", str(folder)], str(folder)),
        (["generate", "--orgs", "10", "--out", str(a_file)], str(a_file)),
    ]
    for args, named in runs:
        result = CliRunner().invoke(app, [*connection(neo4j_settings), *args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError("".join(traceback.format_exception(result.exception)))
        assert result.exit_code == 1, (args, result.output)
        assert named in result.stderr and "Error:" in result.stderr, (args, result.stderr)
    assert base.run(ORGS_OF, prefix="out-") == []


def test_the_csv_reject_report_opens_in_a_spreadsheet_as_text(
    base: Graph, neo4j_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cell of the CSV reject report that starts with = + - @ is a formula to a spreadsheet: a registry
    file named ``=HYPERLINK(...).csv`` put its name, as given, at the head of every reject of it."""
    name = '=HYPERLINK("evil.example","open").csv'
    (tmp_path / name).write_text("id,name,role\nformula-1,Firm,spaceship\n", encoding="utf-8")
    (tmp_path / "@firms.csv").write_text("id,name,role\nformula-2,Firm,firm\n,Nameless,firm\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    args = [*connection(neo4j_settings), "ingest", name, "@firms.csv", "--dry-run", "--json"]
    for report in ("rejects.csv", "rejects.jsonl"):
        result = CliRunner().invoke(app, [*args, "--rejects", report])
        assert result.exit_code == 0, result.output
    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        cells = [row[:3] for row in csv.reader(handle)]
    assert cells == [["file", "row", "field"], ["'" + name, "2", "role"], ["'@firms.csv", "3", "id"]]
    lines = (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["file"] for line in lines] == [name, "@firms.csv"]  # JSON keeps it as it is


def test_a_reject_file_that_the_run_reads_is_refused_and_left_as_it_was(
    base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """`--rejects` naming a file to load (or its mapping) emptied it before it was read: the registry was
    lost, the run loaded nothing and said it had completed."""
    registry = tmp_path / "firms.csv"
    text = "Kennung,name,role\nself-1,Firm,firm\nself-2,Firm,spaceship\n"
    registry.write_text(text, encoding="utf-8")
    mapping = tmp_path / "firms.mapping.yaml"
    mapping.write_text("columns: {Kennung: id, name: name, role: role}\n", encoding="utf-8")
    for target in (registry, tmp_path / "." / "firms.csv", mapping):
        result = CliRunner().invoke(
            app, [*connection(neo4j_settings), "ingest", str(registry), "--rejects", str(target)]
        )
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        said = result.stderr
        assert f"the reject file {target} is" in said and "which this run reads" in said, said
    assert registry.read_text(encoding="utf-8") == text
    assert mapping.read_text(encoding="utf-8") == "columns: {Kennung: id, name: name, role: role}\n"
    assert base.run(ORGS_OF, prefix="self-") == []


def test_a_run_that_fails_while_planning_leaves_no_reject_of_an_earlier_run(
    base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A run that failed while planning (a bad header, a mapping mistake) left the earlier run's reject file
    as it was, to be read as its own report."""
    firms = tmp_path / "firms.csv"
    firms.write_text("id,name,role\nstale-1,Firm,spaceship\n", encoding="utf-8")
    twice = tmp_path / "twice.csv"
    twice.write_text("id,name,name,role\nstale-2,Firm,Firm,firm\n", encoding="utf-8")
    mapped = tmp_path / "mapped.csv"
    mapped.write_text("id,name,role\nstale-3,Firm,firm\n", encoding="utf-8")
    (tmp_path / "mapped.mapping.yaml").write_text("columns: [id, name]\n", encoding="utf-8")
    args = [*connection(neo4j_settings), "ingest", "--dry-run", "--json", "--rejects"]
    for report, empty in (("rejects.csv", "file,row,field,reason\n"), ("rejects.jsonl", "")):
        target = tmp_path / report
        for failing in (twice, mapped):
            earlier = CliRunner().invoke(app, [*args, str(target), str(firms)])
            assert earlier.exit_code == 0 and "spaceship" in target.read_text(encoding="utf-8")
            failed = CliRunner().invoke(app, [*args, str(target), str(firms), str(failing)])
            assert failed.exit_code == 1 and isinstance(failed.exception, SystemExit), failed.output
            assert failing.stem in failed.stderr, failed.stderr
            assert target.read_text(encoding="utf-8") == empty
    # the registry named as the reject file is refused before another file's mistake, and left as it was
    failed = CliRunner().invoke(app, [*args, str(firms), str(twice), str(firms)])
    assert failed.exit_code == 1 and "which this run reads" in failed.stderr, failed.stderr
    assert firms.read_text(encoding="utf-8") == "id,name,role\nstale-1,Firm,spaceship\n"


def test_a_header_of_many_unknown_columns_is_warned_of_in_one_short_line(
    base: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """The warning named every ignored column: a header of 200,000 made 3 MB of warning; ``--json`` still
    lists them all."""
    extra = [f"c{i}" for i in range(200_000)]
    registry = tmp_path / "wide.csv"
    registry.write_text(
        ",".join(["id", "name", "role", *extra]) + "\n" + "wide-1,Firm,firm" + "," * len(extra) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, [*connection(neo4j_settings), "ingest", str(registry), "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.stderr[:2000]
    assert len(result.stderr) < 2000, len(result.stderr)
    assert "'c8', 'c9' and 199,990 more feed no organizations field" in result.stderr
    assert json.loads(result.stdout)["files"][0]["ignored_columns"] == extra


def settle_killed_client(graph: Graph) -> None:
    """Wait until the server has finished the killed client's last transaction.

    A batch whose commit was already sent still commits after the client dies, and one left open is rolled
    back only once the server notices the dropped connection; counting before then counts too few."""
    deadline = time.monotonic() + 30
    while graph.run_autocommit(OTHER_TRANSACTIONS)[0]["n"] and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_killed_run_is_marked_interrupted_and_the_rerun_counts_exactly(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """Runs last in this module: it empties the graph for a generated region of its own."""
    region = generate(tmp_path / "region", orgs=3000, collaborations=3000, seed=11)
    env = {
        **os.environ,
        "NEO4J_URI": neo4j_settings.neo4j_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password,
        "CLUSTERKG_BATCH_SIZE": "100",
    }
    clusterkg = shutil.which("clusterkg")
    assert clusterkg
    command = [clusterkg, "ingest", *map(str, region.files), "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while graph.run(COUNT_ORGS)[0]["n"] < 300 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    settle_killed_client(graph)
    partial = graph.run(COUNT_ORGS)[0]["n"]
    assert 0 < partial < 3000, "the run should have been killed half way"
    [killed] = graph.run(RUNS)
    assert killed["status"] == "running"  # nobody could say otherwise yet

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0 and "Traceback" not in rerun.stderr, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert graph.run(RUN, id=killed["id"])[0]["status"] == "interrupted"
    assert graph.run(RUN, id=killed["id"])[0]["by"] == summary["run_id"]
    organizations = next(f for f in summary["files"] if f["kind"] == "organizations")
    assert (organizations["unchanged"], organizations["added"]) == (partial, 3000 - partial)
    assert graph.run(COUNT_ORGS) == [{"n": 3000}]
    assert graph.run(COUNT_LINKS) == [{"n": region.collaborations}]
    assert [run["status"] for run in graph.run(RUNS)] == ["interrupted", "completed"]
