"""Queries of matching: the embedding write path, the candidates and signals of a suggestion, feedback.

Privacy: a seeker's needs are read only by :data:`SEEKER` (for the seeker itself). No other query here
returns another organization's needs, and the needs vector index is searched only over public needs.
"""

from __future__ import annotations

from typing import LiteralString

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

# --- suggestions -------------------------------------------------------------------------------------------

SEEKER = Query(
    "matching.seeker",
    """
    MATCH (s:Organization {id: $id})
    WITH s, s.needs_embedding IS NOT NULL AS has_needs
    RETURN s.id AS id, s.name AS name, s.role AS role, s.city AS city, s.region AS region,
           s.country AS country, s.lat AS lat, s.lon AS lon,
           CASE WHEN has_needs THEN 'need' WHEN s.capability_embedding IS NOT NULL THEN 'capability' END
             AS basis,
           coalesce(s.needs_embedding, s.capability_embedding) AS embedding,
           CASE WHEN has_needs THEN s.needs_sentences ELSE s.capability_sentences END AS sentences,
           CASE WHEN has_needs THEN s.needs_sentence_vectors ELSE s.capability_sentence_vectors END
             AS sentence_vectors,
           [(s)-[:COLLABORATES_WITH]-(p:Organization) | p {.id, .name, .role}] AS partners,
           [(s)-[:MEMBER_OF]->(c:Cluster) | c {.id, .name,
              managers: [(m:Organization)-[:MANAGES]->(c) | m {.id, .name, .role}]}] AS clusters,
           [(s)-[f:SUGGESTION_FEEDBACK]->(d:Organization) WHERE f.accepted = false | d.id] AS declined
    """,
)
"""The seeker's profile and the vector it searches with: its needs' (else, with no need stated, its
capability's). The only query that reads an organization's needs, and only the seeker's own."""

_SIGNAL_INPUTS: LiteralString = """
    RETURN c.id AS id, c.name AS name, c.role AS role, c.city AS city, c.region AS region, c.lat AS lat,
           c.lon AS lon, sources,
           coalesce(score, vector.similarity.cosine(c.capability_embedding, $vector)) AS similarity,
           [(c)-[:MEMBER_OF]->(k:Cluster) | k.id] AS clusters,
           COUNT { (c)-[:COLLABORATES_WITH]-(:Organization) } AS degree,
           [(c)-[:COLLABORATES_WITH]-(p:Organization) WHERE p.id IN $partners | p.id] AS shared_partners
    """
"""What the signals of a candidate ``c`` are computed from (``matching.suggest.candidate_signals``), shared by
:data:`CANDIDATES` and :data:`PAIR_SIGNAL_INPUTS` so that ``tune`` fits exactly what ``suggest`` ranks by."""

CANDIDATES = Query(
    "matching.candidates",
    """
    CALL () {
      CALL db.index.vector.queryNodes('organization_capability_embedding', $k, $vector) YIELD node, score
      RETURN node AS c, 'semantic' AS source, score
      UNION
      MATCH (:Organization {id: $seeker})-[:COLLABORATES_WITH]-(:Organization)
            -[:COLLABORATES_WITH]-(c:Organization)
      WITH c, count(*) AS paths ORDER BY paths DESC LIMIT $graph_limit
      RETURN c, 'partner_of_partner' AS source, null AS score
      UNION
      MATCH (:Organization {id: $seeker})-[:MEMBER_OF]->(k:Cluster)
      CALL (k) { MATCH (k)<-[:MEMBER_OF]-(c:Organization) RETURN c LIMIT $graph_limit }
      RETURN DISTINCT c, 'same_cluster' AS source, null AS score
      UNION
      CALL db.index.vector.queryNodes('organization_needs_embedding', $similar_k, $vector) YIELD node AS peer
      WITH peer WHERE peer.needs_visibility = 'public' AND peer.id <> $seeker
      MATCH (peer)-[:COLLABORATES_WITH]-(c:Organization)
      WITH c, count(*) AS peers ORDER BY peers DESC LIMIT $graph_limit
      RETURN c, 'partner_of_similar' AS source, null AS score
    }
    WITH c, collect(source) AS sources, max(score) AS score
    WHERE c.id <> $seeker AND NOT c.id IN $exclude
      AND ($roles IS NULL OR c.role IN $roles)
      AND ($size_classes IS NULL OR c.size_class IN $size_classes)
      AND ($sectors IS NULL OR any(sector IN coalesce(c.sectors, []) WHERE sector IN $sectors))
      AND ($regions IS NULL OR c.region IN $regions OR c.country IN $regions OR c.city IN $regions
           OR EXISTS { (c)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..6]->(g:Region)
                       WHERE g.id IN $regions OR g.name IN $regions })
      AND ($clusters IS NULL
           OR EXISTS { (c)-[:MEMBER_OF]->(k:Cluster) WHERE k.id IN $clusters OR k.name IN $clusters })
      AND ($max_m IS NULL OR point.distance(c.location, point({latitude: $lat, longitude: $lon})) <= $max_m)
    """
    + _SIGNAL_INPUTS,
)
"""Candidates from the capability vector index (the seeker's need against others' capabilities, over-fetched
because filters apply after the index) and from the graph (partners of partners, up to ``$graph_limit``
members of each shared cluster, partners of organizations with a similar public need), filtered, with what
the signals need. Similarities are (1 + cos) / 2, as the index scores them."""

