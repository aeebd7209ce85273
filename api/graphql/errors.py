"""Coded GraphQL errors: every error leaves with ``extensions.code`` and a message meant for the caller.

The project's own exceptions map to codes; anything unexpected (a failed Neo4j query included) becomes
INTERNAL with a neutral message and a reference to the server log, so no stack trace or Cypher text ever
reaches a client.
"""

from __future__ import annotations

import logging
import uuid

import pydantic
from graphql.error import GraphQLError

from schema.errors import AccessDenied, InvalidInput, MatchingError, NotFound, Unauthenticated

log = logging.getLogger(__name__)

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
UNAUTHENTICATED = "UNAUTHENTICATED"
INTERNAL = "INTERNAL"


def error_body(message: str, code: str) -> dict[str, object]:
    """A GraphQL response body carrying one coded error (for answers given outside GraphQL execution)."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


def _validation_message(error: pydantic.ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "input"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def coded(error: GraphQLError) -> GraphQLError:
    """``error`` with its code set; unexpected errors lose their message and are logged instead."""
    original = error.original_error
    if isinstance(original, GraphQLError) and original is not error:
        return coded(original)
    message = error.message
    if (error.extensions or {}).get("code") and original is None:
        return error
    if original is None:
        code = BAD_USER_INPUT  # syntax, validation and variable errors: about the request, safe to show
    elif isinstance(original, Unauthenticated):
        code = UNAUTHENTICATED
    elif isinstance(original, AccessDenied):
        code = FORBIDDEN
    elif isinstance(original, NotFound):
        code = NOT_FOUND
    elif isinstance(original, InvalidInput | MatchingError):  # matching's errors are sentences for users
        code = BAD_USER_INPUT
    elif isinstance(original, pydantic.ValidationError):
        code, message = BAD_USER_INPUT, _validation_message(original)
    else:
        reference = uuid.uuid4().hex[:12]
        log.error("internal error %s at %s", reference, error.path, exc_info=original)
        code, message = INTERNAL, f"internal error (reference {reference}; the server log has the details)"
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code},
    )
