"""Abuse limits inside GraphQL: depth, complexity (below) and page size.

Depth and complexity are computed once per fragment, not once per spread: a document of 30 fragments, each
spreading the next one twice, stands for 2^30 selections, and a walk that expands every spread (strawberry's
``QueryDepthLimiter`` does) held the event loop for minutes while every other request waited.

Complexity is what a query could cost: each field counts once per parent row, a field with ``first`` /
``limit`` multiplies what it selects by that number (its default when not given), and a list field without
one by :data:`UNBOUNDED_LIST`. Work that costs far more than reading a field counts what it costs
(:class:`Costs`): a partner suggestion (a vector search, a graph walk and a ranking: 100 ms of CPU where a
field takes microseconds) and a search (a text embedded and searched for, or the full-text index read for a
``text`` filter), which reads up to its candidates. 500 aliased suggestions once scored 1,000
against a limit of 20,000 and held both compute threads for 10 s. Variables are known only at execution, so
the check runs there, before any resolver.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from api.graphql.costs import Costs
from api.graphql.errors import BAD_USER_INPUT
from api.graphql.sizes import PAGE_ARGUMENTS

UNBOUNDED_LIST = 10
"""Rows assumed for a list field that takes no ``first`` / ``limit``: lists of one organization (its
clusters, capabilities, sectors), short by nature. A list that grows with the graph takes a page size, which
is what it counts."""


class _Cost:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict,
        costs: Costs,
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.costs = costs
        self._fragment_costs: dict[tuple[str, str], int] = {}
        self._expanding: set[str] = set()

    def _fragment(self, name: str, parent: GraphQLNamedType) -> int:
        """The cost of one row through fragment ``name``, computed once per fragment and parent type (costs
        grow in proportion to the rows, so one row's cost times the rows is the spread's cost)."""
        key = (name, parent.name)
        cost = self._fragment_costs.get(key)
        if cost is not None:
            return cost
        fragment = self.fragments.get(name)
        if fragment is None or name in self._expanding:  # unknown or cyclic: validation reports it
            return 0
        self._expanding.add(name)
        try:
            target = self.schema.get_type(fragment.type_condition.name.value)
            cost = self.of(fragment.selection_set, target or parent, 1)
        finally:
            self._expanding.discard(name)
        self._fragment_costs[key] = cost
        return cost

    def _work(self, parent: GraphQLObjectType, node: FieldNode) -> int:
        """What the field's own work costs beyond reading it (:class:`Costs`)."""
        cost = self.costs.fields.get((parent.name, node.name.value), 0)
        given = next((arg.value for arg in node.arguments or () if arg.name.value == "filter"), None)
        if isinstance(given, ObjectValueNode):
            asked = {item.name.value for item in given.fields if not isinstance(item.value, NullValueNode)}
        elif isinstance(given, VariableNode):
            value = self.variables.get(given.name.value)
            asked = {name for name, v in value.items() if v is not None} if isinstance(value, dict) else set()
        else:
            asked = set()
        cost += sum(self.costs.filter_searches.get(name, 0) for name in asked)
        if (parent.name, node.name.value) == ("Query", "clusterInsights"):
            definition = parent.fields.get("clusterInsights")
            if definition is not None and (self._number(node, definition, "suppliers") or 0) > 0:
                cost += self.costs.gap_suppliers
        return cost

    def _number(self, node: FieldNode, field: Any, name: str) -> int | None:
        """Argument ``name`` of ``field`` as the operation runs with it (never below 0: a resolver refuses a
        page size below 1, and a negative one counted as given would make a whole operation's cost negative
        and let any number of aliased suggestions through), else its default; None without either."""
        given = next((arg.value for arg in node.arguments or () if arg.name.value == name), None)
        if isinstance(given, IntValueNode):
            return max(int(given.value), 0)
        if isinstance(given, VariableNode):
            value = page_size(self.variables.get(given.name.value))
            if value is not None:
                return value
        default = field.args[name].default_value
        return default if isinstance(default, int) else None

    def _rows(self, node: FieldNode, field: Any) -> int:
        """The rows a field multiplies its selection by: its page size (:meth:`_number`)."""
        for name in PAGE_ARGUMENTS:
            if name in field.args:
                rows = self._number(node, field, name)
                return UNBOUNDED_LIST if rows is None else rows
        is_list = isinstance(get_nullable_type(field.type), GraphQLList)
        return UNBOUNDED_LIST if is_list and node.name.value != "edges" else 1

    def of(self, selections: SelectionSetNode, parent: GraphQLNamedType, rows: int) -> int:
        return sum(self.one(node, parent, rows) for node in selections.selections)

    def one(self, node: SelectionNode, parent: GraphQLNamedType, rows: int) -> int:
        """The cost of one selection under ``rows`` rows of ``parent``."""
        if isinstance(node, FieldNode):
            if node.name.value.startswith("__") or not isinstance(parent, GraphQLObjectType):
                return rows
            field = parent.fields.get(node.name.value)
            cost = rows * (1 + self._work(parent, node))
            if field is not None:
                page = rows * self._rows(node, field)
                cost += page * self.costs.per_row.get((parent.name, node.name.value), 0)
                if node.selection_set is not None:
                    cost += self.of(node.selection_set, get_named_type(field.type), page)
            return cost
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            target = self.schema.get_type(condition.name.value) if condition else parent
            return self.of(node.selection_set, target or parent, rows)
        if isinstance(node, FragmentSpreadNode):
            return rows * self._fragment(node.name.value, parent)
        return 0  # pragma: no cover - the grammar has no other selection


