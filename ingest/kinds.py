"""Recognizing the kind of a registry file from its (mapped) columns.

Each kind has columns that identify it; among the kinds whose identifying columns are all present, the one
whose fields cover the most columns wins. A tie, or no candidate, asks the user for ``--kind``.
"""

from __future__ import annotations

from schema.errors import IngestError
from schema.models import RecordKind

IDENTIFYING: dict[RecordKind, tuple[frozenset[str], ...]] = {
    RecordKind.ORGANIZATIONS: (frozenset({"id", "name", "role"}), frozenset({"id", "role"})),
    RecordKind.CLUSTERS: (frozenset({"id", "name", "stage"}), frozenset({"id", "name", "sector"})),
    RecordKind.MEMBERSHIPS: (frozenset({"organization", "cluster"}),),
    RecordKind.COLLABORATIONS: (frozenset({"source", "target"}),),
    RecordKind.PROJECTS: (frozenset({"id", "title"}), frozenset({"id", "start", "end"})),
    RecordKind.PARTICIPATIONS: (frozenset({"project", "organization"}),),
}


def detect_kind(fields: set[str], file: str) -> RecordKind:
    """The kind of a file providing these canonical fields."""
    scores: dict[RecordKind, int] = {}
    for kind, signatures in IDENTIFYING.items():
        if any(signature <= fields for signature in signatures):
            scores[kind] = len(fields & set(kind.model.model_fields))
    if not scores:
        known = f"its fields {sorted(fields)} fit no kind" if fields else "no column names a known field"
        raise IngestError(
            f"{file}: cannot tell what kind of records it holds ({known}); "
            f"pass --kind ({', '.join(k.value for k in RecordKind)}) or a --mapping"
        )
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    if len(winners) > 1:
        raise IngestError(
            f"{file}: its columns fit {', '.join(k.value for k in winners)} equally well; pass --kind"
        )
    return winners[0]
