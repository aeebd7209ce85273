"""Organization pages and search: GraphQL arguments → a filter
(``graph.queries.organizations.OrganizationFilter``), an order and a keyset cursor; the builders in
``graph/queries/organizations.py`` turn those into one parameterized query.

Cursors are opaque base64 of ``[field, descending, sort key, id]``: the next page starts strictly after that
row, so inserts and deletes between requests never shift or repeat rows (as offsets would).

The page query looks ahead at what ``edges { node { … } }`` selects (:func:`selected_under`): it reads only
those properties and brings the selected clusters and capabilities along, so a page is one query and its
nested lists answer without a DataLoader.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, NamedTuple

import orjson
from strawberry.types.nodes import SelectedField, Selection

from api.graphql.context import Context, Ctx
from api.graphql.inputs import (
    OrganizationFilterInput,
    OrganizationOrderInput,
    OrganizationSortField,
    SortDirection,
)
from api.graphql.loaders import MembersPage, NodeSelection
from api.graphql.sizes import check_page_size
from api.throttle import Lane
from graph.queries import api as q
from graph.queries import organizations as orgs
from matching.model import embed_text
from schema import properties
from schema.errors import InvalidInput
from schema.ids import capability_id
from schema.settings import Settings

MAX_FILTER_VALUES = 100
"""Values one list of an organization filter takes (``partnerSuggestions`` takes fewer:
``matching.filters.MAX_VALUES``)."""
RELEVANCE_BOUND = 1e6
"""Relevance scores are fractions; a cursor's key beyond this bound was not made by this API."""
MAX_TEXT = 1000


async def embed(text: str, settings: Settings, compute: Lane) -> tuple[float, ...]:
    """The capability-space vector of ``text``, computed in a worker thread that ``compute`` admits (never on
    the event loop)."""
    result = await compute.run(lambda: embed_text(text, model_name=settings.embedder))
    return tuple(float(x) for x in result.vector)


def filter_values(name: str, values: list[Any] | None, most: int = MAX_FILTER_VALUES) -> tuple[str, ...]:
    """Field ``name`` of the ``filter`` argument (a list) as plain strings (enum members by value), refused
    when longer than ``most`` values."""
    if not values:
        return ()
    if len(values) > most:
        raise InvalidInput.of(f"filter.{name}", f"takes at most {most} values; it holds {len(values):,}")
    return tuple(str(getattr(value, "value", value)) for value in values)


def text_argument(name: str, value: str | None) -> str | None:
    """A search text (argument ``name``), refused when too long or without a single searchable word."""
    if value is None:
        return None
    if len(value) > MAX_TEXT:
        raise InvalidInput.of(name, f"is longer than {MAX_TEXT:,} characters")
    if not orgs.lucene_query(value):
        raise InvalidInput.of(name, "has no words to search for")
    return value


async def to_filter(
    context: Context, given: OrganizationFilterInput | None, *, within_cluster: str | None = None
) -> orgs.OrganizationFilter:
    """The graph filter for the GraphQL filter input (``similarTo`` embedded here, in a worker thread)."""
    given = given or OrganizationFilterInput()
    clusters = filter_values("clusters", given.clusters)
    if within_cluster is not None and clusters:
        raise InvalidInput.of(
            "filter.clusters", "is not taken by `members`, which are this cluster's already"
        )
    similar = text_argument("filter.similarTo", given.similar_to)
    return orgs.OrganizationFilter(
        roles=filter_values("roles", given.roles),
        clusters=clusters,
        regions=filter_values("regions", given.regions),
        sectors=filter_values("sectors", given.sectors),
        capabilities=tuple(capability_id(c) for c in filter_values("capabilities", given.capabilities)),
        sizes=filter_values("sizes", given.sizes),
        text=text_argument("filter.text", given.text),
        similar_to=await embed(similar, context.settings, context.compute) if similar is not None else None,
    )


def _order(given: OrganizationOrderInput | None, flt: orgs.OrganizationFilter) -> orgs.Order:
    if given is None:
        searching = flt.text is not None or flt.similar_to is not None
        return orgs.Order("relevance", True) if searching else orgs.Order("name", False)
    order = orgs.Order(given.field.value, given.direction is SortDirection.DESC)
    if given.field is OrganizationSortField.RELEVANCE:
        if flt.text is None and flt.similar_to is None:
            raise InvalidInput.of("orderBy.field", "RELEVANCE needs a `filter.text` or `filter.similarTo`")
        order = orgs.Order("relevance", True)
    if not orgs.valid_order(order):
        raise InvalidInput.of(
            "orderBy", f"{given.field.name} {given.direction.name} is not an order organizations take"
        )
    return order


