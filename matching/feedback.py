"""Accepting or declining a suggestion, recorded in the graph (who, when, comment).

A declined pair is excluded from the seeker's later suggestions; accepted and declined pairs are what
``clusterkg tune`` fits the signal weights to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graph.db import Graph
from graph.queries import matching as queries
from schema.errors import MatchingError, NotFound, echo


@dataclass(frozen=True)
class Feedback:
    """One recorded answer to a suggestion."""

    seeker: str
    partner: str
    accepted: bool
    comment: str | None
    by: str | None
    at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record(
    graph: Graph,
    organization_id: str,
    partner_id: str,
    accepted: bool,
    comment: str | None = None,
    by: str | None = None,
) -> Feedback:
    """Record that ``organization_id`` accepted or declined ``partner_id`` as a suggested partner; the latest
    answer for a pair replaces an earlier one. ``by`` names the person or API key that answered."""
    if organization_id == partner_id:
        raise MatchingError("An organization cannot give feedback on itself as a partner")
    rows = graph.run(
        queries.RECORD_FEEDBACK,
        seeker=organization_id,
        partner=partner_id,
        accepted=accepted,
        comment=comment,
        by=by,
    )
    if not rows:
        ids = [organization_id, partner_id]
        missing = [row["id"] for row in graph.run(queries.MISSING_ORGANIZATIONS, ids=ids)] or ids
        raise NotFound(f"No organization {' and no organization '.join(echo(i) for i in missing)}")
    return Feedback(**rows[0])


def feedback_of(graph: Graph, organization_id: str) -> list[Feedback]:
    """Every answer ``organization_id`` gave, newest first."""
    return [Feedback(**row) for row in graph.run(queries.FEEDBACK_OF, seeker=organization_id)]
