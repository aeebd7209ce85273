"""What the command line does with what a careless or hostile user gives it, in a process of its own writing
to pipes, as a script runs it: a value it cannot take is refused in one line naming the option, before any
work and before Neo4j is reached, with exit code 2; a file it cannot write is named; Ctrl-C stops a command
with one line and exit code 130; nothing runs for ever, and nothing lands where no one asked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ingest
from graph.db import Graph
from graph.server import free_port
from ingest.generate import generate
from schema.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.test_ingest import RUNS

NO_SERVER = {"NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "NEO4J_PASSWORD": "a-password-of-no-server"}
"""A Neo4j address no server answers at: a value refused before the command reaches Neo4j is refused as
itself, not as "No Neo4j answers"."""


def start(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """``clusterkg ARGS`` started in a process of its own, stdout and stderr pipes (``-P``: the working folder
    stays off the path, so ``cwd`` can be any folder)."""
    environment = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    environment |= {"PYTHONPATH": str(Path(__file__).parents[1])} | (env or {})
    return subprocess.Popen(
        [sys.executable, "-P", "-c", "from api.cli import main; main()", *args],
        env=environment,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def clusterkg(*args: str, cwd: Path | None = None, timeout: float = 60) -> tuple[int, str]:
    """``clusterkg ARGS`` run to its end against no server: its exit code and stderr. A command still
    running after ``timeout`` seconds fails the test (it is killed)."""
    code, _, err = finish(start(*args, env=NO_SERVER, cwd=cwd), args, timeout)
    return code, err


def finish(process: subprocess.Popen[bytes], args: tuple[str, ...], timeout: float) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of ``clusterkg ARGS`` run to its end; a command still running after
    ``timeout`` seconds fails the test (it is killed)."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"clusterkg {' '.join(a[:50] for a in args)} still ran after {timeout} s")
    return process.returncode, out.decode(), err.decode()


def test_a_count_generate_cannot_write_is_refused_instead_of_running_for_ever(tmp_path: Path) -> None:
    """--orgs 2**63 wrote organizations until the disk was full; --collaborations beyond the pairs a region
    has looped for ever looking for a pair not yet taken."""
    out = str(tmp_path / "region")
    for args, said in (
        (["--orgs", str(2**63)], "Error: Invalid value for '--orgs': Input should be less than or equal to "),
        (
            ["--orgs", "2", "--collaborations", str(2**63 - 1)],
            "Error: Invalid value for '--collaborations': 9,223,372,036,854,775,807 is more than 2 "
            "organizations take: at most 1 (each pair once, 100 per organization)",
        ),
        (["--orgs", "1000", "--collaborations", "100001"], "at most 100,000 (each pair once"),
    ):
        code, err = clusterkg("generate", "--out", out, *args)
        assert code == 2 and said in err and err.count("\n") == 1, (args, err)
    assert not (tmp_path / "region").exists()


@pytest.mark.parametrize("command", ["eval", "tune"])
def test_a_negative_seed_is_refused_as_a_usage_error(command: str) -> None:
    """numpy draws from seeds of 0 and above: `eval --seed -1` ended in numpy's traceback."""
    code, err = clusterkg(command, "--seed", "-1")
    said = "Error: Invalid value for '--seed': Input should be greater than or equal to 0"
    assert code == 2 and err.startswith(said) and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--split", "20190101"], "'--split': '20190101' is not a date (YYYY-MM-DD)"),
        (["--split", "-2019-01-01"], "'--split': '-2019-01-01' is not a date (YYYY-MM-DD)"),
        (["--split", "2019-02-30"], "'--split': '2019-02-30' is not a date (YYYY-MM-DD)"),
        (
            ["--split", "0001-01-01"],
            "'--split': 0001-01-01 is not a plausible day: dates lie from 1900 to 2100",
        ),
        (
            ["--split", "9999-12-31"],
            "'--split': 9999-12-31 is not a plausible day: dates lie from 1900 to 2100",
        ),
    ],
)
def test_a_split_that_is_no_plausible_day_is_refused(tmp_path: Path, args: list[str], said: str) -> None:
    """numpy read `--split 20190101` as the year 20,190,101 and `-2019-01-01` as 2019 BC."""
    code, err = clusterkg("eval", "--data", str(tmp_path), *args)
    assert code == 2 and err.startswith(f"Error: Invalid value for {said}") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--split", "2019-01-01"], "'--split': applies with --data only (without it, --hide)"),
        (["--queries", "5"], "'--queries': applies with --data only"),
        (["--query-types", "HES"], "'--query-types': applies with --data only"),
        (["--hide", "0.3", "--data", "."], "'--hide': applies without --data only"),
    ],
)
def test_an_eval_option_the_evaluation_asked_for_does_not_use_is_refused(args: list[str], said: str) -> None:
    """Without --data the graph's newest collaborations are hidden whatever --split says; with it, --hide
    hid nothing: both were ignored without a word."""
    code, err = clusterkg("eval", *args)
    assert code == 2 and err.startswith(f"Error: Invalid value for {said}") and err.count("\n") == 1, err


