"""What the server and the commands write to their logs and print, read where it lands (a subprocess, as
users run the CLI, writing to a pipe): the access log of ``clusterkg serve`` bounds what a caller chooses in
it; uvicorn's lines, access lines included, are records of the one log on stderr and reach a pipe as they
are written; off a terminal a log record and a printed message are one line, and a log record tells its date
and time zone."""

from __future__ import annotations

import io
import logging
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from api.access_log import MAX_LOGGED_CLIENT, MAX_LOGGED_TARGET
from api.cli.common import LogHandler
from graph.db import Graph
from graph.server import free_port
from schema.settings import Settings
from tests.utils.registry import write_csv
from tests.utils.server import ApiServer

LINE_BYTES = MAX_LOGGED_TARGET + MAX_LOGGED_CLIENT + 200
"""The most an access line takes: the bounded target and client, the method, the status, the left-out
counts."""


def clusterkg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``clusterkg ARGS`` in a process of its own, stdout and stderr pipes, no terminal width (``COLUMNS``)
    to go by: as cron, a pipe or a log shipper runs it (``-P`` leaves the working folder off the path)."""
    environment = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    environment |= {"PYTHONPATH": str(Path(__file__).parents[1])} | (env or {})
    return subprocess.run(
        [sys.executable, "-P", "-c", "from api.cli import main; main()", *args],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def server(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    api = ApiServer(neo4j_settings, tmp_path_factory.mktemp("logs") / "serve.log", {"TZ": "Asia/Kolkata"})
    api.start()
    yield api
    api.stop()


def logged_after(server: ApiServer, start: int, marker: str) -> list[str]:
    """The lines of the server's log after byte ``start`` that hold ``marker``, once one has come."""
    deadline = time.monotonic() + 10
    while True:
        lines = server.log.read_bytes()[start:].decode(errors="replace").splitlines()
        found = [line for line in lines if marker in line]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_long_query_string_is_logged_cut_saying_how_much_was_left_out(server: ApiServer) -> None:
    """uvicorn logged each request's whole URL: a 64 KB query string, which the server reads, made a 64 KB
    log line per request, for any caller with no key. The line shows the path and the start of the query,
    how many bytes it left out, the method and the status; a request of a usual length is logged whole."""
    query = "pad=" + "a" * 64_000
    start = server.log_size()
    assert httpx.get(f"{server.url}/healthz?{query}", timeout=10).status_code == 200
    assert httpx.get(f"{server.url}/healthz?probe=whole", timeout=10).status_code == 200
    long = logged_after(server, start, "GET /healthz?pad=")
    assert len(long) == 1, long
    left = len("/healthz?" + query) - MAX_LOGGED_TARGET
    assert len(long[0]) < LINE_BYTES, long[0][:1_000]
    assert re.search(
        rf'127\.0\.0\.1:\d+ - "GET /healthz\?pad=a+… \({left:,} more bytes\) HTTP/1\.1" 200', long[0]
    )
    whole = logged_after(server, start, "probe=")
    assert len(whole) == 1 and '"GET /healthz?probe=whole HTTP/1.1" 200' in whole[0], whole


def test_a_client_a_proxy_names_is_logged_cut_with_its_control_characters_as_codes(server: ApiServer) -> None:
    """From an address trusted as a proxy (loopback), uvicorn takes the client from ``X-Forwarded-For``: as
    long as a header may be, and read as latin-1, so a C1 control (U+009B opens a terminal's control
    sequence) reached the log raw."""
    forwarded = b"\x9b31m" + b"h" * 5_000
    start = server.log_size()
    with httpx.Client(timeout=10) as client:
        answer = client.get(f"{server.url}/healthz?probe=proxied", headers={b"X-Forwarded-For": forwarded})
    assert answer.status_code == 200
    found = logged_after(server, start, "probe=proxied")
    assert len(found) == 1 and len(found[0]) < LINE_BYTES, [line[:1_000] for line in found]
    left = len(forwarded) + len(":0") - MAX_LOGGED_CLIENT
    assert "[U+009B]31mhhh" in found[0] and f"… ({left:,} more bytes) - " in found[0], found[0]
    assert not re.search("[\x00-\x1f\x7f-\x9f]", found[0]), found[0]


