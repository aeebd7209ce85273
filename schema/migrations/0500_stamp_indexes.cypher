// The graph's stamp (graph/queries/snapshot.py: VERSION), asked before every learned suggestion, reads the
// last ingest run's end and the last feedback answer's time. Without these indexes each was a scan of every
// run (one per ingest and API upsert) and every answer: 200,000 answers cost 89 ms of server CPU per
// suggestion. With them each is one step along an index from its end.

CREATE RANGE INDEX ingest_run_finished_at IF NOT EXISTS FOR (r:IngestRun) ON (r.finished_at);
CREATE RANGE INDEX suggestion_feedback_at IF NOT EXISTS FOR ()-[f:SUGGESTION_FEEDBACK]-() ON (f.at);
