"""The HTTP server's cap on a request's head (its request line and headers), which uvicorn does not set.

uvicorn's httptools parser caps the request line at 64 KiB but buffers header values without limit: a client
with no key sending a header of 100 MB on each of four connections grew the server by 390 MB, all before
any of the app's limits (body size, key, rate) could see the request, so a few dozen connections end the
process for everyone. uvicorn's h11 parser has a cap (``h11_max_incomplete_event_size``), but costs more CPU
for every request. :class:`BoundedHead` keeps httptools and counts the bytes a connection sends while a head
is incomplete; past :data:`MAX_HEAD_BYTES` the request is answered 431 and the connection closed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.graphql.errors import BAD_USER_INPUT, error_body

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 65_536
"""The most bytes a request's head may take: twice what nginx accepts by default (4 buffers of 8 KiB), and
far more than a key, a cookie-less browser request or a GraphQL GET within the 64 KiB request line needs."""


class BoundedHead(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a head longer than :data:`MAX_HEAD_BYTES` (counted as the
    bytes received between the end of one request's headers and the end of the next one's; a read that holds
    the end of a body and the start of the next head counts from the next read, so the cap is exceeded by
    one read at most)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_bytes = 0
        self.in_head = True

    def data_received(self, data: bytes) -> None:
        if self.in_head:
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                self.refuse()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_head = True

    def refuse(self) -> None:
        """Answer 431 in the API's error shape and close the connection (what the client sends next is
        never read)."""
        log.warning("refused a request head larger than %d bytes from %s", MAX_HEAD_BYTES, self.client)
        self.in_head = False
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a response to an earlier request is under way: no status line into it
            return
        body = json.dumps(
            error_body(f"request line and headers larger than {MAX_HEAD_BYTES} bytes", BAD_USER_INPUT)
        ).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"x-content-type-options: nosniff\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()
