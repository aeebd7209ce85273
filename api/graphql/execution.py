"""A leaner graphql-core execution for the values that need none of its general machinery.

A page of 50 organizations with their clusters and capabilities completes about 1,650 values: some 500
fields that only read an attribute and return a scalar or an enum (``id``, ``name``, ``role``…), some 270
objects (edges, nodes, clusters, capabilities) and 100 short lists. For each leaf graphql-core builds a
response path and a resolve info, calls strawberry's default resolver and walks ``complete_value`` through its
type checks; each object goes through five calls before its fields run, each list through eight. That was
most of the CPU a page costs in GraphQL.

:class:`LeanExecutionContext` answers a *plain field* (``api.graphql.plain``) by reading its value and
completing it directly: a leaf with its type's own output coercion, an object or a list of objects by
executing the objects' fields at once. Everything else — resolvers, arguments, nulls, abstract types, any
error — goes to graphql-core unchanged, so results and errors are the same; only the work is less.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLOutputType
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.plain import Kind, PlainField, Step, origin_class, plain_fields, plain_object, run_plain


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor with the short cuts of the module docstring.

    Only when no schema extension wraps resolvers (a ``resolve`` hook must see every field). A value that is
    null where its type forbids it, that fails to read or coerce, or a list holding a null or an awaitable,
    goes the general way, which reports it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        wrapped = middleware is not None and bool(middleware.middlewares)
        self.plain = {} if wrapped else plain_fields(self.schema)
        self.plans: dict[tuple[GraphQLObjectType, int], tuple[Any, list[Step] | None]] = {}
        self.executors: dict[tuple[GraphQLObjectType, int, bool], tuple[Any, Callable[..., Any]]] = {}

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
                result: Any = Undefined
                if field is not None and field.kind is Kind.LEAF:
                    # Inline (a leaf is most of the values): a null the type forbids, a failed read or
                    # coercion leaves ``Undefined``, and graphql-core's general path reports it.
                    try:
                        value = field.read(source_value)
                        if value is None:
                            result = Undefined if field.non_null else None
                        elif field.text and type(value) is str:
                            result = value
                        elif value is not Undefined:
                            result = field.named.coerce_output_value(value)
                            if result is None:
                                result = Undefined
                    except Exception:  # noqa: BLE001
                        result = Undefined
                    if result is not Undefined:
                        results[response_name] = result
                        continue
                field_path = Path(path, response_name, type_name)
                if field is not None and field.kind is not Kind.LEAF:
                    result = self._plain_value(
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

    def _plain_value(
        self, field: PlainField, source: Any, field_details_list: Any, path: Path, position_context: Any
    ) -> Any:
        """A plain object or list of objects, completed at once (``Undefined``: go the general way)."""
        try:
            value = field.read(source)
        except Exception:  # noqa: BLE001 - the general way reads it again and reports the error
            return Undefined
        is_awaitable = self.is_awaitable
        if field.kind is Kind.LIST:
            if type(value) is not list or any(
                item is None or isinstance(item, Exception) or is_awaitable(item) for item in value
            ):
                return Undefined
        elif value is None or value is Undefined or isinstance(value, Exception) or is_awaitable(value):
            return Undefined
        completed: AwaitableOrValue[Any]
        try:
            if field.kind is Kind.LIST:
                completed = self._complete_objects(value, field, field_details_list, path, position_context)
            else:
                execute = self._subfields_executor(field.object_type, field_details_list, position_context)  # type: ignore[arg-type]
                completed = execute(value, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, path)
            return None
        if is_awaitable(completed):
            return self._await_completed(completed, field.type, field_details_list, path)
        return completed

    def _complete_objects(
        self, items: list[Any], field: PlainField, field_details_list: Any, path: Path, position_context: Any
    ) -> AwaitableOrValue[list[Any]]:
        """The items of a list of plain objects, as ``complete_iterable_value`` completes them."""
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        object_type, item_type = field.object_type, field.item_type
        execute = self._subfields_executor(object_type, field_details_list, position_context)  # type: ignore[arg-type]
        for index, item in enumerate(items):
            item_path = Path(path, index, None)
            try:
                value = execute(item, item_path)
            except Exception as raw_error:
                try:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)  # type: ignore[arg-type]
                except Exception:
                    if awaitable_indices:
                        self.settle_in_background([completed[i] for i in awaitable_indices])
                    raise
                value = None
            if self.is_awaitable(value):
                value = self._await_completed(value, item_type, field_details_list, item_path)  # type: ignore[arg-type]
                awaitable_indices.append(index)
            completed.append(value)
        if not awaitable_indices:
            return completed
        return self._gather_items(completed, awaitable_indices)

    def _subfields_executor(
        self, object_type: GraphQLObjectType, field_details_list: Any, position_context: Any
    ) -> Callable[[Any, Path], AwaitableOrValue[dict[str, Any]]]:
        """``execute(value, path)``: the selected fields of objects of ``object_type``, as
        ``collect_and_execute_subfields`` executes them; when nothing is deferred, without its three calls per
        object, and a plain selection answered by :func:`run_plain` (memoized per selection)."""
        key = (object_type, id(field_details_list), position_context is None)
        if key not in self.executors:
            made = self._make_executor(object_type, field_details_list, position_context)
            self.executors[key] = (field_details_list, made)
        return self.executors[key][1]

    def _make_executor(
        self, object_type: GraphQLObjectType, field_details_list: Any, position_context: Any
    ) -> Callable[[Any, Path], AwaitableOrValue[dict[str, Any]]]:
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages or position_context is not None:
            return lambda value, path: self.collect_and_execute_subfields(
                object_type, field_details_list, path, value, position_context
            )
        steps = self._plan(object_type, field_details_list)
        if steps is None:
            return lambda value, path: self.execute_fields(object_type, value, path, grouped_field_set, None)
        origin = origin_class(object_type)

        def execute(value: Any, path: Path) -> AwaitableOrValue[dict[str, Any]]:
            if type(value) is origin:
                try:
                    return run_plain(steps, value)
                except Exception:  # noqa: BLE001, S110 - plain reads have no effects: the general way redoes them
                    pass
            return self.execute_fields(object_type, value, path, grouped_field_set, None)

        return execute

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> list[Step] | None:
        """The :class:`Step` s that answer the selection on ``object_type`` when every field in it, nested
        selections included, is plain and nothing is deferred; else None (memoized per selection, as
        graphql-core memoizes the collected fields)."""
        key = (object_type, id(field_details_list))
        if key in self.plans:
            return self.plans[key][1]
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        steps = None if new_defer_usages else self._steps(object_type, grouped_field_set)
        self.plans[key] = (field_details_list, steps)
        return steps

    def _steps(self, object_type: GraphQLObjectType, grouped_field_set: Any) -> list[Step] | None:
        """One :class:`Step` per response field, or None as soon as one field is not plain."""
        steps: list[Step] = []
        for response_name, details in grouped_field_set.items():
            field = self.plain.get((object_type.name, details[0].node.name.value))
            nested = None
            if field is not None and field.object_type is not None:
                nested = self._plan(field.object_type, details)
            if field is None or (field.kind is not Kind.LEAF and nested is None):
                return None
            origin = origin_class(field.object_type) if field.object_type is not None else None
            steps.append(Step(response_name, field, nested, origin))
        return steps

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
        object_type = plain_object(item_type) if self.plain else None
        if object_type is None or item is None or isinstance(item, Exception):
            return super().complete_list_item_value(
                item, complete_results, item_type, field_details_list, info, item_path, position_context
            )
        try:
            execute = self._subfields_executor(object_type, field_details_list, position_context)
            completed = execute(item, item_path)
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
        """A value still being completed, its error handled as graphql-core handles it."""
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

    @staticmethod
    async def _gather_items(completed: list[Any], awaitable_indices: list[int]) -> list[Any]:
        """The list items still being completed, awaited together."""
        awaited = await gather_with_cancel(*(completed[index] for index in awaitable_indices))
        for index, value in zip(awaitable_indices, awaited, strict=True):
            completed[index] = value
        return completed


EXECUTORS: dict[str, type[StrawberryGraphQLCoreExecutionContext]] = {
    "lean": LeanExecutionContext,
    "stock": StrawberryGraphQLCoreExecutionContext,
}
"""The executors ``CLUSTERKG_API_EXECUTOR`` chooses from: both answer every operation alike
(``tests/test_api_execution.py``); ``stock`` is graphql-core's own, unchanged."""
