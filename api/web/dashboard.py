"""The cluster dashboard and the shared report: the insights of ``matching.insights`` rendered by one
template, with the member network drawn by ``api.web.network``.

The dashboard is for the cluster's managers (a ``cluster_manager`` key of the organization that manages the
cluster), so its gaps count members' private needs as the insights allow them to. The report is made to be
passed around: it counts public needs only, links nowhere, and inlines its style and script.
"""

from __future__ import annotations

import datetime as dt

from api.web.network import HEADING_SIZE, OUTSIDE_COLOUR, ROLE_COLOURS, ROLE_SHAPES, draw, shape_path
from api.web.render import by_name, render, static_text
from graph.db import Graph
from matching.insights import ClusterInsights, cluster_insights
from matching.insights import stage as rules
from matching.insights.result import Figures
from schema.days import latest_day
from schema.settings import Settings

TREND_ROWS = [
    ("members", "Members", 0, False),
    ("links", "Ties among members", 0, False),
    ("density", "Density", 3, False),
    ("average_degree", "Ties per member", 1, False),
    ("components", "Separate groups", 0, False),
    ("isolates", "Isolates", 0, False),
    ("external_share", "Openness (share of ties leaving the cluster)", 0, True),
]
"""The trend's figures, each with the decimals of its key figure over the network and whether it is a
share shown in % (the trend table printed openness as 0.297 under a key figure of 30 %, and density to
four places under one of three)."""
STAGE_WORDS = {
    "emergent": f"young or loosely knit: fewer than {rules.EMERGENT_MEMBERS} members, or on average "
    f"fewer than {rules.EMERGENT_DEGREE:.0f} tie per member to another member (most members do not work "
    "together yet)",
    "growth": f"growing: at least {rules.GROWTH_JOINED:.0%} of its members joined in the last "
    f"{rules.WINDOW_YEARS} years",
    "transformative": "turning outward: the share of the members' ties that lead outside the cluster "
    f"rose by at least {100 * rules.OPENING:.0f} points in the last {rules.WINDOW_YEARS} years",
    "mature": f"established: {rules.EMERGENT_MEMBERS} members or more who work together, fewer than "
    f"{rules.GROWTH_JOINED:.0%} of them new in the last {rules.WINDOW_YEARS} years, and their ties not "
    "turning outward",
}
"""Each stage in words a cluster manager reads, from the thresholds ``matching.insights.stage`` decides by;
the dashboard shows them beside the rule with its figures, which GraphQL and the CLI state as it is."""

BROKER_ROLES = {
    "coordinator": "links members of its own community that have no tie of their own",
    "itinerant": "links two members of a community it is not part of",
    "gatekeeper": "opens its own community to another: links a member of its community to one of another",
    "liaison": "links members of two communities, neither of them its own",
}
"""The brokerage roles (``matching.insights.brokerage``) in words: the brokers table names each broker's
usual role, a word a cluster manager cannot read without them."""

DASHBOARD_SUPPLIERS = 0
"""Outside suppliers per gap on the dashboard: none at first. Each gap's suppliers are one suggestion (its
text embedded, candidates scored), a second or more for a cluster with a dozen gaps, so the dashboard opens
without them and the manager asks for them with a button (``gaps``)."""
SUPPLIERS = 3
"""Outside suppliers per gap when asked for, and in the report (made once, not waited for in a browser)."""


def insights(
    graph: Graph,
    cluster_id: str,
    settings: Settings,
    *,
    manager: str | None,
    suppliers: int,
    as_of: dt.date | None = None,
    stop_at: float | None = None,
) -> ClusterInsights:
    """The cluster's insights; its members' private needs count only for ``manager``, the organization of
    a cluster_manager key, when it manages the cluster (``matching.insights`` checks). ``stop_at``: the
    request's deadline, past which no further gap's suppliers are looked up."""
    return cluster_insights(
        graph,
        cluster_id,
        as_of=as_of,
        manager=manager,
        suppliers=suppliers,
        settings=settings,
        stop_at=stop_at,
    )


