"""A request's head (request line and headers) is bounded by ``clusterkg serve`` itself, in size and in time,
before the app's limits: uvicorn's httptools parser buffered header values without end (a client with no key
sending a header of 100 MB on four connections grew the server by 390 MB), and kept a connection whose head
never ends open for good (19,990 of them took every file descriptor, and every other client was reset). The
server here is ``clusterkg serve`` in a subprocess, as users run it."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from api.http_head import HEAD_SECONDS, MAX_HEAD_BYTES, MAX_URL_BYTES, UVICORN_INVALID
from api.web.headers import SELF_ONLY, policy_text, security_headers
from graph.db import Graph
from schema.settings import Settings
from tests.utils.server import ApiServer

CHUNK = 1_000_000
LOG_SECONDS = 3
"""How often the server here tells the refusals it counted (``api_refusal_log_seconds``)."""


@pytest.fixture(scope="module")
def server(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    env = {"CLUSTERKG_API_REFUSAL_LOG_SECONDS": str(LOG_SECONDS)}
    api = ApiServer(neo4j_settings, tmp_path_factory.mktemp("head") / "serve.log", env)
    api.start()
    yield api
    api.stop()


def connect(server: ApiServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def answer_with_headers(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of one response read to its ``content-length``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    status, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return int(status.split()[1]), headers, body


def answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and body of one response read to its ``content-length``."""
    status, _, body = answer_with_headers(sock)
    return status, body


def security_headers_of_the_app(server: ApiServer) -> dict[str, str]:
    """The security headers as the app sets them on its own answers (``/healthz``)."""
    served = httpx.get(f"{server.url}/healthz", timeout=10).headers
    return {name.decode(): served[name.decode()] for name, _ in security_headers(policy_text(SELF_ONLY))}


def test_a_head_still_unfinished_past_the_cap_is_refused_with_431(server: ApiServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * (MAX_HEAD_BYTES + 1_000))
        status, headers, body = answer_with_headers(sock)
    assert status == 431
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert headers.items() >= security_headers_of_the_app(server).items(), headers


def url_of(length: int) -> bytes:
    """A ``/healthz`` URL ``length`` bytes long."""
    start = b"/healthz?pad="
    return start + b"a" * (length - len(start))


