"""The GraphQL route: strawberry's FastAPI router with a code on every error and a fast JSON codec."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.graphql.errors import coded


class CodedGraphQLRouter(GraphQLRouter):
    """Puts a code on every error of every result (parse, validation, limits and resolver errors alike) just
    before the response is written, and reads and writes JSON with orjson (a page of 50 organizations is
    tens of kilobytes; the standard library's encoder costs several times more CPU for it)."""

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = [coded(error) for error in result.errors]
        return await super().process_result(request, result)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        return orjson.loads(data)