def page_size(value: Any) -> int | None:
    """A variable's value as a page size, as graphql-core will coerce it to an ``Int`` (``100.0`` is 100, not
    the field's default of 20), never below 0;
    None for a value that is no number (coercion refuses it before any resolver runs)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return max(int(value), 0)


def with_defaults(operation: OperationDefinitionNode, variables: dict) -> dict:
    """The variables as the operation will run with them: those not sent take the default their
    definition gives (``query($n: Int = 100)`` runs with 100, not with the field's default)."""
    values = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


def selection_name(node: SelectionNode) -> str:
    """How a refusal names a selection: the name it answers under (an alias or the field's name), a
    fragment spread as ``...Name``."""
    if isinstance(node, FieldNode):
        return (node.alias or node.name).value
    if isinstance(node, FragmentSpreadNode):
        return f"...{node.name.value}"
    condition = node.type_condition if isinstance(node, InlineFragmentNode) else None
    return f"... on {condition.name.value}" if condition else "..."


def complexity(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: dict,
    costs: Costs | None = None,
) -> dict[str, int]:
    """What each top-level selection of the operation that will run could cost, with the variables it will
    run with, by :func:`selection_name` (the operation's complexity is their sum): a refusal names the
    costliest, where most of a query's cost is one list multiplying what it selects."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [op for op in operations if operation_name in (None, op.name.value if op.name else None)]
    if not chosen:
        return {}
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return {}
    counter = _Cost(schema, fragments, with_defaults(operation, variables), costs or Costs())
    found: dict[str, int] = {}
    for node in operation.selection_set.selections:
        name = selection_name(node)
        found[name] = found.get(name, 0) + counter.one(node, root, 1)
    return found


def depth_rule(max_depth: int) -> type[ValidationRule]:
    """A validation rule refusing operations nested deeper than ``max_depth`` fields with selections
    (introspection fields not counted), as strawberry's ``QueryDepthLimiter`` does, but in time linear in
    the document: each fragment's depth is computed once. It runs when the validation visits an operation,
    after graphql-core has checked that fragments do not nest past its recursion limit (strawberry's rule
    works while it is built, before that check: a chain of 500 fragments was an internal error), and a
    spread of an unknown fragment counts 0 (graphql-core's own rule reports it; strawberry's rule failed
    the request with an internal error)."""

    class MaxDepth(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {
                d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            self.known: dict[str, int] = {}
            self.expanding: set[str] = set()

        def fragment_depth(self, name: str) -> int:
            if name in self.known:
                return self.known[name]
            fragment = self.fragments.get(name)
            if fragment is None or name in self.expanding:  # unknown or cyclic: other rules report it
                return 0
            self.expanding.add(name)
            try:
                depth = self.depth(fragment.selection_set)
            finally:
                self.expanding.discard(name)
            self.known[name] = depth
            return depth

        def depth(self, selections: SelectionSetNode) -> int:
            deepest = 0
            for node in selections.selections:
                if isinstance(node, FieldNode):
                    if node.name.value.startswith("__") or node.selection_set is None:
                        continue
                    depth = 1 + self.depth(node.selection_set)
                elif isinstance(node, InlineFragmentNode):
                    depth = self.depth(node.selection_set)
                elif isinstance(node, FragmentSpreadNode):
                    depth = self.fragment_depth(node.name.value)
                else:  # pragma: no cover - the grammar has no other selection
                    continue
                deepest = max(deepest, depth)
            return deepest

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            if self.depth(node.selection_set) > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}",
                        node,
                        extensions={"code": BAD_USER_INPUT},
                    )
                )

    return MaxDepth


class MaxComplexity(SchemaExtension):
    """Refuses, before execution, an operation whose complexity exceeds ``maximum``."""

    def __init__(self, maximum: int, costs: Costs | None = None) -> None:
        self.maximum = maximum
        self.costs = costs or Costs()

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        found = complexity(
            context.schema._schema,
            context.graphql_document,
            context.operation_name,
            context.variables or {},
            self.costs,
        )
        cost = sum(found.values())
        if cost > self.maximum:
            costliest = max(found, key=found.__getitem__)
            suggestion = self.costs.fields.get(("Query", "partnerSuggestions"), 1)
            raise GraphQLError(
                f"query too complex: it could cost {_shown(cost)} (a field counts 1 for each row of the "
                f"lists above it, a suggestion {suggestion}), the limit is {self.maximum}; `{costliest}` "
                f"could cost {_shown(found[costliest])} of it: ask for fewer aliases, smaller pages "
                "(`first`, `limit`) or fewer nested lists",
                extensions={"code": BAD_USER_INPUT},
            )
        yield


def _shown(cost: int) -> str:
    """A cost as a refusal states it: a page size of ``1e308`` makes a 300-digit cost, which says no more
    than "more than a trillion"."""
    return "more than 1,000,000,000,000" if cost > 10**12 else str(cost)
