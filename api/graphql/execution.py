"""A leaner graphql-core execution for the values that need none of its general machinery.

A page of 50 organizations with their clusters and capabilities completes about 1,650 values: some 500
fields that only read an attribute and return a scalar or an enum (``id``, ``name``, ``role``…), some 270
objects (edges, nodes, clusters, capabilities) and 100 short lists. For each leaf graphql-core builds a
response path and a resolve info, calls strawberry's default resolver and walks ``complete_value`` through its
type checks; each object goes through five calls before its fields run, each list through eight. That was
most of the CPU a page costs in GraphQL.

:class:`LeanExecutionContext` answers a *plain field* (:func:`plain_fields`) by reading its value and
completing it directly: a leaf with its type's own output coercion, an object or a list of objects by
executing the objects' fields at once. Everything else — resolvers, arguments, nulls, abstract types, any
error — goes to graphql-core unchanged, so results and errors are the same; only the work is less.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from graphql import (
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    default_field_resolver,
    is_leaf_type,
)
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

INLINED = "clusterkg-inlined"
"""Marks a field that :func:`answer_from` lets answer from a dict on its source: (attribute, key)."""


class Kind(Enum):
    LEAF = "leaf"
    OBJECT = "object"
    LIST = "list"


class PlainField(NamedTuple):
    """A field whose value is ``read(source)`` (``Undefined`` when it must be resolved the general way) and
    whose type (``type``; ``named`` without its non-null wrapper) is a leaf, a plain object or a list of plain
    objects (``object_type``, one without ``is_type_of``; ``item_type``, the list's item type)."""

    read: Callable[[Any], Any]
    type: GraphQLOutputType
    named: Any
    non_null: bool
    kind: Kind
    object_type: GraphQLObjectType | None
    item_type: GraphQLOutputType | None
    text: bool
    """A ``String`` or ``ID``: a ``str`` value is its own output (what their coercion returns for one)."""


def _unwrapped(graphql_type: GraphQLOutputType) -> Any:
    return graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type


def _plain_object(graphql_type: GraphQLOutputType) -> GraphQLObjectType | None:
    """The object type of ``graphql_type`` (null allowed or not) when completing a value of it needs no
    ``is_type_of`` check; else None."""
    named = _unwrapped(graphql_type)
    if isinstance(named, GraphQLObjectType) and named.is_type_of is None:
        return named
    return None


COMPUTED = "_clusterkg_computed"
F = TypeVar("F", bound=Callable[..., Any])


def computed(method: F) -> F:
    """Mark a resolver that takes only ``self`` and derives its value from the object's own attributes, with
    no effect and no I/O: the lean executor calls it directly, as it reads a plain attribute (and may call it
    again when the value needs graphql-core's general path). Put it under ``@strawberry.field``."""
    setattr(method, COMPUTED, True)
    return method


def _computed_reader(definition: Any) -> Callable[[Any], Any] | None:
    """The method of a :func:`computed` resolver (sync, no arguments, no field extension); else None."""
    resolver = getattr(definition, "base_resolver", None)
    if resolver is None or definition.extensions or not getattr(resolver.wrapped_func, COMPUTED, False):
        return None
    if resolver.is_async or resolver.arguments or len(resolver.signature.parameters) != 1:
        return None
    return resolver.wrapped_func  # type: ignore[no-any-return]


def _reader(field: Any, definition: Any) -> Callable[[Any], Any] | None:
    """How to read a field's value without its resolver call: from the dict :func:`answer_from` named, by
    calling a :func:`computed` method, or as strawberry reads a field that has no resolver, no arguments and
    no field extension; else None."""
    inlined = (field.extensions or {}).get(INLINED)
    if inlined is not None:
        attribute, name = inlined
        return lambda source: getattr(source, attribute).get(name, Undefined)
    if field.args:
        return None
    method = _computed_reader(definition)
    if method is not None:
        return method
    if definition is None or not getattr(field.resolve, "_is_default", False):
        return None
    resolve, attribute = definition.default_resolver, definition.python_name
    if resolve is getattr:
        return attrgetter(attribute)
    return lambda source: resolve(source, attribute)


@cache
def plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    """The plain fields of ``schema`` (see :class:`PlainField`) by ``(type name, field name)``."""
    fields: dict[tuple[str, str], PlainField] = {}
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            read = _reader(field, (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF))
            if read is None:
                continue
            non_null = isinstance(field.type, GraphQLNonNull)
            named = _unwrapped(field.type)
            item_type = named.of_type if isinstance(named, GraphQLList) else None
            if is_leaf_type(named):
                kind, object_type = Kind.LEAF, None
            elif item_type is not None:
                kind, object_type = Kind.LIST, _plain_object(item_type)
            else:
                kind, object_type = Kind.OBJECT, _plain_object(named)
            if kind is Kind.LEAF or object_type is not None:
                text = named is GraphQLString or named is GraphQLID
                fields[(type_name, field_name)] = PlainField(
                    read, field.type, named, non_null, kind, object_type, item_type, text
                )
    return fields


def answer_from(schema: GraphQLSchema, type_name: str, attribute: str, field_names: Iterable[str]) -> None:
    """Let the fields ``field_names`` of ``type_name`` answer from the dict ``getattr(source, attribute)``
    when it holds their value, and call their resolver only when it does not.

    For the lists a query brought along with an object: a resolver call through strawberry (an ``Info``, the
    arguments bound, seven frames) costs more than completing the few items of such a list. The lean executor
    completes such a list at once; graphql-core's general path calls the shortened resolver."""
    object_type = schema.type_map[type_name]
    if not isinstance(object_type, GraphQLObjectType):
        raise TypeError(f"{type_name} is not an object type")
    fields = object_type.fields
    for name in field_names:
        field = fields[name]
        field.resolve = _from_attribute(attribute, name, field.resolve or default_field_resolver)
        field.extensions = {**(field.extensions or {}), INLINED: (attribute, name)}


def _from_attribute(attribute: str, name: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
    def resolve_from_attribute(source: Any, info: Any, **args: Any) -> Any:
        value = getattr(source, attribute).get(name)
        return value if value is not None else resolve(source, info, **args)

    return resolve_from_attribute


class Step(NamedTuple):
    """One field of a plain selection: its response name, the field, the steps of its own selection (an
    object's, or a list's items') and the Python class its objects must have (``origin``)."""

    name: str
    field: PlainField
    nested: list[Step] | None
    origin: type | None


class _Fallback(Exception):  # noqa: N818 - a signal, not an error
    """A value :func:`_run` does not answer itself: the general way completes the object again."""


def _origin(object_type: GraphQLObjectType) -> type | None:
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return getattr(definition, "origin", None)


def _run(steps: list[Step], source: Any) -> dict[str, Any]:
    """The answer to a plain selection on ``source``, or :class:`_Fallback` (or the read's own error) at the
    first value that needs graphql-core: a null the type forbids, an object of another class, a value its
    type does not coerce. A plain selection reads attributes only, so giving up half-way changes nothing."""
    result: dict[str, Any] = {}
    for name, field, nested, origin in steps:
        value = field.read(source)
        if value is None:
            if field.non_null:
                raise _Fallback
            result[name] = None
        elif nested is None:
            if field.text and type(value) is str:
                result[name] = value
                continue
            if value is Undefined:
                raise _Fallback
            coerced = field.named.coerce_output_value(value)
            if coerced is None or coerced is Undefined:
                raise _Fallback
            result[name] = coerced
        elif field.kind is Kind.OBJECT:
            if type(value) is not origin:
                raise _Fallback
            result[name] = _run(nested, value)
        else:
            if type(value) is not list:
                raise _Fallback
            items = []
            for item in value:
                if type(item) is not origin:
                    raise _Fallback
                items.append(_run(nested, item))
            result[name] = items
    return result


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
        object, and a plain selection answered by :func:`_run` (memoized per selection)."""
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
        origin = _origin(object_type)

        def execute(value: Any, path: Path) -> AwaitableOrValue[dict[str, Any]]:
            if type(value) is origin:
                try:
                    return _run(steps, value)
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
            origin = _origin(field.object_type) if field.object_type is not None else None
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
        object_type = _plain_object(item_type) if self.plain else None
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
