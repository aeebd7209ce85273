"""The queries of the web pages that the GraphQL API has no field for: where a town is, the choices of the
search form's filters, and whether a key's organization manages a cluster (the dashboard's access rule)."""

from __future__ import annotations

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
    "CALL { MATCH (r:Region) WHERE r.level IN ['country', 'region'] "
    "RETURN collect({id: r.id, name: coalesce(r.name, r.id), level: r.level}) AS regions } "
    "CALL { MATCH (o:Organization) WHERE o.city IS NOT NULL AND o.lat IS NOT NULL "
    "RETURN collect(DISTINCT o.city) AS towns } "
    "RETURN regions, towns",
    plain=True,
)
"""The regions a search can be limited to, and the towns that have a point (the form's suggestions)."""

MANAGED_CLUSTERS = Query(
    "web.managed_clusters",
    "MATCH (:Organization {id: $organization})-[:MANAGES]->(c:Cluster) "
    "RETURN c.id AS id, c.name AS name ORDER BY c.name",
    plain=True,
)
"""The clusters a cluster organization manages (a manager key's dashboards)."""