POOL_DETAILS = Query(
    "matching.pool_details",
    """
    UNWIND range(0, size($ids) - 1) AS i
    MATCH (c:Organization {id: $ids[i]})
    WITH i, c ORDER BY i
    WITH collect(c) AS pool
    UNWIND pool AS c
    RETURN c.id AS id, c.capability_sentences AS sentences,
           c.capability_sentence_vectors AS sentence_vectors,
           [o IN pool | vector.similarity.cosine(c.capability_embedding, o.capability_embedding)]
             AS similarities
    """,
)
"""For the best candidates only (in ``$ids`` order): their pairwise similarities, computed in the server so
that no 384-float vector travels, for the diversity re-ranking; their sentences for the pair reason."""

PAIR_SIGNAL_INPUTS = Query(
    "matching.pair_signal_inputs",
    """
    UNWIND $ids AS id
    MATCH (c:Organization {id: id})
    WITH c, [] AS sources, null AS score
    """
    + _SIGNAL_INPUTS,
)
"""The signal inputs of given candidates for one seeker (``tune`` scores known pairs with it)."""

# --- feedback and tuning -----------------------------------------------------------------------------------

RECORD_FEEDBACK = Query(
    "matching.record_feedback",
    """
    MATCH (s:Organization {id: $seeker})
    MATCH (p:Organization {id: $partner})
    MERGE (s)-[f:SUGGESTION_FEEDBACK]->(p)
    SET f.accepted = $accepted, f.comment = $comment, f.by = $by, f.at = datetime()
    RETURN s.id AS seeker, p.id AS partner, f.accepted AS accepted, f.comment AS comment, f.by AS by,
           toString(f.at) AS at
    """,
    write=True,
)
"""One edge per (seeker, suggested) pair: the latest answer wins, so a declined pair can be accepted later."""

FEEDBACK_OF = Query(
    "matching.feedback_of",
    """
    MATCH (s:Organization {id: $seeker})-[f:SUGGESTION_FEEDBACK]->(p:Organization)
    RETURN s.id AS seeker, p.id AS partner, f.accepted AS accepted, f.comment AS comment, f.by AS by,
           toString(f.at) AS at
    ORDER BY f.at DESC
    """,
)

TRAINING_PAIRS = Query(
    "matching.training_pairs",
    """
    CALL () {
      MATCH (a:Organization)-[f:SUGGESTION_FEEDBACK]->(b:Organization)
      RETURN a.id AS seeker, b.id AS candidate, f.accepted AS accepted, 'feedback' AS origin
      UNION
      MATCH (a:Organization)-[:COLLABORATES_WITH]-(b:Organization)
      WHERE a.capability_embedding IS NOT NULL OR a.needs_embedding IS NOT NULL
      RETURN a.id AS seeker, b.id AS candidate, true AS accepted, 'collaboration' AS origin
    }
    RETURN seeker, candidate, accepted, origin ORDER BY rand() LIMIT $limit
    """,
)
"""Known good pairs (accepted suggestions, historical collaborations, both directions) and known bad ones
(declined suggestions), in random order."""

RANDOM_ORGANIZATIONS = Query(
    "matching.random_organizations",
    """
    MATCH (o:Organization) WHERE o.capability_embedding IS NOT NULL
    WITH o, rand() AS r ORDER BY r LIMIT $limit
    RETURN o.id AS id
    """,
)
"""A random sample of embedded organizations: the negatives ``tune`` contrasts known pairs with."""

# --- benchmarks (bench/bench_embed.py, bench/bench_suggest.py) ----------------------------------------------

COUNT_EMBEDDED = Query(
    "matching.count_embedded",
    """
    MATCH (o:Organization)
    RETURN count(o) AS organizations, count(o.capability_embedding) AS capability,
           count(o.needs_embedding) AS needs
    """,
)

CAPABILITY_VECTORS_PAGE = Query(
    "matching.capability_vectors_page",
    """
    MATCH (o:Organization) WHERE o.id > $after AND o.capability_embedding IS NOT NULL
    RETURN o.id AS id, o.capability_embedding AS vector ORDER BY o.id LIMIT $limit
    """,
)
"""Every stored capability vector, page by page in id order: the exact top-k the index is compared with."""

NEAREST_CAPABILITIES = Query(
    "matching.nearest_capabilities",
    """
    CALL db.index.vector.queryNodes('organization_capability_embedding', $k, $vector) YIELD node, score
    RETURN node.id AS id, score
    """,
)
"""The plain index answer, as ``suggest`` gets its semantic candidates."""

FORGET_EMBEDDING_HASHES = Query(
    "matching.forget_embedding_hashes",
    "MATCH (o:Organization) REMOVE o.capability_hash, o.needs_hash",
    write=True,
)
"""Mark every text as changed, so the next ``embed`` encodes everything again."""
