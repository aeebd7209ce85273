"""Queries of the evaluation: read the registry as the benchmark sees it, hide and restore collaborations."""

from graph.query import Query

ORGANIZATIONS = Query(
    "evaluation.organizations",
    "MATCH (o:Organization) RETURN o.id AS id, o.role AS role, o.country AS country, o.description AS text",
)

PROJECTS = Query(
    "evaluation.projects",
    "MATCH (p:Project) RETURN p.id AS id, p.start AS start, p.programme AS part, "
    "[t IN [p.title, p.description, p.topic] WHERE t IS NOT NULL AND t <> ''] AS texts",
)

PARTICIPATIONS = Query(
    "evaluation.participations",
    "MATCH (o:Organization)-[:PARTICIPATES_IN]->(p:Project) RETURN o.id AS org, p.id AS project",
)

COLLABORATIONS = Query(
    "evaluation.collaborations",
    "MATCH (a:Organization)-[r:COLLABORATES_WITH]->(b:Organization) "
    "WHERE $kinds IS NULL OR r.kind IN $kinds "
    "RETURN a.id AS a, b.id AS b, r.since AS since",
)

LOADED_FILE_HASHES = Query(
    "evaluation.loaded_file_hashes",
    "MATCH (r:IngestRun {status: 'completed'}) UNWIND r.file_hashes AS hash "
    "RETURN collect(DISTINCT hash) AS hashes",
)

COUNT_COLLABORATIONS = Query(
    "evaluation.count_collaborations",
    "MATCH ()-[r:COLLABORATES_WITH]->() WHERE $kinds IS NULL OR r.kind IN $kinds RETURN count(r) AS count",
)

HIDE_COLLABORATIONS = Query(
    "evaluation.hide_collaborations",
    """
    UNWIND $rows AS row
    MATCH (a:Organization {id: row.a})-[r:COLLABORATES_WITH]-(b:Organization {id: row.b})
    WITH a, b, r, properties(r) AS props, startNode(r) = a AS forward
    DELETE r
    RETURN CASE WHEN forward THEN a.id ELSE b.id END AS source,
           CASE WHEN forward THEN b.id ELSE a.id END AS target, props
    """,
    write=True,
)

RESTORE_COLLABORATIONS = Query(
    "evaluation.restore_collaborations",
    """
    UNWIND $rows AS row
    MATCH (a:Organization {id: row.source}), (b:Organization {id: row.target})
    CREATE (a)-[r:COLLABORATES_WITH]->(b)
    SET r = row.props
    """,
    write=True,
)
