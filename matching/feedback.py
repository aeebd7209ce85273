"""Accepting or declining a suggestion, recorded in the graph (who, when, comment).

A declined pair is excluded from the seeker's later suggestions; accepted and declined pairs are what
``clusterkg tune`` fits the signal weights to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graph.db import Graph
from graph.queries.matching import feedback as queries
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
    answer for a pair replaces an earlier one. ``by`` names the person or API key that answered. An unknown
    id is said before the pair is judged: "cannot give feedback on itself" about an id the graph lacks sent
    the caller to mend the pair, not the id."""
    if organization_id == partner_id:
        if missing := _missing(graph, [organization_id]):
            raise _not_found(missing)
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
        raise _not_found(_missing(graph, ids) or ids)
    return Feedback(**rows[0])


def _missing(graph: Graph, ids: list[str]) -> list[str]:
    """Which of ``ids`` name no organization."""
    return [row["id"] for row in graph.run(queries.MISSING_ORGANIZATIONS, ids=ids)]


def _not_found(ids: list[str]) -> NotFound:
    return NotFound(f"No organization {' and no organization '.join(echo(i) for i in ids)}")


def feedback_of(graph: Graph, organization_id: str) -> list[Feedback]:
    """Every answer ``organization_id`` gave, newest first."""
    return [Feedback(**row) for row in graph.run(queries.FEEDBACK_OF, seeker=organization_id)]
