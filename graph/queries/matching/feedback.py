"""The answers to suggestions: one ``SUGGESTION_FEEDBACK`` edge per (seeker, suggested) pair, and its
reading back.
"""

from __future__ import annotations

from graph.query import Query

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

MISSING_ORGANIZATIONS = Query(
    "matching.missing_organizations",
    "UNWIND $ids AS id WITH id WHERE NOT EXISTS { MATCH (:Organization {id: id}) } RETURN id",
)
"""Which of ``$ids`` name no organization (an answer about an unknown pair names the unknown side)."""

FEEDBACK_OF = Query(
    "matching.feedback_of",
    """
    MATCH (s:Organization {id: $seeker})-[f:SUGGESTION_FEEDBACK]->(p:Organization)
    RETURN s.id AS seeker, p.id AS partner, f.accepted AS accepted, f.comment AS comment, f.by AS by,
           toString(f.at) AS at
    ORDER BY f.at DESC
    """,
)
