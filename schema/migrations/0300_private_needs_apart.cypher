// Privacy: a private need's vector no longer sits in needs_embedding, which the shared needs vector index
// covers. Vectors embedded there from private (or unmarked) needs are removed with what goes with them; the
// next `clusterkg embed` (or the API, on the next write) stores them as private_needs_*, in no index.

MATCH (o:Organization)
WHERE (o.needs_hash IS NOT NULL OR o.staged_needs_hash IS NOT NULL)
  AND coalesce(o.needs_visibility, '') <> 'public'
REMOVE o.needs_embedding, o.needs_hash, o.needs_key, o.needs_sentences, o.needs_sentence_vectors,
       o.staged_needs_embedding, o.staged_needs_hash, o.staged_needs_key, o.staged_needs_sentences,
       o.staged_needs_sentence_vectors;
