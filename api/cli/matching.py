"""``clusterkg embed / suggest / feedback / tune``: embeddings, explained partner suggestions, feedback."""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.common import console, open_graph, settings_of
from matching import feedback as feedback_store
from matching.embed import embed as run_embed
from matching.signals import SIGNALS, Place
from matching.suggest import Filters
from matching.suggest import suggest as run_suggest
from schema.errors import MatchingError


def embed(ctx: typer.Context) -> None:
    """Embed every organization's capability description and needs; only new or changed texts are encoded."""
    settings = settings_of(ctx)
    with (
        open_graph(ctx) as graph,
        Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task("embedding", total=None, rate="")

        def planned(count: int) -> None:
            progress.update(task, total=count)

        def advanced(count: int) -> None:
            progress.advance(task, count)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{speed:,.0f} texts/s" if speed else "")

        summary = run_embed(graph, settings, on_plan=planned, on_progress=advanced)
    console.print(
        f"{summary.organizations:,} organizations: encoded {summary.encoded['capability']:,} capability and "
        f"{summary.encoded['needs']:,} needs texts; {sum(summary.unchanged.values()):,} unchanged; "
        f"{sum(summary.cleared.values()):,} removed (text gone)"
    )


def suggest(
    ctx: typer.Context,
    organization_id: Annotated[
        str | None, typer.Argument(help="The organization asking; leave out to ask anonymously with --need.")
    ] = None,
    need: Annotated[
        str | None,
        typer.Option("--need", help="What you are looking for, in words (instead of stored needs)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many partners.")] = 10,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="Only these roles (repeat): vendor, university, ...")
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="Only in these regions, countries or cities (repeat)."),
    ] = None,
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", help="Only members of these clusters.")
    ] = None,
    sector: Annotated[
        list[str] | None, typer.Option("--sector", help="Only in these sectors (repeat).")
    ] = None,
    size_class: Annotated[
        list[str] | None, typer.Option("--size-class", help="Only these size classes: micro, small, ...")
    ] = None,
    max_km: Annotated[float | None, typer.Option("--max-km", help="Only within this distance.")] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="Your latitude (anonymous requests).")] = None,
    lon: Annotated[float | None, typer.Option("--lon", help="Your longitude (anonymous requests).")] = None,
    city: Annotated[str | None, typer.Option("--city", help="Your city (anonymous requests).")] = None,
    include_partners: Annotated[
        bool, typer.Option("--include-partners", help="Also suggest organizations you already work with.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
) -> None:
    """Suggest partners, with the reasons why, for an organization or for an anonymous need."""
    if not organization_id and not need:
        raise MatchingError("Give an organization id, or --need TEXT to ask anonymously")
    filters = Filters(
        roles=role or None,
        regions=region or None,
        clusters=cluster or None,
        sectors=sector or None,
        size_classes=size_class or None,
        max_km=max_km,
    )
    with open_graph(ctx) as graph:
        found = run_suggest(
            graph,
            organization_id,
            need=need,
            location=Place(city=city, lat=lat, lon=lon),
            limit=limit,
            filters=filters,
            include_partners=include_partners,
            settings=settings_of(ctx),
        )
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=2))
        return
    if not found:
        console.print("No partner fits these filters.")
        return
    for rank, suggestion in enumerate(found, 1):
        what = ", ".join(
            part for part in (suggestion.role.replace("_", " "), suggestion.city, suggestion.region) if part
        )
        console.print(
            f"[bold]{rank}. {suggestion.name}[/] ({what})  id {suggestion.id}  "
            f"score [bold]{suggestion.score:.2f}[/]",
            highlight=False,
        )
        for reason in suggestion.reasons:
            console.print(f"   - {reason}", highlight=False)


def feedback(
    ctx: typer.Context,
    organization_id: Annotated[str, typer.Argument(help="The organization that got the suggestion.")],
    partner_id: Annotated[str, typer.Argument(help="The suggested partner.")],
    accept: Annotated[
        bool,
        typer.Option("--accept/--decline", help="Accept the suggestion, or decline it (not shown again)."),
    ] = True,
    comment: Annotated[str | None, typer.Option("--comment", help="Why, in a few words.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who answered.")] = None,
) -> None:
    """Record that an organization accepted or declined a suggested partner."""
    with open_graph(ctx) as graph:
        answer = feedback_store.record(graph, organization_id, partner_id, accept, comment=comment, by=by)
    verb = "accepted" if answer.accepted else "declined"
    console.print(f"{answer.seeker} {verb} {answer.partner} at {answer.at}")


def _figure(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def tune(
    ctx: typer.Context,
    max_pairs: Annotated[int, typer.Option("--max-pairs", min=10, help="Known pairs to learn from.")] = 4000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampling and the held-out split.")] = 7,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the figures, save nothing.")] = False,
) -> None:
    """Fit the signal weights to accepted suggestions and collaborations; show before/after; save them."""
    # Imported here: scikit-learn takes most of a second to import, which every other command would pay.
    from matching.tune import tune as run_tune

    settings = settings_of(ctx)
    with open_graph(ctx) as graph:
        result = run_tune(graph, settings, max_pairs=max_pairs, seed=seed, save=not dry_run)
    weights = Table(title="Signal weights")
    weights.add_column("signal")
    weights.add_column("before", justify="right")
    weights.add_column("after", justify="right")
    for name in SIGNALS:
        weights.add_row(name, f"{result.before[name]:.3f}", f"{result.after[name]:.3f}")
    console.print(weights)
    total = result.pairs["positive"] + result.pairs["negative"]
    figures = Table(title=f"Held-out pairs: {result.pairs['held_out']:,} of {total:,}")
    figures.add_column("figure")
    figures.add_column("before", justify="right")
    figures.add_column("after", justify="right")
    for name in ("roc_auc", "average_precision"):
        figures.add_row(name, _figure(result.figures["before"][name]), _figure(result.figures["after"][name]))
    console.print(figures)
    console.print(f"saved to {result.path}" if result.path else "dry run: nothing saved")


def register(app: typer.Typer) -> None:
    """Add the matching commands to the root app."""
    for command in (embed, suggest, feedback, tune):
        app.command()(command)
