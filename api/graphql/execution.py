"""A leaner graphql-core execution for the values that need none of its general machinery.

A page of 50 organizations with their clusters and capabilities completes about 1,650 values: some 500
fields that only read an attribute and return a scalar or an enum (``id``, ``name``, ``role``…), some 270
objects (edges, nodes, clusters, capabilities). For each leaf graphql-core builds a response path and a
resolve info, calls strawberry's default resolver and walks ``complete_value`` through its type checks; each
object goes through five calls before its fields run. That was most of the CPU a page costs in GraphQL.

:class:`LeanExecutionContext` answers such a leaf with one attribute read and its type's own output coercion,
and completes an object that is an attribute or a list item (of an object type without ``is_type_of``) by
executing its fields at once. Everything else — resolvers, arguments, nulls, abstract types, any error — goes
to graphql-core unchanged, so results and errors are the same; only the work is less.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any, NamedTuple

from graphql import (
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


class PlainField(NamedTuple):
    """A field strawberry resolves as ``resolve(source, attribute)``: no resolver of its own, no arguments, no
    field extension; its type (``named``, null allowed unless ``non_null``) is a leaf, or a plain object
    (``object_type``: one without ``is_type_of``)."""

    resolve: Callable[[Any, str], Any]
    attribute: str
    type: GraphQLOutputType
    named: GraphQLNamedType
    non_null: bool
    object_type: GraphQLObjectType | None


def _plain_object(graphql_type: GraphQLOutputType) -> GraphQLObjectType | None:
    """The object type of ``graphql_type`` (null allowed or not) when completing a value of it needs no
    ``is_type_of`` check; else None."""
    named = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if isinstance(named, GraphQLObjectType) and named.is_type_of is None:
        return named
    return None


@cache
def plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    """The plain fields of ``schema`` (see :class:`PlainField`) by ``(type name, field name)``."""
    fields: dict[tuple[str, str], PlainField] = {}
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None or field.args or not getattr(field.resolve, "_is_default", False):
                continue
            non_null = isinstance(field.type, GraphQLNonNull)
            named = field.type.of_type if non_null else field.type
            object_type = _plain_object(named)
            if is_leaf_type(named) or object_type is not None:
                fields[(type_name, field_name)] = PlainField(
                    definition.default_resolver,
                    definition.python_name,
                    field.type,
                    named,
                    non_null,
                    object_type,
                )
    return fields


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor with the short cuts of the module docstring.

    Only when no schema extension wraps resolvers (a ``resolve`` hook must see every field). A value that is
    null where its type forbids it, or that fails to read or coerce, goes the general way, which reports it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        wrapped = middleware is not None and bool(middleware.middlewares)
        self.plain = {} if wrapped else plain_fields(self.schema)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plain = self.plain
        if not plain:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        type_name = parent_type.name
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field = plain.get((type_name, field_details_list[0].node.name.value))
                result = Undefined
                if field is not None and field.object_type is None:
                    value = _leaf_value(field, source_value)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                field_path = Path(path, response_name, type_name)
                if field is not None and field.object_type is not None:
                    result = self._plain_object_field(
                        field, source_value, field_details_list, field_path, position_context
                    )
                if result is Undefined:
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    def _plain_object_field(
        self, field: PlainField, source: Any, field_details_list: Any, path: Path, position_context: Any
    ) -> Any:
        """An object read from an attribute, its fields executed at once (``Undefined``: the general way)."""
        try:
            value = field.resolve(source, field.attribute)
        except Exception:  # noqa: BLE001 - the general way reads it again and reports the error
            return Undefined
        if value is None or isinstance(value, Exception) or self.is_awaitable(value):
            return Undefined
        try:
            completed = self.collect_and_execute_subfields(
                field.object_type,  # type: ignore[arg-type]
                field_details_list,
                path,
                value,
                position_context,
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._await_completed(completed, field.type, field_details_list, path)
        return completed

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        item_path: Path,
        position_context: Any,
    ) -> bool:
        object_type = _plain_object(item_type) if self.plain else None
        if object_type is None or item is None or isinstance(item, Exception):
            return super().complete_list_item_value(
                item, complete_results, item_type, field_details_list, info, item_path, position_context
            )
        try:
            completed = self.collect_and_execute_subfields(
                object_type, field_details_list, item_path, item, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            complete_results.append(None)
            return False
        if self.is_awaitable(completed):
            complete_results.append(
                self._await_completed(completed, item_type, field_details_list, item_path)
            )
            return True
        complete_results.append(completed)
        return False

    async def _await_completed(
        self, completed: Awaitable[Any], return_type: GraphQLOutputType, field_details_list: Any, path: Path
    ) -> Any:
        """An object whose fields are still running, errors handled as graphql-core handles them."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    @staticmethod
    async def _gather_fields(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        """The fields that resolved to awaitables, awaited as graphql-core does (one alone, else together)."""
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
            return results
        awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
        return results


def _leaf_value(field: PlainField, source: Any) -> Any:
    """The completed value of a plain leaf, or ``Undefined`` when graphql-core must handle it (a null the type
    forbids, a failed read or coercion: its general path raises the error the client should see)."""
    try:
        value = field.resolve(source, field.attribute)
        if value is None:
            return Undefined if field.non_null else None
        coerced = field.named.coerce_output_value(value)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - graphql-core redoes it and reports the error where it belongs
        return Undefined
    return Undefined if coerced is None else coerced