def figures(ins: ClusterInsights) -> Figures:
    """The headline figures of a cluster's insights, as the trend compares them."""
    return Figures(
        date=ins.as_of,
        members=ins.members,
        links=ins.links,
        density=ins.density,
        average_degree=ins.average_degree,
        components=ins.components,
        isolates=len(ins.isolates),
        external_share=ins.external_share,
        stage=ins.stage.computed,
    )


def trend_table(trend: dict[str, Figures]) -> list[tuple[str, str, str, str]]:
    """The trend's rows as the table shows them: figure, then, now and the change, each number as its key
    figure shows it and the change the difference of the numbers shown (31 % to 30 % is -1 point, not the
    -2 that 31.4 % to 29.7 % rounds to), a share's in percentage points; a change too small to show is
    said as slightly up or down, not as +0.000."""
    then, now = trend["then"], trend["now"]
    rows = []
    for name, label, digits, share in TREND_ROWS:
        a, b = (round(100 * v if share else v, digits) for v in (getattr(then, name), getattr(now, name)))
        unit = " %" if share else ""
        if getattr(then, name) == getattr(now, name):
            change = "no change"
        elif a == b:
            change = "slightly up" if getattr(now, name) > getattr(then, name) else "slightly down"
        else:
            change = f"{b - a:+.{digits}f}" + (" points" if share else "")
        rows.append((label, f"{a:.{digits}f}{unit}", f"{b:.{digits}f}{unit}", change))
    same = then.stage == now.stage
    rows.append(("Stage", then.stage, now.stage, "no change" if same else "changed"))
    return rows


def since(ins: ClusterInsights, earlier: ClusterInsights) -> dict[str, Figures]:
    """The trend from ``earlier`` (the cluster as of a date the reader chose) to ``ins``."""
    return {"then": figures(earlier), "now": ins.trend["now"]}


def _values(
    ins: ClusterInsights, links: bool, today: dt.date, suppliers_shown: bool, trend: dict[str, Figures] | None
) -> dict[str, object]:
    return {
        "ins": ins,
        "trend": trend or ins.trend,
        "trend_rows": trend_table(trend or ins.trend),
        "drawing": draw(ins.nodes, ins.edges),
        "heading_size": HEADING_SIZE,
        "members": by_name(n for n in ins.nodes if not n.outside),
        "colours": ROLE_COLOURS,
        "outside_colour": OUTSIDE_COLOUR,
        "shapes": ROLE_SHAPES,
        "shape_path": shape_path,
        "links": links,
        "stage_words": STAGE_WORDS,
        "broker_roles": BROKER_ROLES,
        "today": today.isoformat(),
        "suppliers_shown": suppliers_shown,
    }


def panel(
    ins: ClusterInsights,
    *,
    links: bool,
    today: dt.date,
    trend: dict[str, Figures] | None = None,
    since_error: str = "",
) -> str:
    """The dashboard's HTML (``links``: names link to the organizations' pages, which a file cannot;
    ``trend``: against a date of the reader's, else the insights' own earlier date; ``since_error``: why
    the reader's date was not used, shown beside the date field). The date field offers every day the
    trend takes: up to the latest day begun anywhere, whichever zone the reader's browser is in."""
    return render(
        "dashboard_panel.html",
        **_values(ins, links, today, suppliers_shown=False, trend=trend),
        since_error=since_error,
        latest=latest_day().isoformat(),
    )


def gaps(ins: ClusterInsights) -> str:
    """The gaps table with the outside suppliers of each gap."""
    return render("gaps.html", ins=ins, links=True, suppliers_shown=True)


def report(ins: ClusterInsights, today: dt.date) -> str:
    """One self-contained HTML file: the dashboard without links, its style and script inlined."""
    return render(
        "report.html",
        **_values(ins, False, today, suppliers_shown=True, trend=None),
        css=static_text("style.css"),
        table_js=static_text("table.js"),
    )
