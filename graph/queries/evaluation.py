"""Queries of the evaluation: whether a registry is loaded already, hide and restore collaborations (the
graph itself is read as ``suggest`` reads it, ``graph/queries/snapshot.py``)."""

from graph.query import Query

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
