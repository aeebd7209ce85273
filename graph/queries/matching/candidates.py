"""The seeker and its candidates: one round trip for a suggestion (:data:`SUGGEST`), the seeker's profile
alone (:data:`SEEKER`), and the index searches as a suggestion makes them, for ``matching.index_check`` and
the benchmarks. The queries with the seeker's profile are the only ones that read an organization's needs,
and only the seeker's own (``graph.queries.matching``).
"""

from __future__ import annotations

from typing import LiteralString, cast

from graph.queries.matching.filters import FILTERS
from graph.query import Query

_INDEX_SEARCH: LiteralString = """
    CALL (vector) {
      WITH vector WHERE vector IS NOT NULL
      CALL db.index.vector.queryNodes('organization_capability_embedding', $search_k, vector)
        YIELD node, score
      RETURN collect({c: node, score: score}) AS found
    }
    """
"""The capabilities nearest to ``vector`` that the index finds searching ``$search_k`` deep, as ``found``
(empty without a vector). An HNSW search is approximate: searching deeper than the ``$k`` kept finds more of
the true nearest, and what it found is returned too, so that ``matching.index_check`` can check it. The
index keeps full vectors (``matching.vector_index``), so its scores are the exact (1 + cos) / 2 and need no
re-ranking: a quantized index needed the exact cosine of every vector found, read from the store, 28% of the
server's CPU for a suggestion (Java Flight Recorder)."""

_TOP_K: LiteralString = """
    WITH c, score ORDER BY score DESC LIMIT $k
    """
"""The ``$k`` nearest of those found (:data:`_INDEX_SEARCH`) that pass the filters."""

_SEARCHED: LiteralString = """
    [hit IN found | hit.c.id] AS searched_ids, [hit IN found | hit.score] AS searched_scores,
    COUNT { (:Organization) } AS organizations
    """
"""What the index search found (ids and scores, nearest first), for ``matching.index_check``, and how many
organizations the graph holds (from the count store), which tells it when its sample is older."""

_PUBLIC_NEED_VECTOR = "head([(s)-[:STATES_NEED]->(t:NeedText) | t.embedding])"
"""The vector of the seeker's public need: its text's node's."""


def _need(part: str, *, own: bool) -> str:
    """The seeker's need ``part`` (``embedding``, ``sentences``...): its public need's, or, when ``own`` (the
    organization asks for itself or its manager for it), its public or private need's."""
    public = _PUBLIC_NEED_VECTOR if part == "embedding" else f"s.needs_{part}"
    return f"coalesce({public}, s.private_needs_{part})" if own else public


def _seeker_context(*, own: bool) -> LiteralString:
    """The seeker ``s`` (null for an anonymous need) in the server: the vector it searches with (``$vector``
    when given, else its need's (see :func:`_need`), else its capability's), its partners and its clusters,
    as nodes, so that the candidate queries below never send a vector or an id list back and forth."""
    text = f"""
    WITH s, coalesce($vector, {_need("embedding", own=own)}, s.capability_embedding) AS vector,
         [(s)-[:COLLABORATES_WITH]-(p:Organization) | p] AS partners,
         [(s)-[:MEMBER_OF]->(k:Cluster) | k] AS clusters
    """
    return cast(LiteralString, text)


def _seeker_profile(*, own: bool) -> LiteralString:
    """What ``matching.seeker`` needs of an organization asking: its place, the sentences of the text it
    searches with (its need's, see :func:`_need`, else its capability's), partners, clusters with their
    managers, declined suggestions. Null when ``s`` is."""
    need = _need("embedding", own=own)
    text = f"""
    s {{.id, .name, .role, .city, .region, .country, .lat, .lon,
       basis: CASE WHEN {need} IS NOT NULL THEN 'need'
                   WHEN s.capability_embedding IS NOT NULL THEN 'capability' END,
       sentences: CASE WHEN {need} IS NOT NULL THEN {_need("sentences", own=own)}
                       ELSE s.capability_sentences END,
       sentence_vectors: CASE WHEN {need} IS NOT NULL THEN {_need("sentence_vectors", own=own)}
                              ELSE s.capability_sentence_vectors END,
       partners: [p IN partners | p {{.id, .name, .role}}],
       clusters: [k IN clusters | k {{.id, .name,
                  managers: [(m:Organization)-[:MANAGES]->(k) | m {{.id, .name, .role}}]}}],
       declined: [(s)-[f:SUGGESTION_FEEDBACK]->(d:Organization) WHERE f.accepted = false | d.id]}}
    """
    return cast(LiteralString, text)


