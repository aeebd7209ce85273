"""Page sizes: every list that grows with the graph takes one (``first`` or ``limit``), checked against the
configured maximum, with a default no larger than it."""

from __future__ import annotations

from graphql import GraphQLObjectType, GraphQLSchema

from schema.errors import InvalidInput

PAGE_ARGUMENTS = ("first", "limit")
FULL_PAGE = 100
"""The default ``limit`` of a list a caller usually reads whole (the clusters, a region's insights, an
insight's member lists): the largest page of the default settings, so a caller that passes nothing gets a
whole list of up to 100. The complexity limit counts it as it counts every page size: a list counted as 10
rows makes, in a region of 1,000 clusters, thousands of fields of a query that looks cheap."""


def check_page_size(value: int, maximum: int, name: str = "first") -> int:
    """Refuse a page size below 1 or above the configured maximum."""
    if not 1 <= value <= maximum:
        raise InvalidInput.of(name, f"must be between 1 and {maximum}; got {value}")
    return value


def lower_page_defaults(schema: GraphQLSchema, maximum: int) -> None:
    """Lower every page size's default (``first``, ``limit``) that is above ``maximum`` to ``maximum``.

    An operator who sets ``CLUSTERKG_API_MAX_PAGE_SIZE`` below a default (20 organizations, 100 clusters)
    asks for smaller pages, not for every query that passes no size to be refused for a size its caller
    never gave; a size the caller gives is still checked (:func:`check_page_size`). Refusing such a setting
    at start-up would forbid a maximum below 100 at all. Lowered in the schema itself, the default is the
    one introspection shows, the resolver gets and the complexity limit counts."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for definition in named.fields.values():
            for name in PAGE_ARGUMENTS:
                argument = definition.args.get(name)
                if argument is not None and isinstance(argument.default_value, int):
                    argument.default_value = min(argument.default_value, maximum)
