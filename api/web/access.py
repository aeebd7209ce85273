"""Who is asking a page for data, and the GraphQL API run in-process on their behalf.

The pages keep the key in the browser's ``sessionStorage`` and send it as ``Authorization: Bearer`` with each
fragment they fetch, so the server resolves it exactly as ``/graphql`` does. What a page shows of the graph is
read through the same GraphQL schema with the same caller, so the API's rules (who may read which needs,
who may act for whom) hold on the pages without being written twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from fastapi import Request

from api.auth import Caller
from api.graphql.context import address_lane, admit, context_for, graph_lane
from api.throttle import RateLimited
from graph.db import AsyncGraph
from schema.errors import (
    AccessDenied,
    ClusterkgError,
    GraphError,
    GraphUnavailable,
    InvalidInput,
    NotFound,
    TimedOut,
    Unauthenticated,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


class PageError(ClusterkgError):
    """What a page fragment shows instead of its content, with the HTTP status it answers with, and the id
    of the form field it is about, if any: the page marks that field invalid and ties the message to it."""

    def __init__(self, message: str, status: int, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.field = field


WRONG_KEY = (
    "This access key was not accepted: it is mistyped, or it was revoked. Check it and press Use key again, "
    "or press Forget key to search as a guest."
)
"""What a page says for a key the API refuses, in place of the API's own message."""

UNAVAILABLE = (
    "The pages cannot reach their database at the moment, so they can show nothing here now. Please try "
    "again in a few minutes; if it lasts, tell the people who run this site."
)
"""What a page says while Neo4j does not answer, in place of the operator's message (it names the server's
address and the command that starts it, which is for the people who run the site)."""
GRAPH_FAILED = "The database could not answer this request. Please try again in a few minutes."

STATUS_OF: dict[type[ClusterkgError], int] = {
    RateLimited: 429,
    GraphUnavailable: 503,
    Unauthenticated: 401,
    AccessDenied: 403,
    NotFound: 404,
    InvalidInput: 400,
    TimedOut: 504,
}


def page_error(error: ClusterkgError) -> PageError:
    """The page's form of one of the project's errors (the most specific class decides the status)."""
    if isinstance(error, PageError):
        return error
    if isinstance(error, Unauthenticated):
        # The API's "unknown or revoked API key" is written for programmers; the page says what to do.
        return PageError(WRONG_KEY, 401)
    if isinstance(error, GraphUnavailable):
        return PageError(UNAVAILABLE, 503)
    if isinstance(error, GraphError):  # its message names the query, for the log
        log.error("a page's query failed: %s", error)
        return PageError(GRAPH_FAILED, 503)
    status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
    return PageError(str(error), status)


async def optional_caller(request: Request) -> Caller | None:
    """The caller behind the request's key, admitted as ``/graphql`` admits it (rate, availability), or
    None when it sends none; a guest's requests count against its address's rate. A wrong key is refused,
    not ignored: the person meant to use it."""
    if not request.headers.get("authorization"):
        request.app.state.rates.take(address_lane(request))
        request.app.state.availability.check()  # while Neo4j is gone, at once, as for a key
        return None
    return await admit(request)


def lane(request: Request, caller: Caller | None) -> str:
    """Where a page's graph queries and CPU work wait their turn, with the API's own: a key's lane, the one
    its ``/graphql`` requests use; a guest's, its client address's. One lane for every guest would not do:
    a lane's work is admitted in the order it came, so one client loading pages in a loop would make every
    other guest wait behind all of its queries; by address, each client gets its turn, and a flood waits
    in its own lane."""
    return caller.key_id if caller else address_lane(request)


def page_graph(request: Request, caller: Caller | None) -> AsyncGraph:
    """The graph as a page reads it for ``caller``: each query in :func:`lane`'s turn at the graph slots
    that ``/graphql`` uses (``api.throttle.GraphLane``), so many page loads cannot take every connection
    while other keys' queries wait."""
    return graph_lane(request, lane(request, caller))


async def compute(request: Request, caller: Caller | None, work: Callable[[], T]) -> T:
    """CPU work (a suggestion, insights) in a worker thread, queued fairly with the API's own."""
    return await request.app.state.compute.run(lane(request, caller), work)


async def required_caller(request: Request, what: str) -> Caller:
    """The caller behind the request's key; without one, a sentence that says what the key is for."""
    caller = await optional_caller(request)
    if caller is None:
        raise PageError(f"Enter your access key above to see {what}.", 401)
    return caller


async def execute(
    request: Request, schema: strawberry.Schema, caller: Caller, query: str, **variables: Any
) -> dict[str, Any]:
    """Run one GraphQL operation of the API for ``caller``; its first error becomes the page's message."""
    result = await schema.execute(
        query, variable_values=variables, context_value=context_for(request, caller)
    )
    if result.errors:
        error = result.errors[0]
        original = error.original_error
        if isinstance(original, ClusterkgError):
            raise page_error(original)
        raise PageError(error.message, 400)
    return result.data or {}
