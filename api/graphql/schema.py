"""The strawberry schema with its limits (depth and complexity) and its caches (parsed and validated
documents: clients send the same few operations again and again, and parsing plus validating one costs
more CPU than executing a small query)."""

from __future__ import annotations

import strawberry
from strawberry.extensions import AddValidationRules, ParserCache, QueryDepthLimiter, ValidationCache

from api.graphql.execution import EXECUTORS, answer_from
from api.graphql.limits import MaxComplexity
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.graphql.types import INLINED_LISTS
from schema.settings import Settings

DOCUMENT_CACHE = 256
"""Distinct operation texts whose parsed and validated documents are kept (bounded: clients choose them)."""


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema, limited by ``settings`` (the SDL does not depend on them).

    The depth rule is made once: the validation cache is keyed by the rules too, and a rule class made per
    request would never hit it. The complexity check depends on the variables, so it runs per request."""
    depth_rules = QueryDepthLimiter(max_depth=settings.api_max_depth).validation_rules
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: AddValidationRules(depth_rules),
            lambda: ParserCache(maxsize=DOCUMENT_CACHE),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE),
            lambda: MaxComplexity(settings.api_max_complexity),
        ],
        execution_context_class=EXECUTORS[settings.api_executor],
    )
    answer_from(schema._schema, "Organization", "lists", INLINED_LISTS)
    return schema


def sdl() -> str:
    """The schema in SDL, as kept in ``schema/schema.graphql``."""
    return build_schema(Settings()).as_str() + "\n"
