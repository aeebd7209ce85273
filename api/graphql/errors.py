"""Coded GraphQL errors: every error leaves with ``extensions.code`` and a message meant for the caller.

The project's own exceptions map to codes; anything unexpected (a failed Neo4j query included) becomes
INTERNAL with a neutral message and a reference to the server log, so no stack trace or Cypher text ever
reaches a client.

Logging never holds the event loop: the errors a caller can cause at will (NOT_FOUND, FORBIDDEN,
BAD_USER_INPUT...) make one line per request, without a traceback, and the traceback of an INTERNAL error is
formatted and written by a thread of its own, at most :data:`TRACEBACKS_PER_REQUEST` per request and
:data:`TRACEBACKS_PENDING` waiting (a flood of 500 failing aliases once wrote 13.9 MB of tracebacks from the
event loop and held every other request for two minutes).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import pydantic
from graphql.error import GraphQLError

from schema.errors import (
    AccessDenied,
    GraphUnavailable,
    InvalidInput,
    MatchingError,
    NotFound,
    TimedOut,
    Unauthenticated,
)

log = logging.getLogger(__name__)

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
UNAUTHENTICATED = "UNAUTHENTICATED"
RATE_LIMITED = "RATE_LIMITED"
UNAVAILABLE = "UNAVAILABLE"
TIMEOUT = "TIMEOUT"
INTERNAL = "INTERNAL"

TRACEBACKS_PER_REQUEST = 1
TRACEBACKS_PENDING = 50
_REFERENCE = "_clusterkg_reference"


def _extensions(code: str, original: Exception | None) -> dict[str, str]:
    """An error's ``extensions``: its code, and the argument it refuses when ``original`` refuses one
    (:meth:`InvalidInput.of`), so a client names the input at fault without parsing the message."""
    argument = original.argument if isinstance(original, InvalidInput) else None
    return {"code": code} if argument is None else {"code": code, "argument": argument}


def error_body(message: str, code: str) -> dict[str, object]:
    """A GraphQL response body carrying one coded error (for answers given outside GraphQL execution)."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


def _validation_message(error: pydantic.ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "input"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _original(error: GraphQLError) -> Exception | None:
    """The exception behind ``error`` (None for syntax, validation and limit errors)."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error not in (None, original):
        original = original.original_error
    return None if isinstance(original, GraphQLError) else original


def code_of(error: GraphQLError) -> str:
    """The code ``error`` leaves with."""
    original = _original(error)
    given = (error.extensions or {}).get("code") or (
        (error.original_error.extensions or {}).get("code")
        if isinstance(error.original_error, GraphQLError)
        else None
    )
    if original is None:
        return str(given or BAD_USER_INPUT)  # syntax, validation, variables, limits: about the request
    if isinstance(original, Unauthenticated):
        return UNAUTHENTICATED
    if isinstance(original, AccessDenied):
        return FORBIDDEN
    if isinstance(original, NotFound):
        return NOT_FOUND
    if isinstance(original, InvalidInput | MatchingError | pydantic.ValidationError):
        return BAD_USER_INPUT  # matching's errors are sentences for users
    if isinstance(original, GraphUnavailable):
        return UNAVAILABLE
    if isinstance(original, TimedOut):
        return TIMEOUT  # the request is answered 504 already; no traceback to log
    return INTERNAL


def _reference(original: Exception) -> str:
    """The reference an INTERNAL error is logged under and quoted to the caller with (one per exception)."""
    reference = getattr(original, _REFERENCE, None)
    if reference is None:
        reference = uuid.uuid4().hex[:12]
        setattr(original, _REFERENCE, reference)
    return str(reference)


def coded(error: GraphQLError) -> GraphQLError:
    """``error`` with its code set; unexpected errors lose their message (logged by :func:`report`)."""
    code = code_of(error)
    original = _original(error)
    if original is None and (error.extensions or {}).get("code") == code:
        return error
    message = error.message
    if isinstance(original, pydantic.ValidationError):
        message = _validation_message(original)
    elif code == UNAVAILABLE:
        message = "the graph is not available; try again shortly"
    elif code == INTERNAL and original is not None:
        message = f"internal error (reference {_reference(original)}; the server log has the details)"
    elif original is None and isinstance(error.original_error, GraphQLError):
        message = error.original_error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=_extensions(code, original),
    )


class _TracebackWriter:
    """Writes INTERNAL errors with their traceback from one thread of its own, a bounded number waiting."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clusterkg-error-log")
        self.lock = threading.Lock()
        self.pending = 0

    def submit(self, reference: str, path: object, original: Exception) -> bool:
        with self.lock:
            if self.pending >= TRACEBACKS_PENDING:
                return False
            self.pending += 1
        self.pool.submit(self._write, reference, path, original)
        return True

    def _write(self, reference: str, path: object, original: Exception) -> None:
        try:
            log.error("internal error %s at %s", reference, path, exc_info=original)
        finally:
            with self.lock:
                self.pending -= 1


_tracebacks = _TracebackWriter()


def report(errors: Iterable[GraphQLError]) -> None:
    """Log one request's errors: one line for all of them, and the tracebacks of its first INTERNAL errors
    from the writer thread (never formatted on the event loop)."""
    counts: Counter[str] = Counter()
    written = 0
    for error in errors:
        code = code_of(error)
        counts[code] += 1
        original = _original(error)
        if code == INTERNAL and original is not None and written < TRACEBACKS_PER_REQUEST:
            written += _tracebacks.submit(_reference(original), error.path, original)
    if counts:
        summary = ", ".join(f"{count} {code}" for code, count in sorted(counts.items()))
        level = logging.WARNING if counts.keys() & {INTERNAL, UNAVAILABLE} else logging.INFO
        log.log(level, "GraphQL errors: %s", summary)