def cursor_key(order: orgs.Order, key: Any, org_id: str) -> list[Any]:
    """What the cursor after one row encodes (:func:`cursor_text` makes it a cursor)."""
    return [order.field, order.descending, key, org_id]


def cursor_text(key: list[Any]) -> str:
    """An opaque cursor: unpadded URL-safe base64 of the JSON of ``key`` (orjson: a page makes one per row,
    the standard encoder costs ten times as much; :func:`decode_cursor` reads it)."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_cursor(order: orgs.Order, cursor: str) -> tuple[Any, str]:
    """The ``(sort key, id)`` a cursor points after; refused if malformed or made for another order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        field, descending, key, org_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput.of("after", "is not a cursor this API returned") from None
    if (field, descending) != (order.field, order.descending) or not isinstance(org_id, str):
        raise InvalidInput.of("after", "belongs to a different ordering; start again without it")
    if not _key_fits(order, key):
        raise InvalidInput.of("after", "is not a cursor this API returned")
    return key, org_id


def _key_fits(order: orgs.Order, key: Any) -> bool:
    """Whether a cursor's sort key is of the kind the order's rows carry: a name (or id) is text, a
    relevance a finite number (a huge integer would overflow Neo4j's, a map or a list compare to nothing)."""
    if order.field == "relevance":
        return type(key) in (int, float) and math.isfinite(key) and abs(key) <= RELEVANCE_BOUND
    return isinstance(key, str)


def _fields(selections: list[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection set, those inside fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


FIELD_PROPERTIES = properties.graphql_fields()
"""The graph properties behind each ``Organization`` field beyond id, name and role (which every row has)."""


def selected_under(info: Ctx, *path: str) -> set[str]:
    """The names of the fields selected at ``path`` below the field being resolved (through fragments)."""
    level = [child for current in _fields(info.selected_fields) for child in _fields(current.selections)]
    for name in path:
        level = [child for field in level if field.name == name for child in _fields(field.selections)]
    return {field.name for field in level}


def node_selection(info: Ctx) -> NodeSelection:
    """Look ahead at the page's node fields: lists inlined into the page query cost no query of their own,
    properties not asked for are neither read nor sent."""
    selected = selected_under(info, "edges", "node")
    return NodeSelection(
        nested=tuple(name for name in q.NESTED_LISTS if name in selected),
        properties=frozenset(prop for name in selected for prop in FIELD_PROPERTIES.get(name, ())),
    )


class Page(NamedTuple):
    """One page of organizations as rows: for each, its cursor key, its row, the nested lists the page query
    brought along, and its relevance score; whether more follow; and the total count, run only when asked
    for."""

    edges: list[tuple[list[Any], dict[str, Any], dict[str, list[dict[str, Any]]], float | None]]
    has_next: bool
    total: Callable[[], Awaitable[int]]


async def organization_page(
    info: Ctx,
    given: OrganizationFilterInput | None,
    order_given: OrganizationOrderInput | None,
    first: int,
    after: str | None,
    *,
    within_cluster: str | None = None,
) -> Page:
    """One keyset page of organizations (or of one cluster's members, batched with the other clusters' of the
    response); ``totalCount`` runs its count only when asked for."""
    context = info.context
    settings = context.settings
    check_page_size(first, settings.api_max_page_size)
    flt = await to_filter(context, given, within_cluster=within_cluster)
    order = _order(order_given, flt)
    keyset = decode_cursor(order, after) if after else None
    candidates = settings.api_vector_candidates
    selection = node_selection(info)
    if within_cluster is not None:
        page = MembersPage(filter=flt, order=order, limit=first + 1, after=keyset, selection=selection)
        rows = await context.loaders.members.load((within_cluster, page))

        async def count() -> int:
            return int(await context.loaders.member_total.load((within_cluster, page)))

    else:
        query, params = orgs.organizations_page(
            flt,
            order,
            limit=first + 1,
            after=keyset,
            candidates=candidates,
            nested=selection.nested,
            properties=selection.properties,
        )
        (result,) = await context.graph.run(query, **params)
        rows = result["rows"]

        async def count() -> int:
            count_query, count_params = orgs.organizations_count(flt, candidates=candidates)
            return int((await context.graph.run(count_query, **count_params))[0]["total"])

    edges = [
        (
            cursor_key(order, row["sort_key"], row["organization"]["id"]),
            row["organization"],
            {name: row[name] for name in selection.nested},
            row["score"],
        )
        for row in rows[:first]
    ]
    return Page(edges=edges, has_next=len(rows) > first, total=count)
