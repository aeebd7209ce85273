"""The GraphQL endpoint: strawberry's ASGI app with a code on every error, a fast JSON codec and our context.

Served as a plain route of the FastAPI app (not through strawberry's FastAPI router): the router resolves its
context, root value and response through FastAPI's dependency injection on every request, which cost as much
CPU as executing a small query; the ASGI app calls :func:`~api.graphql.context.get_context` directly.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.graphql.context import Context, get_context
from api.graphql.errors import BAD_USER_INPUT, UNAVAILABLE, code_of, coded, error_body
from api.web.graphiql import graphiql_html
from schema.errors import GraphUnavailable, InvalidInput


class CodedGraphQL(GraphQL[Context, None]):
    """Puts a code on every error of every result (parse, validation, limits and resolver errors alike) just
    before the response is written, and reads and writes JSON with orjson (a page of 50 organizations is
    tens of kilobytes; the standard library's encoder costs several times more CPU for it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As strawberry's, but a request strawberry refuses (a batch, a body without a string `query`,
        `variables` that are no object, an unsupported content type, a mutation over GET) is answered in
        the GraphQL error shape with a code, as every other refusal is, not in plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as e:
            body = orjson.dumps(error_body(e.reason, BAD_USER_INPUT))
            response = Response(body, status_code=e.status_code, media_type="application/json")
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return await get_context(request)  # type: ignore[arg-type]

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = [coded(error) for error in result.errors]
            if any(code_of(error) == UNAVAILABLE for error in result.errors):
                raise GraphUnavailable("a query found Neo4j gone")  # answered 503 (api.app)
        return await super().process_result(request, result)

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with its scripts and styles served by this app (it must work offline)."""
        return graphiql_html()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        """The request body; anything but a JSON object (or a batch, a list of them) is refused with 400
        (``api.app``) before strawberry reads fields from it."""
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise InvalidInput("the request body is not JSON") from None
        if not isinstance(decoded, dict | list):
            raise InvalidInput("the request body must be a JSON object with a `query`")
        return decoded
