"""Queries for migrations, status, test clean-up and benchmark data."""

from graph.query import Query

APPLIED_MIGRATIONS = Query(
    "admin.applied_migrations",
    "MATCH (m:Migration) RETURN m.version AS version, m.name AS name, m.checksum AS checksum, "
    "m.applied_at AS applied_at ORDER BY m.version",
)

RECORD_MIGRATION = Query(
    "admin.record_migration",
    "MERGE (m:Migration {version: $version}) "
    "SET m.name = $name, m.checksum = $checksum, m.applied_at = datetime()",
    write=True,
)

AWAIT_INDEXES = Query("admin.await_indexes", "CALL db.awaitIndexes($seconds)")

COUNT_NODES = Query(
    "admin.count_nodes",
    "UNWIND $labels AS label CALL (label) { MATCH (n:$(label)) RETURN count(n) AS count } "
    "RETURN label, count",
)

COUNT_RELATIONSHIPS = Query(
    "admin.count_relationships",
    "UNWIND $types AS type CALL (type) { MATCH ()-[r:$(type)]->() RETURN count(r) AS count } "
    "RETURN type, count",
)

# Relationships go first, 10,000 to a transaction, so that no transaction holds more than that whatever the
# degrees: a node deleted with its relationships takes a hub's every one into its batch's transaction, more
# than the transaction memory of a 1g heap holds. The nodes then leave bare (DETACH only for a link to a
# Migration node).
DELETE_RELATIONSHIPS = Query(
    "admin.delete_relationships",
    "MATCH (n)-[r]->() WHERE NOT n:Migration CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
    write=True,
)

DELETE_NODES = Query(
    "admin.delete_nodes",
    "MATCH (n) WHERE NOT n:Migration CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
    write=True,
)

SHOW_CONSTRAINTS = Query("admin.show_constraints", "SHOW CONSTRAINTS YIELD name RETURN name")
SHOW_INDEXES = Query("admin.show_indexes", "SHOW INDEXES YIELD name, type, state RETURN name, type, state")
DROP_CONSTRAINT = Query("admin.drop_constraint", "DROP CONSTRAINT $name IF EXISTS", write=True)
DROP_INDEX = Query("admin.drop_index", "DROP INDEX $name IF EXISTS", write=True)
DELETE_MIGRATIONS = Query("admin.delete_migrations", "MATCH (m:Migration) DELETE m", write=True)

# --- benchmark data (bench/bench_stamp.py), marked so that it is cleared exactly ---------------------------

ORGANIZATION_IDS = Query("admin.organization_ids", "MATCH (o:Organization) RETURN o.id AS id LIMIT $limit")

ADD_BENCH_ANSWERS = Query(
    "admin.add_bench_answers",
    """
    UNWIND $pairs AS pair
    MATCH (s:Organization {id: pair[0]}), (p:Organization {id: pair[1]})
    CREATE (s)-[:SUGGESTION_FEEDBACK {accepted: pair[2], at: datetime() - duration({seconds: pair[3]}),
                                       by: 'bench', bench: true}]->(p)
    """,
    write=True,
)

ADD_BENCH_RUNS = Query(
    "admin.add_bench_runs",
    """
    UNWIND $ids AS id
    CREATE (:IngestRun {id: id, status: 'bench', bench: true, started_at: datetime() - duration({days: 1}),
                        finished_at: datetime() - duration({days: 1})})
    """,
    write=True,
)

CLEAR_BENCH_ANSWERS = Query(
    "admin.clear_bench_answers",
    "MATCH ()-[f:SUGGESTION_FEEDBACK {bench: true}]->() CALL (f) { DELETE f } IN TRANSACTIONS OF 10000 ROWS",
    write=True,
)

CLEAR_BENCH_RUNS = Query(
    "admin.clear_bench_runs",
    "MATCH (r:IngestRun {bench: true}) CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
    write=True,
)
