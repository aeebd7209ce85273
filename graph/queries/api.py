"""The GraphQL API's look-ups: what an organization row holds, the batched queries of the DataLoaders, API
keys and needs. Organization pages, counts and search are built in ``graph/queries/organizations.py``.

Only public properties are projected (``schema.properties.PUBLIC``); needs are read only through
``NEEDS_OF``, which returns with them what decides who may read them.
"""

from __future__ import annotations

from typing import LiteralString

from graph.queries.matching.embeddings import NEEDS_EMBEDDINGS, UNLINK_NEED
from graph.query import Query
from schema import properties

PUBLIC_PROPERTIES = properties.PUBLIC
"""The public properties of an organization (never ``needs``, which the ``NEEDS_OF`` query guards)."""
KEY_PROPERTIES = properties.KEYS
"""Properties every organization row carries, whatever else is asked for."""


def organization_fields(properties: frozenset[str] | None = None) -> LiteralString:
    """The map projection of ``o`` to ``properties`` (with :data:`KEY_PROPERTIES`), all public ones by
    default. Built from the constant names only: a name not among them is ignored."""
    wanted = PUBLIC_PROPERTIES if properties is None else KEY_PROPERTIES | properties
    return "o {" + ", ".join("." + name for name in PUBLIC_PROPERTIES if name in wanted) + "}"


ORGANIZATION_FIELDS = organization_fields()

CLUSTER_FIELDS: LiteralString = "c {.id, .name, .sector, .stage, .region}"

# --- batched look-ups for the DataLoaders: one query per nested field per request ---------------------------

ORGANIZATIONS_BY_ID = Query(
    "api.organizations_by_id",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) "
    "RETURN id, " + ORGANIZATION_FIELDS + " AS organization",
)

CLUSTERS_BY_ID = Query(
    "api.clusters_by_id",
    "UNWIND $ids AS id MATCH (c:Cluster {id: id}) RETURN id, " + CLUSTER_FIELDS + " AS cluster",
)

CLUSTERS_PAGE = Query(
    "api.clusters_page",
    "MATCH (c:Cluster) "
    "WHERE $after_name IS NULL OR c.name > $after_name OR (c.name = $after_name AND c.id > $after_id) "
    "RETURN " + CLUSTER_FIELDS + " AS cluster ORDER BY c.name, c.id LIMIT $limit",
)
"""One page of the clusters by name, then id (names may repeat): the ``limit`` clusters after the one named
``after_name`` with id ``after_id`` (both null: from the first)."""

REGIONS_BY_ID = Query(
    "api.regions_by_id",
    "UNWIND $ids AS id MATCH (r:Region {id: id}) "
    "OPTIONAL MATCH (r)-[:PART_OF]->(p:Region) "
    "RETURN id, r {.id, .name, .level, parent_id: p.id} AS region",
)

NESTED_LISTS: dict[str, LiteralString] = {
    "clusters": "COLLECT { MATCH (o)-[:MEMBER_OF]->(c:Cluster) WITH c ORDER BY c.name RETURN "
    + CLUSTER_FIELDS
    + " }",
    "capabilities": "COLLECT { MATCH (o)-[:OFFERS]->(c:Capability) WITH c ORDER BY c.name "
    "RETURN c {.id, .name} }",
}
"""An organization ``o``'s clusters and capabilities, by name: read by their DataLoaders, and inlined into
an organization page that selects them (:func:`organizations_page`), which then needs no further query."""

CLUSTERS_OF = Query(
    "api.clusters_of",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) RETURN id, "
    + NESTED_LISTS["clusters"]
    + " AS clusters",
)

REGION_OF = Query(
    "api.region_of",
    "UNWIND $ids AS id MATCH (:Organization {id: id})-[:LOCATED_IN]->(r:Region) "
    "WITH id, r ORDER BY r.level DESC RETURN id, collect(r.id)[0] AS region_id",
)

CAPABILITIES_OF = Query(
    "api.capabilities_of",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) "
    "RETURN id, " + NESTED_LISTS["capabilities"] + " AS capabilities",
)

STRONGEST_FIRST = "ORDER BY coalesce(r.weight, 0) DESC, o.id"
"""The order in which an organization's collaborations ``r`` with partners ``o`` are listed: the API's
``collaborators`` and the organization page's pages of partners (``web.PARTNERS_PAGE``)."""


def strongest_collaborations(of: str, page: str, partner: str) -> str:
    """The collaborations of organization ``of`` on one ``page`` (``LIMIT``, ``SKIP``), strongest first, each
    with ``partner``'s fields (a map projection of ``o``): a partner's fields are read for the page alone,
    not for every partner of a hub of thousands before the list is cut."""
    return (
        f"COLLECT {{ MATCH ({of})-[r:COLLABORATES_WITH]-(o:Organization) WITH r, o {STRONGEST_FIRST} {page} "
        f"RETURN {{kind: r.kind, since: r.since, since_precision: r.since_precision, weight: r.weight, "
        f"partner: {partner}}} }}"
    )


COLLABORATORS_OF = Query(
    "api.collaborators_of",
    "UNWIND $ids AS id MATCH (s:Organization {id: id}) "
    f"RETURN id, {strongest_collaborations('s', 'LIMIT $limit', ORGANIZATION_FIELDS)} AS collaborations",
)
"""An organization's ``limit`` strongest collaborations."""

