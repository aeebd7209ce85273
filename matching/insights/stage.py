"""The lifecycle stage computed from the dated graph, by transparent rules on the figures, and the headline
figures the rules and the trend read.

The rules, tried in order, the first that holds wins (thresholds below; ``docs/insights.md`` says why):

1. **emergent**: fewer than ``EMERGENT_MEMBERS`` members, or an average degree below ``EMERGENT_DEGREE``
   (most members have no tie to another member: the network has not formed yet);
2. **growth**: at least ``GROWTH_JOINED`` of the members joined in the last ``WINDOW_YEARS`` years;
3. **transformative**: the external share rose by at least ``OPENING`` over those years (an established
   cluster reorienting its ties outward, the renewal the lifecycle literature describes);
4. **mature**: otherwise (established, slow entry, ties not turning outward).
"""

from __future__ import annotations

import datetime as dt

from matching.insights.data import Snapshot
from matching.insights.result import Figures, iso
from schema.graph_model import ClusterStage

EMERGENT_MEMBERS = 10
EMERGENT_DEGREE = 1.0
GROWTH_JOINED = 0.2
OPENING = 0.10
WINDOW_YEARS = 3


def years_before(date: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February falls back to the 28th); the calendar's first day where
    that would be before the year 1 (a view of so early a date holds nothing anyway)."""
    if date.year - years < dt.MINYEAR:
        return dt.date.min
    try:
        return date.replace(year=date.year - years)
    except ValueError:
        return date.replace(year=date.year - years, day=28)


def external_share(view: Snapshot) -> float:
    """Of the distinct collaborating pairs that touch a member, the share whose other end is no member."""
    total = len(view.internal) + len(view.external)
    return len(view.external) / total if total else 0.0


def headline(view: Snapshot, components: int) -> Figures:
    """The figures of one view (its ``stage`` is filled by :func:`computed_stage`)."""
    n, m = len(view.members), len(view.internal)
    linked = {member for pair in view.internal for member in pair}
    return Figures(
        date=iso(view.date),
        members=n,
        links=m,
        density=2 * m / (n * (n - 1)) if n > 1 else 0.0,
        average_degree=2 * m / n if n else 0.0,
        components=components,
        isolates=n - len(linked),
        external_share=external_share(view),
        stage="",
    )


def joined_since(view: Snapshot, start: dt.date) -> int:
    """Members whose (dated) membership began after ``start``."""
    return sum(1 for m in view.members.values() if m.since is not None and m.since > start)


def computed_stage(now: Figures, before: Figures, joined: int, start: dt.date) -> tuple[str, str]:
    """The stage of ``now`` and the rule that fired, with its numbers; ``before`` is the view at ``start``,
    ``WINDOW_YEARS`` earlier, and ``joined`` the members who joined since."""
    if now.members < EMERGENT_MEMBERS:
        return ClusterStage.EMERGENT.value, f"emergent: {now.members} members < {EMERGENT_MEMBERS}"
    if now.average_degree < EMERGENT_DEGREE:
        return ClusterStage.EMERGENT.value, (
            f"emergent: average degree {now.average_degree:.2f} < {EMERGENT_DEGREE:.1f} "
            f"({now.isolates} of {now.members} members without a tie to another member)"
        )
    share = joined / now.members
    if share >= GROWTH_JOINED:
        return ClusterStage.GROWTH.value, (
            f"growth: {joined} of {now.members} members ({share:.0%}) joined after {start.isoformat()} "
            f"(>= {GROWTH_JOINED:.0%} in {WINDOW_YEARS} years)"
        )
    opening = now.external_share - before.external_share
    if opening >= OPENING:
        return ClusterStage.TRANSFORMATIVE.value, (
            f"transformative: external share rose from {before.external_share:.2f} to "
            f"{now.external_share:.2f} since {start.isoformat()} (>= +{OPENING:.2f})"
        )
    return ClusterStage.MATURE.value, (
        f"mature: {now.members} members, average degree {now.average_degree:.2f}; {joined} "
        f"({share:.0%}) joined after {start.isoformat()} (< {GROWTH_JOINED:.0%}); external share "
        f"{before.external_share:.2f} -> {now.external_share:.2f} (< +{OPENING:.2f})"
    )
