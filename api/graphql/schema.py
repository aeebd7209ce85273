"""The strawberry schema with its limits: depth and complexity."""

from __future__ import annotations

import strawberry
from strawberry.extensions import QueryDepthLimiter

from api.graphql.limits import MaxComplexity
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from schema.settings import Settings


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema, limited by ``settings`` (the SDL does not depend on them)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.api_max_depth),
            lambda: MaxComplexity(settings.api_max_complexity),
        ],
    )


def sdl() -> str:
    """The schema in SDL, as kept in ``schema/schema.graphql``."""
    return build_schema(Settings()).as_str() + "\n"