PROJECTS_OF = Query(
    "api.projects_of",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) "
    "RETURN id, COLLECT { MATCH (o)-[p:PARTICIPATES_IN]->(j:Project) "
    "WITH p, j ORDER BY j.start DESC, j.id LIMIT $limit "
    "RETURN {role: p.role, project: j {.id, .title, start: toString(j.start), end: toString(j.end), "
    ".start_precision, .end_precision}} "
    "} AS projects",
)
"""The newest ``$limit`` projects of each organization: a university of a research registry takes part in
thousands, and all of them, once per alias, made a response of tens of megabytes."""

SOURCES_OF = Query(
    "api.sources_of",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) "
    "OPTIONAL MATCH (o)-[]->(s:Source) "
    "WITH id, o, collect(DISTINCT s.name) AS linked "
    "RETURN id, [x IN linked + coalesce(o.sources, []) WHERE x IS NOT NULL] AS sources",
)

NEEDS_OF = Query(
    "api.needs_of",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) "
    "RETURN id, o.needs AS needs, o.needs_visibility AS visibility, "
    "(o.id = $viewer OR ($manager AND EXISTS { "
    "(o)-[:MEMBER_OF]->(:Cluster)<-[:MANAGES]-(:Organization {id: $viewer}) })) AS privileged",
)
"""Needs with what decides who may read them: ``privileged`` is true for the organization itself and for the
cluster organizations that manage one of its clusters; everyone else reads only needs marked ``public``."""

MANAGER_OF = Query(
    "api.manager_of",
    "UNWIND $ids AS id MATCH (c:Cluster {id: id})<-[:MANAGES]-(o:Organization) "
    "WITH id, o ORDER BY o.id RETURN id, head(collect(" + ORGANIZATION_FIELDS + ")) AS organization",
)

MEMBER_COUNT = Query(
    "api.member_count",
    "UNWIND $ids AS id MATCH (c:Cluster {id: id}) "
    "RETURN id, COUNT { (c)<-[:MEMBER_OF]-(:Organization) } AS members",
)

CAN_SEE_NEEDS_OF = Query(
    "api.can_see_needs_of",
    "MATCH (o:Organization {id: $id}) "
    "RETURN o.id = $viewer OR ($manager AND EXISTS { "
    "(o)-[:MEMBER_OF]->(:Cluster)<-[:MANAGES]-(:Organization {id: $viewer}) }) AS allowed",
)

APPLIED_VERSIONS = Query("api.applied_versions", "MATCH (m:Migration) RETURN m.version AS version")

PING = Query("api.ping", "RETURN 1 AS one")
"""The cheapest query: whether Neo4j answers again (``api.availability``)."""

BENCH_SEEKERS = Query(
    "api.bench_seekers",
    "MATCH (o:Organization) WHERE o.needs_hash IS NOT NULL RETURN o.id AS id ORDER BY o.id LIMIT $limit",
)
"""Organizations with embedded needs, to ask suggestions for (``bench/bench_api.py``)."""

LINKED_SEEKERS = Query(
    "api.linked_seekers",
    "MATCH (o:Organization) WHERE EXISTS { (o)-[:COLLABORATES_WITH]-() } RETURN o.id AS id ORDER BY o.id "
    "LIMIT $limit",
)
"""Organizations with a collaboration: a registry without needs (CORDIS) asks suggestions as one of them
(``bench/bench_first_suggestion.py``)."""

# --- API keys ---------------------------------------------------------------------------------------------

CREATE_API_KEY = Query(
    "api.create_api_key",
    "CREATE (k:ApiKey {id: $id, hash: $hash, role: $role, organization_id: $organization_id, "
    "label: $label, created_at: datetime()}) RETURN k.id AS id",
    write=True,
)

REVOKE_API_KEY = Query(
    "api.revoke_api_key",
    "MATCH (k:ApiKey {id: $id}) WHERE k.revoked_at IS NULL SET k.revoked_at = datetime() RETURN k.id AS id",
    write=True,
)

API_KEY_BY_HASH = Query(
    "api.api_key_by_hash",
    "MATCH (k:ApiKey {hash: $hash}) WHERE k.revoked_at IS NULL "
    "RETURN k.id AS id, k.role AS role, k.organization_id AS organization_id",
)

ACTIVE_API_KEYS = Query(
    "api.active_api_keys",
    "MATCH (k:ApiKey) WHERE k.revoked_at IS NULL "
    "RETURN k.hash AS hash, k.id AS id, k.role AS role, k.organization_id AS organization_id",
)
"""Every key in use, by hash: what the API checks keys against while Neo4j does not answer."""

LIST_API_KEYS = Query(
    "api.list_api_keys",
    "MATCH (k:ApiKey) RETURN k.id AS id, k.role AS role, k.organization_id AS organization_id, "
    "k.label AS label, toString(k.created_at) AS created_at, toString(k.revoked_at) AS revoked_at "
    "ORDER BY k.created_at",
)

ORGANIZATION_EXISTS = Query(
    "api.organization_exists", "MATCH (o:Organization {id: $id}) RETURN o.role AS role"
)

SET_NEED = Query(
    "api.set_need",
    "MATCH (o:Organization {id: $id}) SET o.needs = $needs, o.needs_visibility = $visibility "
    "REMOVE " + NEEDS_EMBEDDINGS + " " + UNLINK_NEED + " "
    "WITH o CALL (o) { MATCH (o)-[r:NEEDS]->(:Capability) SET r.visibility = $visibility } "
    "RETURN o.id AS id",
    write=True,
)
"""A member's own needs; the visibility also goes on its ``NEEDS`` links, which follow the text's. The old
need's vectors and sentences go in the same transaction (never quoted, nor in the shared index, once
replaced), and so does its link to the public text's node, with the node when no one else states that text;
``matching.embed.refresh`` embeds the new one."""
