"""The server's access log: uvicorn's line per request, with what a caller chooses in it bounded.

uvicorn writes each request's whole target (path and query) into its line: a URL may take 65,535 bytes
(``api.http_head.MAX_URL_BYTES``), so any caller, with no key, made each request a 64 KB line of the log.
The client comes from ``X-Forwarded-For`` when the connection comes from an address uvicorn trusts as a
proxy (``FORWARDED_ALLOW_IPS``, loopback by default), as long as a header may be and read as latin-1, C1
controls included. :data:`BOUNDED_ACCESS_LINE` shows each of the two cut to a length and saying how much was
left out, as one line (``schema.direction.line_codes``). The target holds printable ASCII alone: httptools
refuses any other byte in it (400, told to ``api.refusal_log``), and uvicorn quotes none of it.
"""

from __future__ import annotations

import logging

from schema.direction import line_codes

MAX_LOGGED_TARGET = 300
"""The most characters of a request's target (path and query) an access line shows: a path and the query of
a search or a GraphQL GET with room to spare; past it the line says how many bytes it left out."""
MAX_LOGGED_CLIENT = 100
"""The most characters of a request's client (address and port) an access line shows: an IPv6 address with
its port takes at most 47."""


def bounded(text: str, limit: int) -> str:
    """``text``'s first ``limit`` characters, its control characters as codes, and how many bytes were left
    out (uvicorn reads the target and the client one character a byte)."""
    shown = line_codes(text[:limit])
    left = len(text) - limit
    return f"{shown}… ({left:,} more bytes)" if left > 0 else shown


class _BoundedAccessLine(logging.Filter):
    """Bounds the client and the target of uvicorn's access records (``'%s - "%s %s HTTP/%s" %d'``:
    client, method, target, HTTP version, status), before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, target, version, status = record.args
            record.args = (
                bounded(str(client), MAX_LOGGED_CLIENT),
                method,
                bounded(str(target), MAX_LOGGED_TARGET),
                version,
                status,
            )
        return True


BOUNDED_ACCESS_LINE = _BoundedAccessLine()
"""The filter on uvicorn's access logger (``api.server.api_server`` adds it, once however often called)."""
