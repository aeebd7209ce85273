"""What the server writes to its logs, read where it lands: the access log of ``clusterkg serve`` (a
subprocess, as users run it) bounds what a caller chooses in it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from api.access_log import MAX_LOGGED_CLIENT, MAX_LOGGED_TARGET
from graph.db import Graph
from schema.settings import Settings
from tests.utils.server import ApiServer

LINE_BYTES = MAX_LOGGED_TARGET + MAX_LOGGED_CLIENT + 200
"""The most an access line takes: the bounded target and client, the method, the status, the left-out
counts."""


@pytest.fixture(scope="module")
def server(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    # Unbuffered, as the Dockerfile runs it: uvicorn writes its access lines to stdout.
    api = ApiServer(neo4j_settings, tmp_path_factory.mktemp("logs") / "serve.log", {"PYTHONUNBUFFERED": "1"})
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
        answer = client.get(f"{server.url}/healthz?probe=proxied", headers={"X-Forwarded-For": forwarded})
    assert answer.status_code == 200
    found = logged_after(server, start, "probe=proxied")
    assert len(found) == 1 and len(found[0]) < LINE_BYTES, [line[:1_000] for line in found]
    left = len(forwarded) + len(":0") - MAX_LOGGED_CLIENT
    assert "[U+009B]31mhhh" in found[0] and f"… ({left:,} more bytes) - " in found[0], found[0]
    assert not re.search("[\x00-\x1f\x7f-\x9f]", found[0]), found[0]
