"""Capability gaps: what members need and no member offers, with the best suppliers outside the cluster; and
the capabilities many members offer (concentration).

Suppliers come from the one public suggestion function, ``matching.suggest``, asked for the capability as a
free-text need: the same candidates, signals and reasons an SMB gets, so a gap's suppliers are those the
matcher would put forward. Members are dropped from its answer (a gap is something the cluster cannot close
from inside). Needs counted here are public ones unless the caller may read private ones (``data``); the
need text sent to ``suggest`` is the capability's name, never a member's own words. A supplier must declare
the capability or fit its words at least weakly (:data:`matching.signals.WEAK_FIT`): the best of an
unrelated lot (a CNC service for carbon capture) is no supplier, and a gap that none fits says so.
"""

from __future__ import annotations

from graph.db import Graph
from graph.queries import insights as queries
from matching.insights import deadline
from matching.insights.data import Snapshot
from matching.insights.result import Actor, Concentration, Gap, Supplier
from matching.signals import WEAK_FIT
from matching.suggest import suggest
from schema.settings import Settings

CONCENTRATED = 10
"""The capabilities offered by most members that the report lists."""


def find_gaps(view: Snapshot, graph: Graph) -> list[Gap]:
    """The gaps of ``view``, most needed first, each with how many outside organizations offer it."""
    missing = sorted(
        (c for c in view.needs if c not in view.offers),
        key=lambda c: (-len(view.needs[c]), view.capability_names[c].lower()),
    )
    if not missing:
        return []
    # No member of the view offers a gap, so every organization that offers it is outside (one that joined
    # after an as-of date was outside then).
    offerers = {
        row["capability"]: row["offerers"] for row in graph.run(queries.OFFERERS, capabilities=missing)
    }
    return [
        Gap(
            capability=view.capability_names[c],
            capability_id=c,
            needed_by=sorted(
                (Actor(m, view.members[m].name, view.members[m].role) for m in view.needs[c]),
                key=lambda a: (a.name.lower(), a.id),
            ),
            offered_outside=offerers.get(c, 0),
        )
        for c in missing
    ]


def add_suppliers(
    gaps: list[Gap],
    graph: Graph,
    members: set[str],
    *,
    per_gap: int,
    settings: Settings,
    stop_at: float | None = None,
    supplied_gaps: int | None = None,
) -> None:
    """Fill each gap's ``suppliers`` with up to ``per_gap`` outside organizations from ``suggest`` that offer
    the capability or fit its words (one suggestion per gap, and a cluster may have many: past ``stop_at``
    no further one is asked for). ``supplied_gaps``: only the first that many gaps, the most needed (None:
    every gap), so that a caller whose cost is counted before the work (the API) gets work of a known
    bound."""
    fits: dict[tuple[str, str], float] = {}
    for gap in gaps[:supplied_gaps]:
        deadline.check(stop_at, "the gaps' suppliers")
        found = suggest(graph, need=gap.capability, limit=3 * per_gap, settings=settings)
        outside = [s for s in found if s.id not in members]
        gap.suppliers_searched = True
        fits.update({(gap.capability_id, s.id): s.signals.get("semantic", 0.0) for s in outside})
        gap.suppliers = [
            Supplier(id=s.id, name=s.name, role=s.role, score=round(s.score, 4), reasons=s.reasons)
            for s in outside
        ]
    pairs = [[s.id, gap.capability_id] for gap in gaps for s in gap.suppliers]
    offered = {tuple(p) for p in graph.value(queries.OFFERED, pairs=pairs)} if pairs else set()
    for gap in gaps:
        for supplier in gap.suppliers:
            supplier.offers_capability = (supplier.id, gap.capability_id) in offered
        gap.suppliers = [
            s for s in gap.suppliers if s.offers_capability or fits[gap.capability_id, s.id] >= WEAK_FIT
        ][:per_gap]


def concentration(view: Snapshot) -> list[Concentration]:
    """The capabilities offered by two or more members, most offered first."""
    ranked = sorted(
        ((c, len(ms)) for c, ms in view.offers.items() if len(ms) > 1),
        key=lambda item: (-item[1], view.capability_names[item[0]].lower()),
    )[:CONCENTRATED]
    n = len(view.members)
    return [Concentration(view.capability_names[c], count, count / n) for c, count in ranked]
