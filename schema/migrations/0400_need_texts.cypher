// The needs vector index holds each distinct public need text once. A per-organization index of public needs
// (organization_needs_embedding) left islands: HNSW links identical vectors only to each other, so a text
// stated word for word by hundreds of organizations formed a group that a search never reached. Now a
// (:NeedText {hash}) node per distinct public text (hash: of the embedder and the text, as needs_hash) holds
// its vector in `embedding`, covered by need_text_embedding, and each organization stating it publicly is
// linked (o)-[:STATES_NEED]->(t). Existing public need vectors move onto their text's node; the
// per-organization vectors, a bulk's staged needs (re-embedded by the next `clusterkg embed`) and the old
// index go.

CREATE CONSTRAINT need_text_hash IF NOT EXISTS FOR (t:NeedText) REQUIRE t.hash IS UNIQUE;

CREATE VECTOR INDEX need_text_embedding IF NOT EXISTS
FOR (t:NeedText) ON (t.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}};

MATCH (o:Organization)
WHERE o.needs_hash IS NOT NULL AND o.needs_visibility = 'public' AND o.needs IS NOT NULL
CALL (o) {
  WITH o WHERE o.needs_embedding IS NOT NULL
  MERGE (t:NeedText {hash: o.needs_hash})
  WITH o, t
  CALL (o, t) {
    WITH o, t WHERE NOT EXISTS { (t)<-[:STATES_NEED]-() }
    CALL db.create.setNodeVectorProperty(t, 'embedding', o.needs_embedding)
  }
  MERGE (o)-[:STATES_NEED]->(t)
} IN TRANSACTIONS OF 2000 ROWS;

DROP INDEX organization_needs_embedding IF EXISTS;

MATCH (o:Organization)
WHERE o.needs_hash IS NOT NULL OR o.staged_needs_hash IS NOT NULL OR o.needs_embedding IS NOT NULL
CALL (o) {
  CALL (o) {
    WITH o WHERE NOT EXISTS { (o)-[:STATES_NEED]->() }
    REMOVE o.needs_hash, o.needs_key, o.needs_sentences, o.needs_sentence_vectors
  }
  REMOVE o.needs_embedding, o.staged_needs_embedding, o.staged_needs_hash, o.staged_needs_key,
         o.staged_needs_sentences, o.staged_needs_sentence_vectors
} IN TRANSACTIONS OF 2000 ROWS;
