// Core schema: a uniqueness constraint on every id, lookup indexes for entity resolution and filters,
// a full-text index on names and (public) descriptions, and vector indexes for the embeddings.
// Private needs are deliberately NOT in the full-text index.

CREATE CONSTRAINT organization_id IF NOT EXISTS FOR (n:Organization) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT cluster_id IF NOT EXISTS FOR (n:Cluster) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT region_id IF NOT EXISTS FOR (n:Region) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT capability_id IF NOT EXISTS FOR (n:Capability) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT project_id IF NOT EXISTS FOR (n:Project) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT source_name IF NOT EXISTS FOR (n:Source) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT ingest_run_id IF NOT EXISTS FOR (n:IngestRun) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE;

CREATE INDEX organization_role IF NOT EXISTS FOR (n:Organization) ON (n.role);
CREATE INDEX organization_name IF NOT EXISTS FOR (n:Organization) ON (n.name);
CREATE INDEX organization_registry_id IF NOT EXISTS FOR (n:Organization) ON (n.registry_id);
CREATE INDEX organization_vat IF NOT EXISTS FOR (n:Organization) ON (n.vat);
CREATE INDEX organization_domain IF NOT EXISTS FOR (n:Organization) ON (n.domain);
CREATE INDEX organization_country IF NOT EXISTS FOR (n:Organization) ON (n.country);
CREATE INDEX organization_size_class IF NOT EXISTS FOR (n:Organization) ON (n.size_class);
CREATE INDEX capability_name IF NOT EXISTS FOR (n:Capability) ON (n.name);
CREATE INDEX api_key_hash IF NOT EXISTS FOR (n:ApiKey) ON (n.hash);
CREATE POINT INDEX organization_location IF NOT EXISTS FOR (n:Organization) ON (n.location);

CREATE FULLTEXT INDEX organization_text IF NOT EXISTS FOR (n:Organization) ON EACH [n.name, n.description];

CREATE VECTOR INDEX organization_capability_embedding IF NOT EXISTS
FOR (n:Organization) ON (n.capability_embedding)
OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}};

CREATE VECTOR INDEX organization_needs_embedding IF NOT EXISTS
FOR (n:Organization) ON (n.needs_embedding)
OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}};
