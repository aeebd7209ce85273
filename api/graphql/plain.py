"""Which fields of a schema are *plain*, how to read them without a resolver call, and how to answer a
selection made only of them (:func:`run_plain`). The lean executor (``execution.py``) builds on these.

A plain field reads an attribute (or a dict a query brought along, :func:`answer_from`, or a
:func:`computed` method) and returns a leaf, a plain object or a list of plain objects: completing it needs
none of graphql-core's general machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
from graphql.pyutils import Undefined
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


def plain_object(graphql_type: GraphQLOutputType) -> GraphQLObjectType | None:
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
                kind, object_type = Kind.LIST, plain_object(item_type)
            else:
                kind, object_type = Kind.OBJECT, plain_object(named)
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


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """A value :func:`run_plain` does not answer itself: the general way completes the object again."""


def origin_class(object_type: GraphQLObjectType) -> type | None:
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return getattr(definition, "origin", None)


def run_plain(steps: list[Step], source: Any) -> dict[str, Any]:
    """The answer to a plain selection on ``source``, or :class:`Fallback` (or the read's own error) at the
    first value that needs graphql-core: a null the type forbids, an object of another class, a value its
    type does not coerce. A plain selection reads attributes only, so giving up half-way changes nothing."""
    result: dict[str, Any] = {}
    for name, field, nested, origin in steps:
        value = field.read(source)
        if value is None:
            if field.non_null:
                raise Fallback
            result[name] = None
        elif nested is None:
            if field.text and type(value) is str:
                result[name] = value
                continue
            if value is Undefined:
                raise Fallback
            coerced = field.named.coerce_output_value(value)
            if coerced is None or coerced is Undefined:
                raise Fallback
            result[name] = coerced
        elif field.kind is Kind.OBJECT:
            if type(value) is not origin:
                raise Fallback
            result[name] = run_plain(nested, value)
        else:
            if type(value) is not list:
                raise Fallback
            items = []
            for item in value:
                if type(item) is not origin:
                    raise Fallback
                items.append(run_plain(nested, item))
            result[name] = items
    return result
