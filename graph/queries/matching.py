"""Queries of matching: the embedding write path, the candidates and signals of a suggestion, feedback.

Privacy: a seeker's needs are read only by :data:`SEEKER` (for the seeker itself). No other query here
returns another organization's needs, and the needs vector index is searched only over public needs.
"""

from __future__ import annotations

from graph.query import Query

# --- embeddings ---------------------------------------------------------------------------------------------

EMBED_STATE = Query(
    "matching.embed_state",
    """
    MATCH (o:Organization)
    RETURN o.id AS id, o.description AS description, o.needs AS needs,
           o.capability_hash AS capability_hash, o.needs_hash AS needs_hash
    """,
)

WRITE_CAPABILITY_EMBEDDINGS = Query(
    "matching.write_capability_embeddings",
    """
    UNWIND $rows AS row
    MATCH (o:Organization {id: row.id})
    CALL db.create.setNodeVectorProperty(o, 'capability_embedding', row.vector)
    SET o.capability_hash = row.hash, o.capability_sentences = row.sentences,
        o.capability_sentence_vectors = row.sentence_vectors
    """,
    write=True,
)

WRITE_NEEDS_EMBEDDINGS = Query(
    "matching.write_needs_embeddings",
    """
    UNWIND $rows AS row
    MATCH (o:Organization {id: row.id})
    CALL db.create.setNodeVectorProperty(o, 'needs_embedding', row.vector)
    SET o.needs_hash = row.hash, o.needs_sentences = row.sentences,
        o.needs_sentence_vectors = row.sentence_vectors
    """,
    write=True,
)

CLEAR_CAPABILITY_EMBEDDINGS = Query(
    "matching.clear_capability_embeddings",
    """
    UNWIND $ids AS id
    MATCH (o:Organization {id: id})
    REMOVE o.capability_embedding, o.capability_hash, o.capability_sentences, o.capability_sentence_vectors
    """,
    write=True,
)

CLEAR_NEEDS_EMBEDDINGS = Query(
    "matching.clear_needs_embeddings",
    """
    UNWIND $ids AS id
    MATCH (o:Organization {id: id})
    REMOVE o.needs_embedding, o.needs_hash, o.needs_sentences, o.needs_sentence_vectors
    """,
    write=True,
)
