"""The queries of the web pages that the GraphQL API has no field for: where a town is, the choices of the
search form's filters, and whether a key's organization manages a cluster (the dashboard's access rule)."""

from __future__ import annotations

from typing import LiteralString, cast

from graph.queries.api import strongest_collaborations
from graph.queries.matching.filters import REGION_KEYS, REGION_PROPERTIES, REGIONS_ABOVE
from graph.query import Query

TOWN_POINT = Query(
    "web.town_point",
    "MATCH (o:Organization) WHERE toLower(o.city) = toLower($town) AND o.lat IS NOT NULL "
    "RETURN avg(o.lat) AS lat, avg(o.lon) AS lon, count(o) AS organizations, min(o.city) AS city",
    plain=True,
)
"""A town's point for an anonymous search: the mean position of the organizations located there (the graph
keeps no gazetteer; a town nobody is located in has no point)."""

SEARCH_CHOICES = Query(
    "web.search_choices",
    cast(
        LiteralString,
        "CALL { MATCH (r:Region) WHERE r.level IN ['country', 'region'] "
        "RETURN collect({id: r.id, name: coalesce(r.name, r.id), level: r.level}) AS regions } "
        "CALL { MATCH (c:Organization) "
        "RETURN collect(DISTINCT CASE WHEN c.lat IS NOT NULL THEN c.city END) AS towns, "
        + " + ".join(f"collect(DISTINCT c.{name})" for name in REGION_PROPERTIES)
        + " AS own } "
        f"CALL {{ MATCH (g:Region) WHERE EXISTS {{ {REGIONS_ABOVE} }} RETURN "
        + " + ".join(f"collect(DISTINCT g.{key})" for key in REGION_KEYS)
        + " AS above, collect(g {.id, .name}) AS named } "
        "RETURN regions, towns, own + above AS places, named",
    ),
    plain=True,
)
"""The regions a search can be limited to and the towns that have a point (the form's lists and
suggestions), and every value that a region filter (``matching.filters.FILTERS``) matches some
organization by, built from the filter's own terms: a region of any level (a town's too) by id or name, and
an organization's own region, country or town; and each of those regions' id and name (``named``), for the
form to show a region an address names by id by its name."""

PARTNERS_PAGE = Query(
    "web.partners_page",
    "MATCH (x:Organization {id: $id}) "
    "RETURN COUNT { (x)-[:COLLABORATES_WITH]-(:Organization) } AS total, "
    f"{strongest_collaborations('x', 'SKIP $skip LIMIT $limit', 'o {.id, .name, .role}')} AS partners",
    plain=True,
)
"""How many collaborations an organization has, and ``$limit`` of them from ``$skip``, strongest first as the
API lists them: a region's hub has hundreds, which its page shows a page at a time (``api.web.partners``)."""

MANAGED_CLUSTERS = Query(
    "web.managed_clusters",
    "MATCH (:Organization {id: $organization})-[:MANAGES]->(c:Cluster) "
    "RETURN c.id AS id, c.name AS name ORDER BY c.name",
    plain=True,
)
"""The clusters a cluster organization manages (a manager key's dashboards)."""
