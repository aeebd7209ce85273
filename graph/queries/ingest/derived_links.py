"""The links derived after a load: each project's participant count, and a ``joint_project`` collaboration
between organizations that took part in the same projects (of ``$min_participants`` to
``$max_participants`` participants), dated by the earliest start of those projects at that start's precision
(``schema.dates``; of two projects starting the same day, the one dated to the day).
"""

from __future__ import annotations

from graph.query import Query

COUNT_PARTICIPANTS = Query(
    "ingest.count_participants",
    """
    MATCH (p:Project)
    CALL (p) {
      SET p.participant_count = COUNT { (p)<-[:PARTICIPATES_IN]-(:Organization) }
    } IN TRANSACTIONS OF 5000 ROWS
    """,
    write=True,
)

DERIVE_JOINT_PROJECTS = Query(
    "ingest.derive_joint_projects",
    """
    MATCH (a:Organization) WHERE EXISTS { (a)-[:PARTICIPATES_IN]->() }
    CALL (a) {
      MATCH (a)-[:PARTICIPATES_IN]->(p:Project)<-[:PARTICIPATES_IN]-(b:Organization)
      WHERE a.id < b.id AND p.participant_count >= $min_participants
        AND p.participant_count <= $max_participants
      WITH a, b, p ORDER BY p.start, p.start_precision IS NOT NULL
      WITH a, b, collect(p)[0] AS first, count(DISTINCT p) AS projects
      MERGE (a)-[r:COLLABORATES_WITH {kind: 'joint_project'}]->(b)
      SET r.since = first.start, r.since_precision = first.start_precision, r.weight = toFloat(projects),
        r.derived = true, r += $prov
    } IN TRANSACTIONS OF 1000 ROWS
    """,
    write=True,
)

COUNT_DERIVED = Query(
    "ingest.count_derived",
    "MATCH ()-[r:COLLABORATES_WITH {kind: 'joint_project'}]->() WHERE r.derived RETURN count(r) AS count",
)