def test_an_empty_path_or_host_is_refused_not_taken_for_a_default(tmp_path: Path) -> None:
    """``Path("")`` is the working folder: `generate --out "$DIR"` with DIR unset wrote a region into it,
    and `ingest --mapping ""` looked for mapping files in it; `serve --host ""` served every interface."""
    registry = tmp_path / "clusters.csv"
    registry.write_text("id,name\nK1,Bread\n", encoding="utf-8")
    for args, said in (
        (["generate", "--orgs", "10", "--out", ""], "'--out': is empty; name a path"),
        (["ingest", str(registry), "--mapping", ""], "'--mapping': is empty; name a path"),
        (["serve", "--port", str(free_port()), "--host", ""], "'--host': is empty; name an interface"),
    ):
        code, err = clusterkg(*args, cwd=tmp_path, timeout=20)
        said = f"Error: Invalid value for {said}"
        assert code == 2 and err.startswith(said), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clusters.csv"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["suggest", "--need", "bread " * 1001], "'--need': is longer than 5,000 characters"),
        (["suggest", "--need", "quality\x1b[2Jcontrol"], "'--need': holds the control character U+001B at"),
        (["feedback", "A", "B", "--comment", "x" * 5001], "'--comment': is longer than 5,000 characters"),
        (["feedback", "A", "B", "--comment", "ok\x07"], "'--comment': holds the control character U+0007"),
        (["feedback", "A", "B", "--by", ""], "'--by': is empty"),
        (["feedback", "A", "B", "--by", "a\nb"], "'--by': holds the control character U+000A"),
        (["feedback", "A", "B"], "'--accept' / '--decline': say --accept or --decline"),
        (["keys", "create", "--role", "data_team", "--label", "x\x1b[31m"], "'--label': holds the control"),
        (["keys", "create", "--role", "data_team", "--label", "k" * 301], "'--label': is longer than 300"),
        (["ingest", "x.csv", "--source", ""], "'--source': is empty"),
        (["ingest", "x.csv", "--source", "s" * 100_000], "'--source': is longer than 300 characters"),
    ],
)
def test_free_text_the_api_refuses_is_refused_naming_its_option(args: list[str], said: str) -> None:
    """The API refuses a need or a comment over 5,000 characters or holding a control character; the
    command line stored them as given: 100 kB comments, a key label whose escape coloured `keys list`, a
    source name of 100 kB that Neo4j refused to index after the run had begun."""
    code, err = clusterkg(*args)
    assert code == 2 and err.startswith(f"Error: Invalid value for {said}") and err.count("\n") == 1, err


def test_a_reject_file_that_cannot_be_written_is_named_before_the_run_starts(tmp_path: Path) -> None:
    """A full disk said `Error: [Errno 28] No space left on device`, naming no file, once the run was done;
    an ingest error to a pipe came after an empty line (the progress display, drawing nothing there)."""
    registry = tmp_path / "clusters.csv"
    registry.write_text("id,name\nK1,Bread\n", encoding="utf-8")
    code, err = clusterkg("ingest", str(registry), "--rejects", "/dev/full")
    assert code == 1 and err == "Error: /dev/full: No space left on device\n", err
    code, err = clusterkg("ingest", str(registry))
    assert code == 1 and err.startswith("Error: No Neo4j answers at ") and err.count("\n") == 1, err


