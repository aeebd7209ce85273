"""The strawberry schema with its limits (depth and complexity) and its caches (parsed and validated
documents: clients send the same few operations again and again, and parsing plus validating one costs
more CPU than executing a small query; a document not seen before is parsed and validated off the event
loop, ``api/graphql/prepare.py``)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules

from api.graphql.costs import Costs
from api.graphql.errors import report
from api.graphql.execution import EXECUTORS
from api.graphql.guarded import guarded
from api.graphql.limits import MaxComplexity, depth_rule
from api.graphql.mutations import Mutation
from api.graphql.plain import answer_from
from api.graphql.prepare import DocumentCache, PrepareOffLoop
from api.graphql.queries import Query
from api.graphql.sizes import lower_page_defaults
from api.graphql.types import INLINED_LISTS
from schema.settings import Settings

DOCUMENT_CACHE = 256
"""Documents (a key's operation texts) whose parsed and validated forms are kept (bounded: clients choose
them)."""


class CodedSchema(strawberry.Schema):
    """Logs a request's errors with :func:`~api.graphql.errors.report` (strawberry's default logs each error
    with its traceback, on the event loop)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        report(errors)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema, limited by ``settings`` (the SDL depends on them only where a page size's default is above
    the maximum page size, which lowers it: ``lower_page_defaults``).

    The depth rule is made once, with the caches: the validation cache is keyed by the caller's key and the
    operation text, for this schema's rules. The complexity check depends on the variables, so it runs per
    request."""
    costs = Costs.from_settings(settings)
    depth_rules: list[type[ASTValidationRule]] = [depth_rule(settings.api_max_depth)]
    documents = DocumentCache(DOCUMENT_CACHE)
    schema = CodedSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: AddValidationRules(depth_rules),
            lambda: PrepareOffLoop(documents),
            lambda: MaxComplexity(settings.api_max_complexity, costs),
        ],
        execution_context_class=guarded(EXECUTORS[settings.api_executor]),
    )
    answer_from(schema._schema, "Organization", "lists", INLINED_LISTS)
    lower_page_defaults(schema._schema, settings.api_max_page_size)
    return schema


def sdl() -> str:
    """The schema in SDL, as kept in ``schema/schema.graphql``."""
    return build_schema(Settings()).as_str() + "\n"