def test_a_log_record_written_to_a_pipe_is_one_line_with_its_date_and_zone(
    neo4j_settings: Settings, tmp_path: Path
) -> None:
    """rich wrapped each log record at 80 columns where stderr is no terminal: one warning of ``ingest``
    came to a pipe, a file or journald as three lines, and a program reading the log took each for a
    record of its own. Its time was the time of day alone, which a log spanning days cannot be read by:
    it is the date and time with the zone's offset (ISO 8601)."""
    row = {"id": "B1", "name": "Bakery", "role": "firm", "city": "Wels", "notes_nobody_reads": "x"}
    path = write_csv(tmp_path / "organizations of a region with a name long enough to wrap.csv", [row])
    connection = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    done = clusterkg("ingest", str(path), "--dry-run", env=connection | {"TZ": "Asia/Kolkata"})
    lines = done.stderr.decode().splitlines()
    warned = [line for line in lines if "notes_nobody_reads" in line]
    assert done.returncode == 0 and len(warned) == 1, lines
    logged = re.fullmatch(
        r"(\S+) WARNING  /\S+/organizations of a region with a name long enough to wrap\.csv: columns "
        r"'notes_nobody_reads' feed no organizations field and are ignored",
        warned[0],
    )
    assert logged, warned
    when = datetime.fromisoformat(logged[1])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30", logged[1]), logged[1]
    assert abs(when - datetime.now().astimezone()) < timedelta(minutes=5), logged[1]


def test_an_error_printed_to_a_pipe_is_one_line() -> None:
    """The CLI's printed messages wrapped at 80 columns off a terminal as the log did: an error saying how
    to reach Neo4j came to a pipe as three lines."""
    uri = f"bolt://127.0.0.1:{free_port()}"
    done = clusterkg("db", "status", env={"NEO4J_URI": uri, "NEO4J_PASSWORD": "a-password-of-no-server"})
    said = done.stderr.decode()
    assert done.returncode == 1 and said.count("\n") == 1, said
    assert said.startswith(f"Error: No Neo4j answers at {uri}: start the local server with"), said
    assert len(said) > 120


def test_a_usage_error_printed_to_a_pipe_is_one_line_and_keeps_its_box_on_a_terminal() -> None:
    """typer drew an unknown option or a missing argument in a box with the usage over it, five lines to a
    pipe, so a script or a log reader got the error in pieces; on a terminal the box is what a person
    reads. Either says the program by its name, `clusterkg`, however Python started it."""
    for args, said in (
        (["suggest", "--bogus"], "Error: No such option: --bogus; see 'clusterkg suggest --help'\n"),
        (["keys", "revoke"], "Error: Missing argument 'key_id'; see 'clusterkg keys revoke --help'\n"),
        (["--bogus"], "Error: No such option: --bogus"),
        (
            ["db", "migrat"],
            "Error: No such command 'migrat'. Did you mean 'migrate'? See 'clusterkg db --help'\n",
        ),
    ):
        done = clusterkg(*args)
        assert done.returncode == 2 and done.stderr.decode().startswith(said), (args, done.stderr)
        assert done.stderr.count(b"\n") == 1 and not done.stdout, (args, done.stderr)
    terminal, shown = pty.openpty()
    try:
        boxed = subprocess.run(
            [sys.executable, "-P", "-c", "from api.cli import main; main()", "suggest", "--bogus"],
            env=os.environ | {"PYTHONPATH": str(Path(__file__).parents[1]), "NO_COLOR": "1"},  # no colours
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=shown,
            timeout=300,
        )
        os.close(shown)
        drawn = b""
        while select.select([terminal], [], [], 5)[0] and (chunk := read_some(terminal)):
            drawn += chunk
    finally:
        os.close(terminal)
    text = re.sub(r"\x1b\[[0-9;]*m", "", drawn.decode())  # its styles
    assert boxed.returncode == 2 and text.startswith("Usage: clusterkg suggest"), text
    assert "╭─ Error ─" in text and "│ No such option: --bogus" in text, text


def read_some(terminal: int) -> bytes:
    """What a terminal's end holds, empty once the process on its other end has closed it (Linux says EIO)."""
    try:
        return os.read(terminal, 4096)
    except OSError:
        return b""


def test_a_message_and_a_table_printed_to_a_pipe_keep_their_lines(tmp_path: Path) -> None:
    """Off a terminal a message longer than 80 columns (the table's title, the command that loads the
    region) is one line, and the table a row a line."""
    out = tmp_path / ("a folder whose name makes each path longer than a terminal line" + "-" * 40)
    done = clusterkg("generate", "--orgs", "30", "--seed", "1", "--out", str(out))
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0 and lines[0] == f"Synthetic region in {out}", lines
    assert re.fullmatch(r"│ collaborations\.csv +│ +\d+ │", lines[7]) and len(lines) == 11, lines
    command = f"load it with: clusterkg ingest {out / 'clusters.csv'} {out / 'organizations.csv'} "
    assert lines[-1].startswith(command) and lines[-1].endswith("collaborations.csv"), lines