def test_a_report_that_cannot_be_written_is_named(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """`report --out /dev/full` said `Error: [Errno 28] No space left on device`, naming no file."""
    clusters = tmp_path / "clusters.csv"
    clusters.write_text("id,name,sector,region\nK1,Bread,food,Wels\n", encoding="utf-8")
    ingest.load(graph, [clusters])
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    process = start("report", "K1", "--out", "/dev/full", env=env)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1 and err.decode() == "Error: /dev/full: No space left on device\n", err


def test_neo4j_start_says_why_it_cannot_in_one_line(tmp_path: Path) -> None:
    """A Bolt port another program listens on, or a setting Neo4j cannot read, ended `neo4j start` with the
    last 20 lines of Neo4j's log: a Java stack trace."""
    env = {"CLUSTERKG_HOME": str(tmp_path / "home"), "NEO4J_PASSWORD": TEST_PASSWORD}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start("neo4j", "start", "--port", str(port), env=env)
        _, err = process.communicate(timeout=120)
    assert process.returncode == 1 and err.decode() == (
        f"Error: port {port} of 127.0.0.1 is taken by another program (Address already in use): choose "
        "another with --port or CLUSTERKG_NEO4J_BOLT_PORT\n"
    ), err
    unreadable = {"CLUSTERKG_NEO4J_CONFIG": '{"db.transaction.timeout": "banana"}'}
    process = start("neo4j", "start", "--port", str(free_port()), env=env | unreadable)
    _, said = process.communicate(timeout=300)
    lines = said.decode().splitlines()
    assert process.returncode == 1 and len(lines) == 2 and "INFO     Started Neo4j" in lines[0], lines
    assert lines[1].startswith(
        "Error: Neo4j exited with code 1 while starting: java.lang.IllegalArgumentException: Error "
        "evaluating value for setting 'db.transaction.timeout'. Missing numeric value; its log: "
    ), lines


def interrupt(process: subprocess.Popen[bytes], ready: float) -> tuple[str, float]:
    """Send Ctrl-C (SIGINT) to ``process`` once it has run ``ready`` seconds; its stderr and the seconds it
    took to end after the signal (a command that does not end in 120 s fails the test)."""
    time.sleep(ready)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"still running 120 s after Ctrl-C: {process.communicate()[1].decode()}")
    return err.decode(), time.monotonic() - sent


def test_ctrl_c_stops_a_command_with_one_line_and_exit_code_130(tmp_path: Path) -> None:
    """Ctrl-C ended a command with exit code 130 and not a word: a person could not tell it from a crash."""
    out = tmp_path / "region"
    process = start("generate", "--orgs", "1000000", "--out", str(out))
    waited = time.monotonic()
    while not (out / "organizations.csv").exists() and time.monotonic() - waited < 60:
        time.sleep(0.05)  # in the command, writing its organizations
    err, took = interrupt(process, 0.5)
    assert process.returncode == 130 and err == "Error: interrupted (Ctrl-C)\n", err
    assert took < 10