_SHARED_CLUSTERS: LiteralString = """
      WITH c, sources, score, vector, partners, partners_of_partners,
           CASE WHEN clusters = [] THEN [] ELSE [(c)-[:MEMBER_OF]->(k) WHERE k IN clusters | k.id] END
             AS shared_clusters
    """
"""The seeker's clusters that candidate ``c`` is a member of, as ``shared_clusters``: its memberships are
walked only when the seeker has a cluster (most organizations have none)."""

_CANDIDATE_INPUTS: LiteralString = """
    c {.id, .role, .city, .region, .lat, .lon, sources, shared_clusters,
       similarity: coalesce(score, vector.similarity.cosine(c.capability_embedding, vector)),
       degree: CASE WHEN shared_clusters = [] THEN null ELSE COUNT { (c)-[:COLLABORATES_WITH]-() } END,
       shared_partners: CASE WHEN c IN partners_of_partners
                             THEN [(c)-[:COLLABORATES_WITH]-(p) WHERE p IN partners | p.id] ELSE [] END}
    """
"""What the signals of a candidate ``c`` are computed from (``matching.signal_ranking.CandidateSignals``),
after :data:`_SHARED_CLUSTERS`. Similarities are (1 + cos) / 2, as the index scores them. Its name comes
with the few best's texts (``details.POOL_DETAILS``): each property read walks the node's property chain
again. Each walk of the candidate's relationships is made only where the signals read it (a walk reads
every relationship of the node, of any type): its degree only where it shares a cluster (``signals.novelty``
reads it nowhere else; null otherwise), its shared partners only where it is one of ``partners_of_partners``
(the seeker's partners' own partners, walked once from the few partners instead of from each of the
hundred-odd candidates; a candidate outside it shares none). ``p IN partners`` alone tells a partner (the
seeker's partners are organizations), so the other end's labels are not read."""

_SIMILAR_PEERS: LiteralString = """
          CALL db.index.vector.queryNodes('need_text_embedding', $similar_k + 1, vector)
            YIELD node AS text, score
          WITH s, text ORDER BY score DESC
          WITH s, collect(text) AS texts
          CALL (s, texts) {
            UNWIND texts AS text
            MATCH (text)<-[:STATES_NEED]-(peer:Organization)
            WHERE peer.needs_visibility = 'public' AND (s IS NULL OR peer <> s)
            RETURN text, peer LIMIT $similar_k
          }
          WITH s, text, peer
    """
"""The ``$similar_k`` organizations with a public need nearest to ``vector`` (``peer``, with its ``text``),
the seeker aside: the nearest distinct public need texts in order, each with the organizations that state
it. Organizations stating one text tie; of a text stated by more than are wanted, the first the store reads
count. The texts are walked nearest first and the walk stops at ``$similar_k`` organizations, so a text
stated word for word by thousands costs what one stated by a few does, and the texts after the one that
fills the ``$similar_k`` are not read at all (most often the nearest text alone fills them: reading up to
``$similar_k`` of each text's organizations and sorting them all cost the server 0.6 ms of CPU per
suggestion more). ``$similar_k + 1`` texts cover the seeker's own."""

SEEKER = Query(
    "matching.seeker",
    """
    MATCH (s:Organization {id: $id})
    """
    + _seeker_context(own=False)
    + "RETURN vector AS embedding, "
    + _seeker_profile(own=False)
    + " AS seeker",
    plain=True,
)
"""The seeker's profile and the vector it searches with (``$vector`` null: its stored one), for the
benchmarks; ``suggest`` reads the profile together with its candidates. The queries with the seeker's
profile are the only ones that read an organization's needs, and only the seeker's own; this one only a
public need."""