def a_log_record(line: str, message: str, level: str = "INFO") -> datetime:
    """When ``line``, a log record off a terminal, says ``message`` (a pattern) was logged at ``level``: its
    date and time with the zone's offset (ISO 8601), a moment of the last half hour."""
    logged = re.fullmatch(rf"(\S+) {level:<8} {message}", line)
    assert logged, line
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", logged[1]), line
    when = datetime.fromisoformat(logged[1])
    assert abs(when - datetime.now().astimezone()) < timedelta(minutes=30), line
    return when


def test_the_server_s_startup_lines_are_log_records_with_their_date_and_zone(server: ApiServer) -> None:
    """uvicorn wrote its own lines, ``INFO:     Uvicorn running on …``, and ``serve`` printed GraphiQL's
    address, with no date or time, so a server's log could not be read across days. Each is a record of the
    log, one line, as the project's own, and written once."""
    lines = server.log.read_text(errors="replace").splitlines()
    for message in (
        r"Started server process \[\d+\]",
        r"Application startup complete\.",
        rf"Uvicorn running on http://127\.0\.0\.1:{server.port} \(Press CTRL\+C to quit\)",
        rf"GraphiQL: http://localhost:{server.port}/graphql \(send `Authorization: Bearer <key>`\)",
    ):
        said = [line for line in lines if re.search(message, line)]
        assert len(said) == 1, (message, lines)
        assert a_log_record(said[0], message).utcoffset() == timedelta(hours=5, minutes=30), said


def test_an_access_line_is_a_log_record_on_stderr_written_as_its_request_ends(
    neo4j_settings: Settings, tmp_path: Path
) -> None:
    """uvicorn wrote its access lines to stdout with no date or time, apart from the rest of the log. Each
    is a record of the log on stderr, one line with its date and time, and reaches a pipe as its request
    ends, the server still running (no terminal, no ``PYTHONUNBUFFERED``); so do uvicorn's lines as it
    stops. stdout holds nothing."""
    api = ApiServer(neo4j_settings, tmp_path / "stdout.log", {"PYTHONUNBUFFERED": ""}, pipe_stderr=True)
    api.start()
    try:
        assert api.process is not None and api.process.stderr is not None
        assert httpx.get(f"{api.url}/healthz?probe=prompt", timeout=10).status_code == 200
        seen, deadline = b"", time.monotonic() + 2
        while b"probe=prompt" not in seen and time.monotonic() < deadline:
            if select.select([api.process.stderr], [], [], 0.1)[0]:
                seen += os.read(api.process.stderr.fileno(), 65_536)
        assert api.process.poll() is None
        access = [line for line in seen.decode().splitlines() if "probe=prompt" in line]
        assert len(access) == 1, seen[-2_000:]
        a_log_record(access[0], r'127\.0\.0\.1:\d+ - "GET /healthz\?probe=prompt HTTP/1\.1" 200')
        api.process.terminate()
        api.process.wait(30)
        seen += api.process.stderr.read()
    finally:
        api.stop()
    finished = [line for line in seen.decode().splitlines() if "Finished server process" in line]
    assert len(finished) == 1, seen[-2_000:]
    a_log_record(finished[0], r"Finished server process \[\d+\]")
    assert api.log.read_text() == "", api.log.read_text()


def test_uvicorn_s_error_is_a_log_record(neo4j_settings: Settings) -> None:
    """uvicorn's error when it cannot listen (the port is taken) came as ``ERROR:    [Errno 98] …`` with no
    date or time: it is a record of the log, one line, and the command exits 3 (a start-up failure)."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        connection = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
        done = clusterkg("serve", "--port", str(port), env=connection | {"CLUSTERKG_ENVIRONMENT": "test"})
    lines = done.stderr.decode().splitlines()
    said = [line for line in lines if "Errno" in line]
    assert done.returncode == 3 and len(said) == 1, lines
    bind = rf"\[Errno 98\] error while attempting to bind on address \('127\.0\.0\.1', {port}\): \S.*"
    a_log_record(said[0], bind, "ERROR")


def test_a_line_break_in_a_log_record_off_a_terminal_shows_as_its_code() -> None:
    """Off a terminal, a message's line break (a Neo4j error's text holds several) would start a line that
    reads as a record of its own: it shows as its code, as do the other control characters."""
    out = io.StringIO()
    log = logging.getLogger("tests.one_line")
    log.addHandler(LogHandler(console=Console(file=out), show_path=False))
    log.propagate = False
    log.warning("defunct connection\nWARNING  forged record \x1b[31m")
    assert out.getvalue().endswith(
        " WARNING  defunct connection[U+000A]WARNING  forged record [U+001B][31m\n"
    )
    assert out.getvalue().count("\n") == 1, out.getvalue()
