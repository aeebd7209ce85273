"""The vector indexes: their state and configuration, their (re)creation with the HNSW settings of config,
and the stored vectors that their answers are checked against (``matching.index_check``, the benchmarks).
"""

from __future__ import annotations

from graph.query import Query

VECTOR_INDEX = Query(
    "matching.vector_index",
    "SHOW VECTOR INDEXES YIELD name, state, options WHERE name = $name "
    "RETURN state, options.indexConfig AS config",
)
"""The state and configuration of the vector index ``$name``; no row when it does not exist."""

DROP_VECTOR_INDEX = Query("matching.drop_vector_index", "DROP INDEX $name IF EXISTS", write=True)

VECTOR_INDEX_EMPTY = Query(
    "matching.vector_index_empty",
    "CALL db.index.vector.queryNodes($name, 1, $probe) YIELD node RETURN count(node) = 0 AS empty",
)
"""Whether the online vector index ``$name`` holds no vector: a search for any ``$probe`` finds nothing
(one look-up, where counting the vectors stored would read each of them)."""

CREATE_CAPABILITY_INDEX = Query(
    "matching.create_capability_index",
    """
    CREATE VECTOR INDEX organization_capability_embedding IF NOT EXISTS
    FOR (n:Organization) ON (n.capability_embedding) OPTIONS {indexConfig: $config}
    """,
    write=True,
)
CREATE_NEEDS_INDEX = Query(
    "matching.create_needs_index",
    """
    CREATE VECTOR INDEX need_text_embedding IF NOT EXISTS
    FOR (t:NeedText) ON (t.embedding) OPTIONS {indexConfig: $config}
    """,
    write=True,
)
"""The two vector indexes as ``graph.vector_index`` (re)creates them, with the HNSW settings of ``$config``
(the first ones come from migrations 0001 and 0400 with Neo4j's defaults). The needs index holds each
distinct public need text once: HNSW links identical vectors only to each other, so 600 organizations
stating one text word for word formed an island of 600 in a per-organization index that a search 20 deep
never reached (``bench/bench_suggest.py``)."""

CAPABILITY_VECTORS_PAGE = Query(
    "matching.capability_vectors_page",
    """
    MATCH (o:Organization) WHERE o.id > $after AND o.capability_embedding IS NOT NULL
    RETURN o.id AS id, o.capability_embedding AS vector ORDER BY o.id LIMIT $limit
    """,
)
"""Every stored capability vector, page by page in id order: the exact top-k the index is compared with."""

NEEDS_VECTORS_PAGE = Query(
    "matching.needs_vectors_page",
    """
    MATCH (t:NeedText)<-[:STATES_NEED]-(o:Organization) WHERE o.id > $after
    RETURN o.id AS id, t.embedding AS vector ORDER BY o.id LIMIT $limit
    """,
)
"""Every organization with a public need and its text's vector (what the needs index holds, once per text),
page by page in id order, for the same comparison."""


CAPABILITY_SAMPLE = Query(
    "matching.capability_sample",
    """
    CALL () { MATCH (o:Organization) RETURN count(o) AS organizations }
    WITH organizations, CASE WHEN organizations <= $all_below THEN 1.0 ELSE $share END AS share
    OPTIONAL MATCH (o:Organization) WHERE o.capability_embedding IS NOT NULL AND rand() < share
    RETURN organizations, share, o.id AS id, o.capability_embedding AS vector
    """,
    plain=True,
)
"""A random ``$share`` of the stored capability vectors (all of them in a graph of at most ``$all_below``
organizations), which ``matching.index_check`` holds to check the index's answers. A sample of no vector is
one row of nulls, so that it still says how many organizations the graph held."""

CAPABILITY_VECTORS = Query(
    "matching.capability_vectors",
    """
    UNWIND $ids AS id
    MATCH (o:Organization {id: id}) WHERE o.capability_embedding IS NOT NULL
    RETURN o.id AS id, o.capability_embedding AS vector
    """,
    plain=True,
)
"""The current capability vectors of ``$ids``: a held sample may be older than the graph."""
