"""``clusterkg insights``: a cluster's network analysis in the terminal (or as JSON), or a region's table."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import as_of_option, console, echo_json, open_graph, settings_of, shown
from matching.insights import ClusterInsights, RegionInsights, cluster_insights, region_insights
from matching.insights.result import Actor
from schema.errors import InvalidInput

SHOWN = 8
"""Names listed per line of the report before "and N more"."""


def insights(
    ctx: typer.Context,
    cluster_id: Annotated[
        str | None, typer.Argument(help="The cluster; leave out with --region for a region's table.")
    ] = None,
    as_of: Annotated[
        dt.datetime | None, as_of_option("As the graph knew it on this date, today at the latest.")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="One summary row per cluster of this region.")
    ] = None,
    suppliers: Annotated[
        int, typer.Option("--suppliers", min=0, max=20, help="Outside suppliers suggested per gap.")
    ] = 3,
    private_needs: Annotated[
        bool,
        typer.Option("--private-needs", help="Count members' private needs in the gaps (managers only)."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a report.")
    ] = False,
) -> None:
    """Cluster insights: composition, network, brokers, periphery, openness, gaps, computed stage, trend."""
    date = as_of.date() if as_of else None
    if cluster_id is not None and region is not None:
        raise InvalidInput("give a cluster id or --region NAME, not both")
    if cluster_id is None and region is None:
        raise InvalidInput("give a cluster id, or --region NAME for every cluster of a region")
    with open_graph(ctx) as graph:
        if cluster_id is not None:
            result: ClusterInsights | RegionInsights = cluster_insights(
                graph,
                cluster_id,
                as_of=date,
                read_private_needs=private_needs,
                suppliers=suppliers,
                settings=settings_of(ctx),
            )
        else:
            result = region_insights(graph, region, as_of=date)
    if as_json:
        echo_json(result.to_json())
    elif isinstance(result, ClusterInsights):
        report(result, suppliers_searched=suppliers > 0)
    else:
        region_table(result)


def _names(actors: list[Actor]) -> str:
    listed = ", ".join(f"{shown(a.name)} ({shown(a.id)})" for a in actors[:SHOWN])
    more = len(actors) - SHOWN
    return (listed + (f", and {more} more" if more > 0 else "")) or "none"


def report(i: ClusterInsights, *, suppliers_searched: bool) -> None:
    """The readable report of one cluster (``suppliers_searched``: whether the gaps' suppliers were looked
    up, so that an empty list means none fits)."""
    when = f" as of {i.as_of}" if i.as_of else ""
    console.print(
        f"[bold]{shown(i.name)}[/] ({shown(i.cluster)}){when}: {shown(i.sector or '?')}, "
        f"{shown(i.region or '?')}",
        highlight=False,
    )
    c = i.composition
    smb = "n/a" if c.smb_share is None else f"{c.smb_share:.0%}"
    roles = ", ".join(f"{n} {role.replace('_', ' ')}" for role, n in c.by_role.items())
    console.print(f"Members: {i.members} ({roles}); SMB share {smb}", highlight=False)
    console.print(f"Anchors: {_names(c.anchors)}; knowledge brokers: {_names(c.knowledge_brokers)}")
    console.print(
        f"Network: {i.links} ties, density {i.density:.3f}, average degree {i.average_degree:.2f}, "
        f"{i.components} components (largest {i.largest_component}), {len(i.communities)} communities "
        f"(modularity {i.modularity:.2f}), densest core k={i.core['k']} with {i.core['members']} members",
        highlight=False,
    )
    console.print(f"Isolated ({len(i.isolates)}): {_names(i.isolates)}", highlight=False)
    console.print(f"Peripheral ({len(i.peripheral)}): {_names(i.peripheral)}", highlight=False)
    brokers = Table(title="Brokers (betweenness)")
    for column in ("member", "role", "degree", "betweenness", "brokerage role"):
        brokers.add_column(column)
    for b in i.brokers:
        role = b.role.replace("_", " ")
        flag = " (knowledge broker)" if b.knowledge_broker and role != "knowledge broker" else ""
        brokers.add_row(
            f"{shown(b.name)} ({shown(b.id)})",
            role + flag,
            str(b.degree),
            f"{b.betweenness:.3f}",
            b.dominant_role or "",
        )
    console.print(brokers)
    outside = (
        ", ".join(
            f"{shown(p.name)} ({p.members} member{'s' if p.members > 1 else ''})"
            for p in i.outside_partners[:5]
        )
        or "none"
    )
    console.print(
        f"Openness: external share {i.external_share:.2f} ({i.outside_links} outside ties); "
        f"top outside partners: {outside}",
        highlight=False,
    )
    _gaps(i, suppliers_searched)
    console.print(
        f"Stage: computed [bold]{i.stage.computed}[/], declared {i.stage.declared or 'none'}"
        f"{' (differs)' if i.stage.differs else ''}; rule: {i.stage.rule}",
        highlight=False,
    )
    then, now = i.trend["then"], i.trend["now"]
    console.print(
        f"Trend since {i.trend['from']}: members {then.members} -> {now.members}, density "
        f"{then.density:.3f} -> {now.density:.3f}, isolates {then.isolates} -> {now.isolates}, external "
        f"share {then.external_share:.2f} -> {now.external_share:.2f}, stage {then.stage} -> {now.stage}",
        highlight=False,
    )
    if i.undated["memberships"] or i.undated["links"]:
        console.print(
            f"Undated (counted at every date): {i.undated['memberships']} memberships, "
            f"{i.undated['links']} links",
            highlight=False,
        )


def _gaps(i: ClusterInsights, suppliers_searched: bool) -> None:
    private = "public and private needs" if i.private_needs_counted else "public needs only"
    if not i.gaps:
        console.print(f"Capability gaps ({private}): none")
    else:
        console.print(f"Capability gaps ({private}):")
    for gap in i.gaps:
        none = "none fits" if suppliers_searched else "not searched"
        found = ", ".join(f"{shown(s.name)} ({shown(s.id)}, {s.score:.2f})" for s in gap.suppliers)
        console.print(
            f"  - {shown(gap.capability)}: needed by {_names(gap.needed_by)}; offered by "
            f"{gap.offered_outside} outside; suppliers: {found or none}",
            highlight=False,
        )
    strengths = ", ".join(f"{shown(c.capability)} ({c.offered_by})" for c in i.concentration) or "none"
    console.print(f"Offered by several members: {strengths}", highlight=False)


def region_table(region: RegionInsights) -> None:
    """One row per cluster of the region."""
    when = f" as of {region.as_of}" if region.as_of else ""
    table = Table(title=f"Clusters of {shown(region.region)}{when}")
    for column in ("cluster", "members", "density", "components", "isolates", "external", "gaps", "stage"):
        table.add_column(column)
    for c in region.clusters:
        declared = f" (declared {c.stage.declared})" if c.stage.differs else ""
        table.add_row(
            f"{shown(c.name)} ({shown(c.cluster)})",
            str(c.members),
            f"{c.density:.3f}",
            str(c.components),
            str(len(c.isolates)),
            f"{c.external_share:.2f}",
            str(len(c.gaps)),
            c.stage.computed + declared,
        )
    console.print(table)
