"""Parsing and validating GraphQL documents off the event loop, with caches (replacing strawberry's
``ParserCache`` and ``ValidationCache``, which parse and validate on the event loop).

Clients send the same few operations again and again, so a document the same key sent before is answered
from the caches at once. The caches are kept key by key: shared, a key whose own work fills its lane could
time how long a document waits and so tell whether another key sent it (an inline private need, the
organizations a manager looked up): a document another key had sent took no turn of the compute threads.
A document not seen before is parsed and validated in the caller's lane of the compute
threads (``api.throttle.FairCompute``): both cost more than linear time in what a 100 kB body can hold
(graphql-core's overlapping-fields rule compares every pair of fields of one name: 800 copies of one nested
selection took 3 s to validate, 100 kB of fields 0.2 s to parse), and on the event loop every other
request, ``/healthz`` included, waited for them. In a worker thread the loop keeps its turn at the
interpreter lock, and a key sending many such documents waits behind its own work.

Which operation of the document runs is settled as soon as it is parsed (:func:`check_operation`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.schema.schema import validate_document

from api.throttle import Lane
from schema.errors import echo

T = TypeVar("T")

ABORTED = (
    "the query is too large or too deeply nested to check (validation stopped before its end); send a "
    "smaller query: fewer repeated fields, fewer fragments inside fragments"
)
"""Said instead of graphql-core's bare "Validation aborted.", which it answers when a document would
recurse past the interpreter's limit (fragments nested too deeply, thousands of fields of one name)."""


def _clear(error: GraphQLError) -> GraphQLError:
    if error.message == "Validation aborted.":
        return GraphQLError(ABORTED, error.nodes)
    return error


class OperationNotChosen(CannotGetOperationTypeError):
    """The document does not say which of its operations to run. Raised as strawberry's own error for an
    unknown operation name, which strawberry answers with 400 (``api.graphql.router`` adds the code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(None)
        self.reason = reason

    def as_http_error_reason(self) -> str:
        return self.reason


def check_operation(document: DocumentNode, name: str | None) -> None:
    """Refuse a document whose operation to run is not named, as the GraphQL spec's GetOperation does:
    several operations and no ``operationName``, or a name that no operation has. Strawberry ran the first
    of several operations when no name was given, so a client's mistake ran something it did not choose."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise OperationNotChosen("the document defines no operation (only fragments)")
    if name is None:
        if len(operations) > 1:
            raise OperationNotChosen(
                "Must provide operation name if query contains multiple operations: the document has "
                f"{len(operations)}; send `operationName`"
            )
    elif not any(operation.name and operation.name.value == name for operation in operations):
        raise OperationNotChosen(f"`operationName` {echo(name)} names no operation of the document")


class Lru(OrderedDict[tuple[str, str], Any]):
    """At most ``size`` entries; the least recently used goes first (clients choose the texts)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def take(self, key: tuple[str, str]) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def keep(self, key: tuple[str, str], value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class DocumentCache:
    """Parsed documents and validation errors by caller and operation text (``(key, text)``), for every
    request of one schema."""

    def __init__(self, size: int) -> None:
        self.documents = Lru(size)
        self.errors = Lru(size)


class PrepareOffLoop(SchemaExtension):
    """Parses and validates a document the caller's key has not sent before in a compute thread of that
    key; a document it sent before comes from ``cache``. Syntax errors are raised as strawberry raises
    them (an answer with the error and no data); validation errors are handed to strawberry as its own
    validation would."""

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    def _lane(self) -> Lane | None:
        lane: Lane | None = getattr(self.execution_context.context, "compute", None)
        return lane

    def _key(self, query: str) -> tuple[str, str]:
        """Where ``query`` is cached: under the caller's key (a schema run without the API's context, by
        tests and tools, has one key)."""
        lane = self._lane()
        return (lane.key if lane is not None else "", query)

    async def _run(self, work: Callable[[], T]) -> T:
        lane = self._lane()
        if lane is None:  # a schema run without the API's context (tests, tools): no lanes to share
            return work()
        result: T = await lane.run(work)
        return result

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        query = context.query
        if context.graphql_document is None and query:
            key = self._key(query)
            document: DocumentNode | None = self.cache.documents.take(key)
            if document is None:
                options: Any = dict(context.parse_options)
                document = await self._run(lambda: parse(query, **options))  # GraphQLError: answered as such
                self.cache.documents.keep(key, document)
            context.graphql_document = document
        if context.graphql_document is not None:
            # strawberry keeps the name the request gave only there (`operation_name` falls back to the first)
            check_operation(context.graphql_document, context._provided_operation_name)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if context.pre_execution_errors is None and document is not None and query:
            key = self._key(query)
            errors: list[GraphQLError] | None = self.cache.errors.take(key)
            if errors is None:
                schema, rules = context.schema._schema, context.validation_rules
                errors = await self._run(lambda: validate_document(schema, document, rules))
                errors = [_clear(error) for error in errors]
                self.cache.errors.keep(key, errors)
            context.pre_execution_errors = errors
        yield
