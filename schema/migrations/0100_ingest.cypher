// Ingest: the lookup key of entity resolution's last rule (normalized name + city), and the run history.
// Registry id, VAT and website domain are indexed by 0001_core already.

CREATE INDEX organization_name_key IF NOT EXISTS FOR (n:Organization) ON (n.name_key);
CREATE INDEX ingest_run_source IF NOT EXISTS FOR (n:IngestRun) ON (n.source);