def test_a_url_past_its_cap_is_refused_with_414_in_the_shape_of_the_other_refusals(server: ApiServer) -> None:
    """httptools fails a URL past 64 KiB with its own plain-text 400 once the head is complete; the server
    answers 414 with a code and the security headers, whether the head is complete or still coming."""
    app_headers = security_headers_of_the_app(server)
    for request in (
        b"GET " + url_of(MAX_URL_BYTES + 1) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET " + url_of(2 * MAX_URL_BYTES),
    ):
        with connect(server) as sock:
            sock.sendall(request)
            status, headers, body = answer_with_headers(sock)
        assert status == 414, body
        assert json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert headers.items() >= app_headers.items(), headers
    with connect(server) as sock:
        sock.sendall(b"GET " + url_of(MAX_URL_BYTES - 1_000) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer(sock) == (200, b'{"status":"ok"}')


def test_a_client_refused_again_and_again_adds_a_line_per_interval_to_the_log_telling_the_count(
    server: ApiServer,
) -> None:
    """A line per refusal would let a client with no key, opening connection after connection, write as many
    lines as it likes. The first refusal after a quiet interval is logged whole; the rest are told as a count
    once an interval."""
    refusals = 200
    time.sleep(2 * LOG_SECONDS + 1)  # what earlier tests had refused is told, and the log is quiet
    start, started = server.log_size(), time.monotonic()
    for _ in range(refusals):
        with connect(server) as sock:
            sock.sendall(b"GET " + url_of(MAX_URL_BYTES + 1) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer(sock)[0] == 414
    elapsed = time.monotonic() - started
    time.sleep(LOG_SECONDS + 1)  # the last interval is told
    logged = server.log.read_bytes()[start:].decode()  # a line per record
    whole = re.findall(r"refused a request head \((.*?)\) from ([\d.]+);", logged)
    told = re.findall(
        r"refused ([\d,]+) more request heads? in the last \d+ s \(414: ([\d,]+)\) from 127", logged
    )
    assert whole == [(f"URL longer than {MAX_URL_BYTES:,} bytes", "127.0.0.1")], logged
    assert 1 <= len(told) <= 1 + elapsed // LOG_SECONDS, logged
    assert all(total == count for total, count in told), logged
    assert 1 + sum(int(total.replace(",", "")) for total, _ in told) == refusals, logged


def test_requests_the_parser_cannot_read_are_refused_in_shape_and_told_as_a_count(server: ApiServer) -> None:
    """uvicorn answered a request its parser cannot read in plain text without the security headers, and
    logged a line for each: a client could fill the log with them as with any other refusal."""
    refusals = 30
    app_headers = security_headers_of_the_app(server)
    time.sleep(2 * LOG_SECONDS + 1)  # what earlier tests had refused is told, and the log is quiet
    start = server.log_size()
    for _ in range(refusals):
        with connect(server) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
            status, headers, body = answer_with_headers(sock)
        assert status == 400, body
        assert json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert headers.items() >= app_headers.items(), headers
    time.sleep(LOG_SECONDS + 1)  # the last interval is told
    logged = server.log.read_bytes()[start:].decode()
    assert UVICORN_INVALID not in logged, logged
    whole = re.findall(r"refused a request head \((.*?)\) from ([\d.]+);", logged)
    told = re.findall(r"refused ([\d,]+) more request heads? in the last \d+ s \(400: ([\d,]+)\)", logged)
    assert whole == [("not a valid HTTP request", "127.0.0.1")], logged
    assert 1 + sum(int(count.replace(",", "")) for _, count in told) == refusals, logged


def test_a_client_sending_a_header_without_end_is_cut_off(server: ApiServer) -> None:
    sent = 0
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ")
        with pytest.raises(OSError):  # the server closed the connection: sending fails long before 100 MB
            while sent < 100 * CHUNK:
                sock.sendall(b"a" * CHUNK)
                sent += CHUNK
    assert sent < 20 * CHUNK, sent


def test_heads_under_the_cap_are_served_one_after_another_on_a_connection(server: ApiServer) -> None:
    header = b"X-Padding: " + b"a" * (MAX_HEAD_BYTES - 1_000) + b"\r\n"
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n")
            assert answer(sock) == (200, b'{"status":"ok"}')


def test_a_body_under_the_body_cap_is_no_head_however_it_arrives(server: ApiServer) -> None:
    """A POST's body of 90 kB (under the 100 kB body cap, over the head's) reaches the app, whether it comes
    in the head's write or after it: the app answers (401, no key), not the head's cap."""
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "a" * 90_000}}).encode()
    head = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    for writes in ([head + body], [head + body[:10_000], body[10_000:]], [head, body]):
        with connect(server) as sock:
            for i, data in enumerate(writes):
                if i:
                    time.sleep(0.2)  # a read of its own
                sock.sendall(data)
            status, answered = answer(sock)
        assert status == 401, answered


def test_a_connection_that_does_not_finish_its_head_in_time_is_closed(server: ApiServer) -> None:
    started = time.monotonic()
    with connect(server) as silent, connect(server) as slow:
        for sock in (silent, slow):
            sock.settimeout(HEAD_SECONDS + 10)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):  # a byte now and then
            time.sleep(1)
            slow.sendall(b"X")
        status, headers, body = answer_with_headers(slow)
        assert status == 408 and json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert headers.items() >= security_headers_of_the_app(server).items(), headers
        assert silent.recv(100) == b""  # closed without an answer: it sent nothing
    assert time.monotonic() - started < HEAD_SECONDS + 5


def test_a_body_that_trickles_in_after_its_answer_does_not_hold_the_connection(server: ApiServer) -> None:
    """Declared past the body cap, the request is answered 413 at once; the client goes on sending its body
    a byte at a time, and the connection is closed once the rest has had its time."""
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        assert answer(sock)[0] == 413
        with pytest.raises(OSError):  # the server closed it: sending fails (or reads the end) in time
            while time.monotonic() - started < HEAD_SECONDS + 10:
                sock.sendall(b" ")
                sock.settimeout(0.5)
                try:
                    if sock.recv(100) == b"":
                        raise ConnectionResetError("closed by the server")
                except TimeoutError:
                    pass
    assert time.monotonic() - started < HEAD_SECONDS + 5
