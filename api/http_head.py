"""The HTTP server's limits on a request's head (its request line and headers), which uvicorn does not set:
its size and the time a client may take to send it.

uvicorn's httptools parser caps the request line at 64 KiB but buffers header values without limit: a client
with no key sending a header of 100 MB on each of four connections grew the server by 390 MB, all before
any of the app's limits (body size, key, rate) could see the request. Nor does uvicorn close a connection
whose head never ends: a client with no key holding 19,990 connections open, each with half a head, took
every file descriptor the server may open, and every other client's request was reset until it let go.
Nor one whose request was answered (413, 504) while its body still trickles in. uvicorn's h11 parser has a
size cap (``h11_max_incomplete_event_size``) but no time limit either, and costs more CPU for every
request. :class:`BoundedHead` keeps httptools and counts, per connection, the bytes and the seconds of a
head until its headers are complete, and the seconds of a body that comes after its answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.graphql.errors import BAD_USER_INPUT, error_body
from api.refusal_log import RefusalLog
from api.web.headers import SELF_ONLY, policy_text, security_headers

MAX_HEAD_BYTES = 65_536
"""The most bytes a request's head may take unfinished: twice what nginx accepts by default (4 buffers of
8 KiB), and far more than a key, a browser's request or a GraphQL GET within the 64 KiB request line needs.
A head that arrives whole in one read passes up to a read's size (256 KiB): what bounds the memory a
connection holds is the count while it is unfinished."""
MAX_URL_BYTES = 65_535
"""The longest URL (a request line's target) the server reads: the most httptools' URL parser takes, as its
offsets are 16 bits. Past it the parser fails the request once its head is complete, with httptools' own
plain-text 400; the server answers 414 (RFC 9110's status for a target longer than a server reads, where 431
names the headers) as soon as the URL passes it, in the shape of its other refusals."""
REFUSAL_HEADERS = b"".join(
    name + b": " + value + b"\r\n" for name, value in security_headers(policy_text(SELF_ONLY))
)
"""The security headers of every answer the app writes (``api.web.headers``), on the refusals the app never
sees."""
HEAD_SECONDS = 10.0
"""How long a connection may take to send a request's head, from its first byte (or from the connection,
for the first request), and the rest of a body the app answered before reading it whole (a 413, a 504): a
head of 64 KiB takes a tenth of that at 64 kbit/s. A body the app still reads falls under the request's own
time limit (``api.middleware.RequestTimeout``), and the idle time between requests under uvicorn's
keep-alive timeout; but once answered, a request whose body still trickles in, a byte at a time, kept its
connection open for good."""


class BoundedHead(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a head longer than :data:`MAX_HEAD_BYTES` with 431, a URL
    longer than :data:`MAX_URL_BYTES` with 414 and a head not complete within :data:`HEAD_SECONDS` with 408
    (a connection that sent nothing is closed without one, as browsers open spare connections and answer a
    408 on them by retrying), and closing the connection. The bytes count read by read after the parser has
    seen them, each read that begins in a head and ends in it: a read that holds a head's end and a body (a
    POST sent in one write) is no head, nor one that holds a body's end, and the start of a next head in it
    counts from the next read, so the parser holds at most a read (256 KiB) past the cap. The URL counts as
    the parser reads it, so a long one is refused in the read that takes it past its cap. Refusals are told
    to :attr:`refusals`, one log for all connections of a server (:func:`bounded_head`)."""

    refusals: RefusalLog

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_bytes = 0
        self.heads_complete = 0
        self.in_head = True
        self.refused = False
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.start_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        in_head, heads = self.in_head, self.heads_complete
        if in_head:
            self.start_timer()
        super().data_received(data)
        if self.heads_complete != heads:
            self.head_bytes = 0  # what followed a head's end in this read (a body) is no head
        elif in_head and not self.transport.is_closing():
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                self.refuse(
                    431,
                    "Request Header Fields Too Large",
                    f"request line and headers larger than {MAX_HEAD_BYTES:,} bytes",
                )

    def on_url(self, url: bytes) -> None:
        if self.refused:
            return
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self.refuse(414, "URI Too Long", f"URL longer than {MAX_URL_BYTES:,} bytes")

    def on_headers_complete(self) -> None:
        if self.refused:
            return  # what follows a refusal in the same read is never served
        self.in_head = False
        self.heads_complete += 1
        self.stop_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.refused:
            return
        super().on_message_complete()
        self.in_head = True

    def start_timer(self) -> None:
        if self.timer is None:
            self.timer = self.loop.call_later(HEAD_SECONDS, self.too_slow)

    def stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.in_head and not self.transport.is_closing():
            self.start_timer()  # answered while its body still comes (a 413, a 504): the rest gets its time

    def too_slow(self) -> None:
        """A head, or the rest of a body already answered, not received in time: close the connection."""
        self.timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            if self.in_head:
                self.start_timer()  # a pipelined head waits for the answer to the request before it
            return  # the request is the app's, under its own time limit
        if not self.in_head or self.head_bytes == 0:
            # The rest of an answered body is never read; a connection that sent nothing (a browser's
            # spare one) gets no answer, as browsers answer a 408 on one by retrying.
            self.transport.close()
            return
        why = f"request line and headers not complete within {HEAD_SECONDS:g} s"
        self.refuse(408, "Request Timeout", why)

    def send_400_response(self, msg: str) -> None:
        """A request the parser cannot read (uvicorn answers it in plain text, without the security headers,
        and logs a line each): refused in the shape of the other refusals, and told to the refusal log."""
        if not self.refused:  # the rest of a read after a refusal may fail the parser too
            self.refuse(400, "Bad Request", "not a valid HTTP request")

    def refuse(self, status: int, reason: str, why: str) -> None:
        """Answer ``status`` in the API's error shape and close the connection (what the client sends next
        is never read, nor the rest of the read that the parser is in); while the answer to an earlier
        request is under way, only close it."""
        self.refusals.refused(status, why, self.client)
        self.in_head = False
        self.refused = True
        self.stop_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()
            return
        body = json.dumps(error_body(why, BAD_USER_INPUT)).encode()
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\n".encode()
            + b"content-type: application/json\r\n"
            + REFUSAL_HEADERS
            + b"content-length: "
            + str(len(body)).encode()
            + b"\r\nconnection: close\r\n\r\n"
            + body
        )
        self.transport.close()


UVICORN_INVALID = "Invalid HTTP request received."
"""The line uvicorn's protocol logs, unbounded, for each request its parser cannot read (a malformed request
line, a bad header): :meth:`BoundedHead.send_400_response` tells those to the refusal log instead."""


class _TellsRefusalsInstead(logging.Filter):
    """Drops uvicorn's own line per unreadable request (:data:`UVICORN_INVALID`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != UVICORN_INVALID


_UVICORN_INVALID_DROPPED = _TellsRefusalsInstead()


def bounded_head(refusals: RefusalLog) -> type[BoundedHead]:
    """:class:`BoundedHead` telling its refusals to ``refusals``: uvicorn makes a protocol per connection from
    the class it is given, and the log counts the refusals of them all."""
    logging.getLogger("uvicorn.error").addFilter(_UVICORN_INVALID_DROPPED)  # added once, however often called
    return type("BoundedHead", (BoundedHead,), {"refusals": refusals})
