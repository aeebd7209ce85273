"""What the reasons of a learned suggestion read once the snapshot has ranked: the seeker's profile and the
ranked candidates that pass the filters, and the sentences of the best candidates.
"""

from __future__ import annotations

from graph.queries import snapshot
from graph.queries.matching.filters import FILTERS
from graph.query import Query

_DETAILS = (
    """
    OPTIONAL MATCH (s:Organization {id: $seeker})
    WITH s, [(s)-[:MEMBER_OF]->(k:Cluster) | k] AS clusters, [] AS excluded,
         s.location AS origin
    CALL (s, clusters, excluded, origin) {
      UNWIND range(0, size($ids) - 1) AS i
      MATCH (c:Organization {id: $ids[i]})
      WITH s, clusters, excluded, origin, c, i WHERE"""
    + FILTERS
    + """
      WITH c, i, clusters ORDER BY i
      RETURN collect(c {.id, .name, .role, .city, .region, .lat, .lon,
                        shared_clusters: [(c)-[:MEMBER_OF]->(k:Cluster) WHERE k IN clusters | k.id]})
             AS candidates
    }
    CALL () {
      MATCH (p:Organization) WHERE p.id IN $partners
      RETURN collect(p {.id, .name, .role}) AS partners
    }
    """
)
_DETAILS_RETURN = """
    RETURN s {.id, .name, .role, .city, .region, .country, .lat, .lon,
              clusters: [k IN clusters | k {.id, .name,
                         managers: [(m:Organization)-[:MANAGES]->(k) | m {.id, .name, .role}]}]} AS seeker,
           candidates, partners"""
LEARNED_DETAILS = Query("matching.learned_details", _DETAILS + _DETAILS_RETURN, plain=True)
"""One round trip for a learned suggestion: the seeker's profile (no text, no needs: the ranking read those
from the snapshot), the ranked candidates ``$ids`` that pass the filters, in their order, with what their
reasons need, and the names of the shared partners ``$partners`` the snapshot found."""
LEARNED_DETAILS_CHECKED = Query(
    "matching.learned_details_checked",
    _DETAILS + snapshot.VERSION_CALLS + _DETAILS_RETURN + ", " + snapshot.VERSION_MAP + " AS version",
    plain=True,
)
"""The same and the graph's version in the same round trip, for a ranking on a snapshot held since an
earlier request: its details are used only when the version is the snapshot's."""

POOL_DETAILS = Query(
    "matching.pool_details",
    """
    UNWIND range(0, size($ids) - 1) AS i
    MATCH (c:Organization {id: $ids[i]})
    RETURN c.id AS id, c.name AS name, c.capability_sentences AS sentences,
           c.capability_sentence_vectors AS sentence_vectors
    ORDER BY i
    """,
    plain=True,
)
"""For the best candidates only (in ``$ids`` order): their names, and their sentences and sentence vectors
for the pair reason and the diversity re-ranking (``matching.signal_ranking.pairwise``)."""
