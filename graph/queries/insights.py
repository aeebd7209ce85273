"""Queries of the cluster insights: clusters' members, their collaborations and their capabilities, read
with every date so that ``matching.insights`` can cut any as-of view (and the trend's earlier one) in Python
from one read, never a copy of the graph. Each read takes a list of clusters (``$clusters``) and returns one
record per cluster: one cluster's insights send a list of one, a region's summary sends several clusters at
once (fewer round trips and plans than one read per cluster).

Dates travel as ISO day text (``toString``, cut to ``YYYY-MM-DD``), so no driver type reaches
``matching``. A cluster's rows come back as one value holding a list of small lists: a 2,000-member cluster's
links as one value, many times faster than as thousands of records. Private needs are filtered here, in the
server: a need marked private leaves Neo4j only for the clusters listed in ``$private``.
"""

from __future__ import annotations

from typing import LiteralString

from graph.query import Query

_CLUSTER_FIELDS: LiteralString = (
    "c {.id, .name, .sector, .region, .stage, "
    "managers: COLLECT { MATCH (m:Organization)-[:MANAGES]->(c) RETURN m.id }} AS cluster"
)

CLUSTERS = Query(
    "insights.clusters",
    "UNWIND $clusters AS cid MATCH (c:Cluster {id: cid}) RETURN " + _CLUSTER_FIELDS,
    plain=True,
)
"""The fields of the clusters ``$clusters`` names, and the organizations that manage each (an unknown id
returns nothing)."""

CLUSTERS_IN_REGION = Query(
    "insights.clusters_in_region",
    "MATCH (c:Cluster) WHERE $region IS NULL OR toLower(c.region) = toLower($region) "
    "WITH c ORDER BY c.name, c.id RETURN " + _CLUSTER_FIELDS,
    plain=True,
)
"""The clusters of a region (the cluster's ``region``, any case; every cluster when ``$region`` is null), with
the fields of ``CLUSTERS``."""

MEMBERS = Query(
    "insights.members",
    "UNWIND $clusters AS cid MATCH (c:Cluster {id: cid}) "
    "RETURN cid AS cluster, COLLECT { MATCH (o:Organization)-[r:MEMBER_OF]->(c) "
    "RETURN [o.id, o.name, o.role, o.size_class, o.founded, left(toString(r.since), 10)] } AS rows",
    plain=True,
)
"""Per cluster of ``$clusters``: ``[id, name, role, size_class, founded, since]`` per member."""

LINKS = Query(
    "insights.links",
    "UNWIND $clusters AS cid MATCH (c:Cluster {id: cid}) "
    "RETURN cid AS cluster, COLLECT { MATCH (o:Organization)-[:MEMBER_OF]->(c) "
    "MATCH (o)-[r:COLLABORATES_WITH]-(p:Organization) "
    "RETURN [o.id, p.id, left(toString(r.since), 10), r.kind, r.weight, p.founded] } AS rows",
    plain=True,
)
"""Per cluster of ``$clusters``: ``[member, partner, since, kind, weight, partner_founded]`` per collaboration
touching a member (a link between two members comes twice, once from each end)."""

CAPABILITIES = Query(
    "insights.capabilities",
    "UNWIND $clusters AS cid MATCH (c:Cluster {id: cid}) "
    "RETURN cid AS cluster, COLLECT { MATCH (o:Organization)-[:MEMBER_OF]->(c) "
    "MATCH (o)-[r:OFFERS|NEEDS]->(k:Capability) "
    "WHERE type(r) = 'OFFERS' OR r.visibility = 'public' OR cid IN $private "
    "RETURN [o.id, type(r), k.id, k.name] } AS rows",
    plain=True,
)
"""Per cluster of ``$clusters``: ``[member, 'OFFERS' | 'NEEDS', capability id, capability name]``; needs not
marked public (private or unmarked) only in the clusters listed in ``$private``."""

OFFERERS = Query(
    "insights.offerers",
    "UNWIND $capabilities AS cid MATCH (c:Capability {id: cid}) "
    "RETURN cid AS capability, COUNT { (c)<-[:OFFERS]-() } AS offerers",
    plain=True,
)
"""How many organizations offer each capability: read from the node's degree, not by visiting them."""

ORGANIZATIONS = Query(
    "insights.organizations",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) "
    "RETURN o {.id, .name, .role, .city, clusters: COLLECT { MATCH (o)-[:MEMBER_OF]->(k:Cluster) "
    "RETURN k.id }} AS organization",
    plain=True,
)
"""Names, roles and clusters of a few organizations (the outside partners that matter most)."""

OFFERED = Query(
    "insights.offered",
    "UNWIND $pairs AS pair "
    "MATCH (:Organization {id: pair[0]})-[:OFFERS]->(:Capability {id: pair[1]}) "
    "RETURN collect(pair) AS pairs",
    plain=True,
)
"""Which of the ``[organization, capability]`` pairs are an ``OFFERS`` link (a supplier offers the gap)."""

REGION_NAMES = Query(
    "insights.region_names",
    "MATCH (c:Cluster) WHERE c.region IS NOT NULL RETURN DISTINCT c.region AS region ORDER BY region",
    plain=True,
)
"""The regions clusters name (what ``CLUSTERS_IN_REGION`` matches)."""