def test_ctrl_c_stops_an_ingest_saying_what_it_wrote(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """An interrupted ingest writes what it read first (its run ends `interrupted`): it says so at once, as
    a log record, and at the end in one line, so a person who sees nothing for a while presses Ctrl-C again
    no more."""
    region = generate(tmp_path / "region", orgs=20_000, collaborations=0, seed=5)
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    process = start("ingest", *map(str, region.files[:3]), env=env)
    assert process.stderr is not None
    first = process.stderr.readline().decode()  # the clusters are in; the organizations are being read
    assert "clusters.csv (clusters): 44 rows: 44 added" in first, first
    err, _ = interrupt(process, 1.0)
    lines = err.splitlines()
    assert process.returncode == 130 and "Traceback" not in err, err
    assert "WARNING  interrupted (Ctrl-C): writing the rows read so far, then stopping" in lines[0], lines
    assert lines[-1] == (
        "Error: interrupted (Ctrl-C); the rows read before it are written; the same command run again loads "
        "the rest"
    ), lines
    assert [run["status"] for run in graph.run(RUNS)] == ["interrupted"]


def test_ctrl_c_stops_serve_as_its_log_says_with_exit_code_0(neo4j_settings: Settings) -> None:
    """Ctrl-C is how `serve` is stopped ("Press CTRL+C to quit"): after uvicorn's own shutdown lines, an
    `Error: interrupted` line and exit code 130 would call a requested stop a failure."""
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    process = start("serve", "--port", str(free_port()), env=env)
    assert process.stderr is not None
    while b"Uvicorn running on" not in (line := process.stderr.readline()):
        assert line, "serve ended before it ran"
    err, _ = interrupt(process, 0.2)
    assert process.returncode == 0 and "Error" not in err, err
    assert "Shutting down" in err and "INFO     Finished server process" in err.splitlines()[-1], err


def test_eval_says_which_mapping_its_registry_lacks(tmp_path: Path) -> None:
    """`eval --data FOLDER --mappings MAPS`, MAPS without an organizations mapping, said "Unknown query type
    'PRC'" (the default), and a folder of no mapping at all said the same; `--mappings` without `--data` was
    read, and its error said, though nothing used it."""
    data, mappings = tmp_path / "registry", tmp_path / "mappings"
    data.mkdir()
    mappings.mkdir()
    (data / "projects.csv").write_text("id,title\nP1,Bread\n", encoding="utf-8")
    code, err = clusterkg("eval", "--data", str(data), "--mappings", str(mappings))
    assert (
        code == 1
        and err == f"Error: {mappings} holds no *.mapping.yaml files (--mappings: the registry's mappings)\n"
    ), err
    (mappings / "projects.mapping.yaml").write_text("columns:\n  id: id\n  title: title\n", encoding="utf-8")
    code, err = clusterkg("eval", "--data", str(data), "--mappings", str(mappings))
    said = f"Error: Query type 'PRC' is no role, and {mappings} holds no organizations.mapping.yaml to read"
    assert code == 1 and err.startswith(said) and err.count("\n") == 1, err
    code, err = clusterkg("eval", "--mappings", str(mappings))
    said = "Error: Invalid value for '--mappings': applies with --data only (without it, --hide)"
    assert code == 2 and err.startswith(said) and err.count("\n") == 1, err


def test_an_unknown_resolution_key_is_refused_before_neo4j_is_reached() -> None:
    """`ingest --match-on vat,bogus` was refused by the run, once connected: without Neo4j it said "No Neo4j
    answers", and with it the key only after the connection."""
    code, err = clusterkg("ingest", "x.csv", "--match-on", "vat,bogus")
    said = (
        "Error: Invalid value for '--match-on': unknown resolution keys 'bogus'; use registry_id, vat, domain"
    )
    assert code == 2 and err.startswith(said) and err.count("\n") == 1, err


def test_an_unknown_role_or_size_class_of_suggest_is_a_usage_error_naming_the_option() -> None:
    """`suggest --role NOPE` said "Unknown role 'NOPE'" after connecting, naming no option: the options take
    only the graph's roles and size classes, which `--help` lists, and anything else is refused naming the
    option before Neo4j is reached."""
    for option, choice in (("--role", "'knowledge_broker'"), ("--size-class", "'micro'")):
        code, err = clusterkg("suggest", "--need", "cameras", option, "NOPE")
        said = f"Error: Invalid value for '{option}': 'NOPE' is not one of "
        assert code == 2 and err.startswith(said) and choice in err, err
        assert err.count("\n") == 1, err


def test_a_value_outside_an_option_s_choices_is_said_without_pydantic_s_words() -> None:
    """typer passed on pydantic's words for a value outside an option's choices: "Invalid value for
    '--kind': Value error, 'orgs' is not one of …"."""
    code, err = clusterkg("ingest", "x.csv", "--kind", "orgs")
    said = "Error: Invalid value for '--kind': 'orgs' is not one of 'clusters', 'organizations', "
    assert code == 2 and err.startswith(said) and "Value error" not in err, err


def test_insights_given_a_cluster_and_a_region_says_to_give_one() -> None:
    """`insights FOOD --region "Upper Austria"` said "give a cluster id, or --region NAME", both given."""
    code, err = clusterkg("insights", "FOOD", "--region", "Upper Austria")
    assert code == 1 and err == "Error: give a cluster id or --region NAME, not both\n", err


def test_a_place_given_with_an_organization_is_refused_not_ignored() -> None:
    """`suggest FN100000a --city Linz --lat 48.31 --lon 14.29` measured the distances from the organization's
    own place, saying nothing of the place given."""
    code, err = clusterkg("suggest", "FN100000a", "--city", "Linz", "--lat", "48.31", "--lon", "14.29")
    said = "Error: --city, --lat and --lon place an anonymous request (--need without an organization id); "
    assert code == 1 and err == said + "the suggestions of 'FN100000a' are measured from its own place\n", err
