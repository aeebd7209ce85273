"""Queries of the cluster insights: one cluster's members, their collaborations and their capabilities, read
with every date so that ``matching.insights`` can cut any as-of view (and the trend's earlier one) in Python
from one read, never a copy of the graph.

Dates travel as ISO text (``toString``), so no driver type reaches ``matching``. Each read returns one record
holding a list of small lists (``Graph.value``): a 2,000-member cluster's links come back as one value, many
times faster than as thousands of records. Private needs are filtered here, in the server: unless
``$private`` is true, a need marked private never leaves Neo4j.
"""

from __future__ import annotations

from graph.query import Query

CLUSTER = Query(
    "insights.cluster",
    "MATCH (c:Cluster {id: $cluster}) "
    "RETURN c {.id, .name, .sector, .region, .stage, "
    "managers: COLLECT { MATCH (m:Organization)-[:MANAGES]->(c) RETURN m.id }} AS cluster",
    plain=True,
)
"""The cluster's own fields and the organizations that manage it (none when the id is unknown)."""

CLUSTERS_IN_REGION = Query(
    "insights.clusters_in_region",
    "MATCH (c:Cluster) WHERE $region IS NULL OR toLower(c.region) = toLower($region) "
    "RETURN c.id AS id ORDER BY c.name, c.id",
    plain=True,
)
"""The clusters of a region (the cluster's ``region``, any case), every cluster without one."""

MEMBERS = Query(
    "insights.members",
    "MATCH (o:Organization)-[r:MEMBER_OF]->(:Cluster {id: $cluster}) "
    "RETURN collect([o.id, o.name, o.role, o.size_class, o.founded, toString(r.since)]) AS rows",
    plain=True,
)
"""``[id, name, role, size_class, founded, since]`` per member."""

LINKS = Query(
    "insights.links",
    "MATCH (o:Organization)-[:MEMBER_OF]->(:Cluster {id: $cluster}) "
    "MATCH (o)-[r:COLLABORATES_WITH]-(p:Organization) "
    "RETURN collect([o.id, p.id, toString(r.since), r.kind, r.weight, p.founded]) AS rows",
    plain=True,
)
"""``[member, partner, since, kind, weight, partner_founded]`` per collaboration touching a member (a link
between two members comes twice, once from each end)."""

CAPABILITIES = Query(
    "insights.capabilities",
    "MATCH (o:Organization)-[:MEMBER_OF]->(:Cluster {id: $cluster}) "
    "MATCH (o)-[r:OFFERS|NEEDS]->(c:Capability) "
    "WHERE type(r) = 'OFFERS' OR r.visibility = 'public' OR $private "
    "RETURN collect([o.id, type(r), c.id, c.name]) AS rows",
    plain=True,
)
"""``[member, 'OFFERS' | 'NEEDS', capability id, capability name]``; needs not marked public (private or
unmarked) only when ``$private``."""

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
