"""The suggestion filters (role, size class, sector, region, cluster, distance), applied in the graph to
each candidate, and the look-up of the filter values that name nothing. The region filter's terms are also
those the search page takes a region by (``graph.queries.web``).
"""

from __future__ import annotations

from typing import LiteralString, cast

from graph.query import Query

REGION_PROPERTIES: tuple[str, ...] = ("region", "country", "city")
"""The properties of an organization ``c`` that a region filter matches by value."""
REGIONS_ABOVE: LiteralString = "(c)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..6]->(g:Region)"
"""The regions ``g`` that an organization ``c`` lies in: its own and each one above it."""
REGION_KEYS: tuple[str, ...] = ("id", "name")
"""What of a region ``g`` (:data:`REGIONS_ABOVE`) a region filter matches. These three make the region
filter (:data:`FILTERS`) and the values it matches some organization by (``web.SEARCH_CHOICES``, which the
search page takes a region by): one rule, so the page refuses no region the filter takes."""
_REGION_MATCHES = cast(
    LiteralString,
    " OR ".join(
        [f"c.{name} IN $regions" for name in REGION_PROPERTIES]
        + [f"EXISTS {{ {REGIONS_ABOVE} WHERE {' OR '.join(f'g.{key} IN $regions' for key in REGION_KEYS)} }}"]
    ),
)

FILTERS: LiteralString = (
    """
    (s IS NULL OR c <> s) AND NOT c IN excluded
    AND ($roles IS NULL OR c.role IN $roles)
    AND ($size_classes IS NULL OR c.size_class IN $size_classes)
    AND ($sectors IS NULL OR any(sector IN coalesce(c.sectors, []) WHERE sector IN $sectors))
    AND ($regions IS NULL OR """
    + _REGION_MATCHES
    + """)
    AND ($clusters IS NULL
         OR EXISTS { (c)-[:MEMBER_OF]->(k:Cluster) WHERE k.id IN $clusters OR k.name IN $clusters })
    AND ($max_m IS NULL OR point.distance(c.location, origin) <= $max_m)
    """
)
"""Whether candidate ``c`` may be suggested to ``s``: not the seeker, not ``excluded``, and every filter
given holds."""

_REGION_KNOWN = cast(
    LiteralString,
    f"EXISTS {{ MATCH (g:Region) WHERE {' OR '.join(f'g.{key} = v' for key in REGION_KEYS)} "
    f"MATCH {REGIONS_ABOVE} }} OR EXISTS {{ MATCH (c:Organization) "
    f"WHERE {' OR '.join(f'c.{name} = v' for name in REGION_PROPERTIES)} }}",
)

UNKNOWN_FILTER_VALUES = Query(
    "matching.unknown_filter_values",
    "RETURN [v IN $clusters WHERE NOT EXISTS { MATCH (k:Cluster) WHERE k.id = v OR k.name = v }] "
    "AS clusters, [v IN $regions WHERE NOT (" + _REGION_KNOWN + ")] AS regions, "
    "[v IN $sectors WHERE NOT EXISTS { MATCH (c:Organization) WHERE v IN c.sectors }] AS sectors",
    plain=True,
)
"""The values of the cluster, region and sector filters (:data:`FILTERS`) that name nothing: a cluster by
neither id nor name; a region, country or town that no organization matches by the filter's own terms (those
of ``web.SEARCH_CHOICES``); a sector no organization works in. Each is looked up by itself, so a filter of
known values costs an index look-up or the first organization found, not a scan of the candidates."""
