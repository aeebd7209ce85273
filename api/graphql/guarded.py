"""Per-request caps inside execution: resolver calls, errors and the request's deadline.

The complexity limit (``api.graphql.limits``) bounds what a query asks for before it runs; these bound what
it actually costs while it runs. Past any cap the request stops: resolvers not yet called are not called,
further errors are not collected, and the answer is no data with the errors up to the cap and one saying
why it stopped. (Otherwise 100 aliases of a missing organization produce 100 errors and hold the server.)

Introspection fields are counted apart (``api_max_introspection_fields``): the full introspection query
GraphiQL sends resolves about 4,600 of them, but aliases repeat it at will: uncapped, a 95 kB request of
760 aliased ``__schema`` selections resolves 24 MB of introspection on the event loop, holding every other
request for 9 s. Introspection is not in the complexity count, which knows no list's length in the schema.
"""

from __future__ import annotations

import time
from typing import Any

from graphql import ExecutionResult, GraphQLError, GraphQLObjectType, GraphQLOutputType
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.errors import BAD_USER_INPUT, TIMEOUT


def guarded(
    executor: type[StrawberryGraphQLCoreExecutionContext],
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """``executor`` (lean or stock, ``api.graphql.execution.EXECUTORS``) with the caps of the module
    docstring."""
    return type(f"Guarded{executor.__name__}", (Guard, executor), {})


class Guard(StrawberryGraphQLCoreExecutionContext):
    """The caps of the module docstring, read from the request's context (``settings`` and ``deadline``), on
    top of the executor it is combined with (:func:`guarded`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        context = self.context_value
        settings = getattr(context, "settings", None)
        self.max_calls = settings.api_max_resolver_calls if settings else None
        self.max_errors = settings.api_max_errors if settings else None
        self.deadline = getattr(context, "deadline", None)
        self.max_introspection = settings.api_max_introspection_fields if settings else None
        self.calls = 0
        self.introspection_calls = 0
        self.stopped: GraphQLError | None = None

    def _stop(self, message: str, code: str) -> None:
        if self.stopped is None:
            self.stopped = GraphQLError(message, extensions={"code": code})

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        if self.stopped is not None:
            return None  # the answer is dropped (build_response): nothing more is resolved
        if parent_type.name.startswith("__"):
            self.introspection_calls += 1
            if self.max_introspection is not None and self.introspection_calls > self.max_introspection:
                self._stop(
                    f"the request stopped: it resolved more than {self.max_introspection} introspection "
                    "fields; ask for the schema once",
                    BAD_USER_INPUT,
                )
                return None
        else:
            self.calls += 1
        if self.max_calls is not None and self.calls > self.max_calls:
            self._stop(
                f"the request stopped: it resolved more than {self.max_calls} fields with resolvers; "
                "ask for fewer aliases or smaller pages",
                BAD_USER_INPUT,
            )
            return None
        if self.deadline is not None and time.monotonic() > self.deadline:
            self._stop("the request stopped: it ran past its time limit", TIMEOUT)
            return None
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def handle_field_error(
        self, raw_error: Exception, return_type: GraphQLOutputType, field_details_list: Any, path: Path
    ) -> None:
        if self.stopped is not None:
            return
        if self.max_errors is not None and len(self.collected_errors.errors) >= self.max_errors:
            self._stop(
                f"the request stopped after {self.max_errors} errors; fix those and ask again",
                BAD_USER_INPUT,
            )
            return
        super().handle_field_error(raw_error, return_type, field_details_list, path)

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        if self.stopped is None or not isinstance(response, ExecutionResult):
            return response
        return ExecutionResult(None, [*(response.errors or []), self.stopped])
