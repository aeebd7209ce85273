"""The provenance of ingest runs: an ``:IngestRun`` per run, linked to the ``:Source`` of each file it
loads, its heartbeat, and the runs found dead (silent for long) by the next run.
"""

from __future__ import annotations

from graph.query import Query

START_RUN = Query(
    "ingest.start_run",
    """
    CREATE (r:IngestRun {id: $run_id, started_at: $at, alive_at: $at, status: 'running', sources: $sources,
                         files: $files, file_hashes: $file_hashes, host: $host, pid: $pid})
    WITH r
    UNWIND $sources AS name
    MERGE (s:Source {name: name})
      ON CREATE SET s.created_at = $at
    SET s.last_run = $run_id, s.updated_at = $at
    CREATE (r)-[:LOADED_FROM]->(s)
    """,
    write=True,
)

RUN_ALIVE = Query(
    "ingest.run_alive",
    "MATCH (r:IngestRun {id: $run_id}) SET r.alive_at = $at",
    write=True,
)
"""The heartbeat of a running run: a run silent for long is taken for dead by the next run."""

RUNNING_RUNS = Query(
    "ingest.running_runs",
    """
    MATCH (r:IngestRun) WHERE r.status = 'running'
    RETURN r.id AS id, r.host AS host, r.pid AS pid,
           duration.inSeconds(coalesce(r.alive_at, r.started_at), $at).seconds AS silent
    """,
)

MARK_INTERRUPTED = Query(
    "ingest.mark_interrupted",
    """
    MATCH (r:IngestRun) WHERE r.id IN $ids AND r.status = 'running'
    SET r.status = 'interrupted', r.interrupted_by = $run_id, r.finished_at = $at
    """,
    write=True,
)

FINISH_RUN = Query(
    "ingest.finish_run",
    """
    MATCH (r:IngestRun {id: $run_id})
    SET r += $counts, r.status = $status, r.error = $error, r.not_loaded = $not_loaded, r.finished_at = $at
    """,
    write=True,
)