SUGGEST = Query(
    "matching.suggest",
    """
    OPTIONAL MATCH (s:Organization {id: $seeker})
    """
    + _seeker_context(own=True)
    + """
    WITH s, vector, partners, clusters,
         coalesce(s.location, CASE WHEN $lat IS NOT NULL AND $lon IS NOT NULL
                                   THEN point({latitude: $lat, longitude: $lon}) END) AS origin,
         [(s)-[f:SUGGESTION_FEEDBACK]->(d:Organization) WHERE f.accepted = false | d]
           + CASE WHEN $include_partners THEN [] ELSE partners END AS excluded,
         COLLECT { UNWIND partners AS p MATCH (p)-[:COLLABORATES_WITH]-(n) RETURN n } AS partners_of_partners
    """
    + _INDEX_SEARCH
    + """
    CALL (s, vector, partners, clusters, origin, excluded, found, partners_of_partners) {
      CALL (s, vector, partners, clusters, origin, excluded, found) {
        CALL (s, vector, partners, clusters, origin, excluded, found) {
          UNWIND found AS hit
          WITH s, vector, origin, excluded, hit.c AS c, hit.score AS score WHERE"""
    + FILTERS
    + _TOP_K
    + """
          RETURN c, 'semantic' AS source, score
          UNION
          UNWIND partners AS p
          MATCH (p)-[:COLLABORATES_WITH]-(c:Organization)
          WITH c, count(*) AS paths ORDER BY paths DESC LIMIT $graph_limit
          RETURN c, 'partner_of_partner' AS source, null AS score
          UNION
          UNWIND clusters AS k
          CALL (k) { MATCH (k)<-[:MEMBER_OF]-(c:Organization) RETURN c LIMIT $cluster_limit }
          RETURN DISTINCT c, 'same_cluster' AS source, null AS score
          UNION
          WITH s, vector WHERE vector IS NOT NULL"""
    + _SIMILAR_PEERS
    + """
          MATCH (peer)-[:COLLABORATES_WITH]-(c:Organization)
          WITH c, count(*) AS peers ORDER BY peers DESC LIMIT $graph_limit
          RETURN c, 'partner_of_similar' AS source, null AS score
        }
        RETURN c, collect(source) AS sources, max(score) AS score
      }
      WITH *
      WHERE"""
    + FILTERS
    + _SHARED_CLUSTERS
    + """
      RETURN collect("""
    + _CANDIDATE_INPUTS
    + """) AS candidates
    }
    RETURN """
    + _seeker_profile(own=True)
    + """ AS seeker, candidates, CASE WHEN $vector IS NULL THEN vector END AS vector,"""
    + _SEARCHED,
    plain=True,
)
"""One round trip for a suggestion: the seeker's profile (null for an anonymous need, or an unknown id) and
its filtered candidates with what the signals need. Candidates come from the capability vector index (the
seeker's need against others' capabilities, see ``_TOP_K``: the nearest that pass the filters, which
apply after the index) and from the graph (up to ``$graph_limit`` partners of partners, ``$cluster_limit``
members of each shared cluster and ``$graph_limit`` partners of organizations with a similar public need).
Excluded: the seeker, organizations it declined, and its partners unless ``$include_partners``."""

ROUND_TRIP = Query("matching.round_trip", "RETURN 1 AS one")
"""The cheapest query: the baseline a suggestion's latency is compared with in the same run."""

NEAREST_NEEDS = Query(
    "matching.nearest_needs",
    """
    WITH $vector AS vector, null AS s
    """
    + _SIMILAR_PEERS
    + """
    RETURN peer.id AS id, 2 * vector.similarity.cosine(text.embedding, $vector) - 1 AS cosine
    """,
)
"""The organizations with a public need nearest to ``$vector``, searched as :data:`SUGGEST` searches for
organizations with a similar need (``$similar_k``), with the cosine of their need."""

NEAREST_CAPABILITIES = Query(
    "matching.nearest_capabilities",
    """
    WITH $vector AS vector
    """
    + _INDEX_SEARCH
    + "RETURN"
    + _SEARCHED,
    plain=True,
)
"""What the index finds nearest to ``$vector`` searching ``$search_k`` deep, as :data:`SUGGEST` searches it
(``matching.index_check.nearest_capabilities`` checks it and keeps the ``k`` nearest)."""
