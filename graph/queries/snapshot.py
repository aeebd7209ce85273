"""Queries of the collaboration snapshot (``matching.snapshot``): the graph as the learned ranking reads it,
and the cheap stamp that tells when it changed.

Only organizations' own descriptions are read, never their needs: the snapshot serves every caller."""

from graph.query import Query

ORGANIZATIONS = Query(
    "snapshot.organizations",
    "MATCH (o:Organization) RETURN o.id AS id, o.role AS role, o.country AS country, o.description AS text, "
    "coalesce(o.capability_key = $key_prefix + o.description, false) AS embedded",
    plain=True,
)
"""``embedded``: whether ``clusterkg embed`` stored the description's vector, its key saying the current
embedder (``$key_prefix``) encoded the current text."""

STORED_VECTORS = Query(
    "snapshot.stored_vectors",
    "UNWIND $ids AS id MATCH (o:Organization {id: id}) "
    "WHERE o.capability_key = $key_prefix + o.description "
    "RETURN o.id AS id, o.capability_embedding AS vector",
    plain=True,
)
"""The stored description vectors of ``$ids`` (the ones the snapshot's cache lacks): a refresh transfers
only the vectors of new or changed descriptions, not 100,000 of them each time."""

PROJECTS = Query(
    "snapshot.projects",
    "MATCH (p:Project) RETURN p.id AS id, p.start AS start, p.programme AS part, "
    "[t IN [p.title, p.description, p.topic] WHERE t IS NOT NULL AND t <> ''] AS texts",
    plain=True,
)

PARTICIPATIONS = Query(
    "snapshot.participations",
    "MATCH (o:Organization)-[:PARTICIPATES_IN]->(p:Project) RETURN o.id AS org, collect(p.id) AS project",
    plain=True,
)

COLLABORATIONS = Query(
    "snapshot.collaborations",
    "MATCH (a:Organization)-[r:COLLABORATES_WITH]->(b:Organization) "
    "RETURN a.id AS a, collect(b.id) AS b, collect(coalesce(toString(r.since), '')) AS since",
    plain=True,
)
"""Grouped by organization: a record per organization, not per link, is what makes reading a million links
cheap (the driver's cost is mostly per record); ``''``: an undated link (``collect`` would drop a null)."""

FEEDBACK = Query(
    "snapshot.feedback",
    "MATCH (s:Organization)-[f:SUGGESTION_FEEDBACK]->(p:Organization) "
    "RETURN s.id AS seeker, p.id AS partner, f.accepted AS accepted, date(f.at) AS at",
)

FEEDBACK_SINCE = Query(
    "snapshot.feedback_since",
    "MATCH (s:Organization)-[f:SUGGESTION_FEEDBACK]->(p:Organization) WHERE f.at >= datetime($since) "
    "RETURN s.id AS seeker, p.id AS partner, f.accepted AS accepted, date(f.at) AS at",
)
"""The answers given (or given again) since ``$since``, along the index on their time (migration 0500)."""

VERSION_CALLS = """
    CALL () { MATCH (o:Organization) RETURN count(o) AS organizations }
    CALL () { MATCH ()-[r:COLLABORATES_WITH]->() RETURN count(r) AS links }
    CALL () { MATCH ()-[r:PARTICIPATES_IN]->() RETURN count(r) AS participations }
    CALL () { MATCH (r:IngestRun) RETURN count(r) AS runs }
    CALL () {
      MATCH (r:IngestRun) WHERE r.finished_at IS NOT NULL
      WITH r ORDER BY r.finished_at DESC LIMIT 1
      RETURN collect(toString(r.finished_at)) AS finished
    }
    CALL () { MATCH ()-[f:SUGGESTION_FEEDBACK]->() RETURN count(f) AS answers }
    CALL () {
      MATCH ()-[f:SUGGESTION_FEEDBACK]->() WHERE f.at IS NOT NULL
      WITH f ORDER BY f.at DESC LIMIT 1
      RETURN collect(toString(f.at)) AS answered
    }
"""
"""What changes when the graph does: the counts come from Neo4j's count store (no scan), the last ingest
run's end changes with every ingest and upsert (they all go through ``ingest.load``), the last answer with
every feedback. A query that ends with ``RETURN VERSION_MAP AS version`` (``VERSION``, and the learned
suggestion's details) tells each API worker of a change at its next request."""
VERSION_MAP = """{organizations: organizations, links: links, participations: participations, runs: runs,
                  finished: finished[0], answers: answers, answered: answered[0]}"""

VERSION = Query("snapshot.version", VERSION_CALLS + "RETURN " + VERSION_MAP + " AS version", plain=True)
"""The graph's version alone."""
