"""The lean executor (``api/graphql/execution.py``) answers exactly as graphql-core's general path does.

Each operation runs twice on the same small schema, once with strawberry's own execution context and once
with :class:`~api.graphql.execution.LeanExecutionContext`: data, error messages and error paths must be
equal, for the plain reads it shortcuts and for the nulls, bad values, resolver errors and awaitables it
must hand back to graphql-core. (No graph is involved: this is the GraphQL layer on its own; the HTTP tests
in ``test_api.py`` run the API's real schema on the lean executor against Neo4j, and one of them compares
its answers with the stock executor's.)
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.execution import EXECUTORS, LeanExecutionContext
from api.graphql.guarded import Guard
from api.graphql.plain import answer_from, computed, plain_fields
from api.graphql.schema import build_schema
from schema.settings import Settings


@strawberry.enum
class Kind(Enum):
    FIRM = "firm"
    VENDOR = "vendor"


@strawberry.type
class Tag:
    id: strawberry.ID
    name: str


@strawberry.type
class Place:
    city: str | None
    country: str


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    kind: Kind
    score: float | None
    place: Place
    other_place: Place | None
    tags: list[Tag]
    lists: strawberry.Private[dict[str, list[Tag]]]

    @strawberry.field
    @computed
    def label(self) -> str:
        """Read like an attribute by the lean executor (a computed field); fails for one item."""
        if self.name == "boom":
            raise ValueError("no label for boom")
        return f"<{self.name}>"

    @strawberry.field
    def related(self) -> list[Tag]:
        """Answered from ``lists`` by :func:`answer_from` when it holds them; this resolver otherwise."""
        return [Tag(id=f"r-{self.id}", name="resolved")]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return f"later {self.id}"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError(f"broken {self.id}")

    @strawberry.field
    async def async_tags(self) -> list[Tag]:
        return self.tags


def item(index: int, **changes: Any) -> Item:
    values: dict[str, Any] = {
        "id": f"i{index}",
        "name": f"item {index}",
        "kind": Kind.FIRM if index % 2 else Kind.VENDOR,
        "score": index / 3 if index % 3 else None,
        "place": Place(city="Linz" if index % 2 else None, country="AT"),
        "other_place": Place(city="Wels", country="AT") if index % 4 == 0 else None,
        "tags": [Tag(id=f"t{index}-{n}", name=f"tag {n}") for n in range(index % 3)],
        "lists": {"related": [Tag(id=f"r{index}", name="inlined")]} if index % 2 else {},
    }
    values.update(changes)
    return Item(**values)


ITEMS = [item(i) for i in range(6)]
BAD = {
    "null name": [item(0), item(1, name=None)],
    "null nested non-null": [item(0, place=Place(city="Linz", country=None))],
    "bad enum": [item(0, kind="not a kind")],
    "bad float": [item(0, score="not a number")],
    "null list item": [item(0, tags=[Tag(id="t", name="n"), None])],
    "null tag name": [item(0, tags=[Tag(id="t", name=None)])],
    "null object": [item(0, place=None)],
    "failing computed field": [item(0), item(1, name="boom")],
    "null inlined item": [item(0, lists={"related": [None]})],
    "null inlined name": [item(0, lists={"related": [Tag(id="t", name=None)]})],
    "bad inlined item": [item(0, lists={"related": ["not a tag"]})],
    "wrong object": [item(0, place="not a place")],
}


@strawberry.type
class Query:
    @strawberry.field
    def items(self, case: str | None = None) -> list[Item]:
        return ITEMS if case is None else BAD[case]

    @strawberry.field
    def maybe_items(self, case: str) -> list[Item] | None:
        return BAD[case]

    @strawberry.field
    def first(self) -> Item:
        return ITEMS[1]


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    """The same schema run by the two executors ``CLUSTERKG_API_EXECUTOR`` chooses from: graphql-core's
    stock one and the lean one (``Item.related`` answered from ``lists`` in both: the stock path through
    the shortened resolver)."""
    general = strawberry.Schema(query=Query, execution_context_class=EXECUTORS["stock"])
    lean = strawberry.Schema(query=Query, execution_context_class=EXECUTORS["lean"])
    for schema in (general, lean):
        answer_from(schema._schema, "Item", "lists", ["related"])
    return general, lean


def run(schema: strawberry.Schema, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    result = asyncio.run(schema.execute(query, variable_values=variables))
    errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or ())
    return {"data": result.data, "errors": errors}


FIELDS = """id name label kind score __typename shout later broken related { id name later: __typename }
    place { city country } other_place: otherPlace { city } tags { id name } asyncTags { name }"""
OPERATIONS = [
    "{ items { " + FIELDS + " } }",
    "{ first { " + FIELDS + " } }",
    "{ items { key: id alias: name ...F ... on Item { kind } } } fragment F on Item { score place { city } }",
    "query($skip: Boolean!) { items { id name @skip(if: $skip) tags @include(if: $skip) { id } } }",
]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_plain_reads_answer_as_graphql_core_does(operation: str) -> None:
    general, lean = schemas()
    for variables in ({"skip": True}, {"skip": False}) if "$skip" in operation else (None,):
        expected = run(general, operation, variables)
        assert expected["data"] is not None
        assert run(lean, operation, variables) == expected


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_values_fail_as_in_graphql_core(case: str) -> None:
    general, lean = schemas()
    selection = "{ id name label kind score place { city country } tags { id name } related { id name } }"
    for operation in (
        "query($case: String) { items(case: $case) " + selection + " }",
        "query($case: String!) { maybeItems(case: $case) " + selection + " }",
    ):
        expected = run(general, operation, {"case": case})
        assert expected["errors"], f"{case} must fail"
        assert run(lean, operation, {"case": case}) == expected


def test_inlined_lists_answer_without_their_resolver() -> None:
    general, lean = schemas()
    query = "{ items { id related { id name } } }"
    for schema in (general, lean):
        related = {row["id"]: row["related"] for row in run(schema, query)["data"]["items"]}
        assert related["i1"] == [{"id": "r1", "name": "inlined"}]
        assert related["i2"] == [{"id": "r-i2", "name": "resolved"}]


def test_only_fields_read_without_a_resolver_are_plain() -> None:
    _, lean = schemas()
    plain = set(plain_fields(lean._schema))
    read = {("Item", "id"), ("Item", "kind"), ("Item", "place"), ("Item", "otherPlace"), ("Item", "tags")}
    assert read | {("Item", "related"), ("Item", "label"), ("Tag", "name")} <= plain
    assert not {("Item", "shout"), ("Item", "later"), ("Item", "asyncTags"), ("Query", "items")} & plain


@pytest.mark.parametrize(
    ("name", "executor"), [("lean", LeanExecutionContext), ("stock", StrawberryGraphQLCoreExecutionContext)]
)
def test_the_setting_chooses_the_executor(name: str, executor: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERKG_API_EXECUTOR", name)
    settings = Settings()
    assert settings.api_executor == name
    chosen = build_schema(settings).execution_context_class
    assert chosen.__bases__ == (Guard, executor)  # the chosen executor, under the per-request caps


def test_an_unknown_executor_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERKG_API_EXECUTOR", "fast")
    with pytest.raises(ValueError, match="api_executor"):
        Settings()
