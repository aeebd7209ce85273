"""``clusterkg embed / suggest / feedback / tune``: embeddings, explained partner suggestions, feedback, and
training the learned ranking."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.common import console, echo_json, open_graph, settings_of, shown, text_option
from matching import feedback as feedback_store
from matching.embed import embed as run_embed
from matching.filters import Filters
from matching.signals import Place
from matching.suggest import suggest as run_suggest
from schema.errors import MatchingError, NotFound, UnknownFilterValue, echo
from schema.graph_model import Role, SizeClass

FILTER_OPTIONS = {"clusters": "--cluster", "regions": "--region", "sectors": "--sector"}
"""The option of each filter the graph checks (``matching.filters.UNKNOWN``)."""


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
        f"{summary.organizations:,} organizations: encoded {summary.encoded['capability']:,} capability, "
        f"{summary.encoded['needs']:,} public and {summary.encoded['private_needs']:,} private needs texts; "
        f"{sum(summary.unchanged.values()):,} unchanged; "
        f"{sum(summary.cleared.values()):,} removed (text gone)"
    )


def suggest(
    ctx: typer.Context,
    organization_id: Annotated[
        str | None, typer.Argument(help="The organization asking; leave out to ask anonymously with --need.")
    ] = None,
    need: Annotated[
        str | None,
        typer.Option(
            "--need",
            callback=text_option(),
            help="What you are looking for, in words (instead of stored needs).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many partners.")] = 10,
    role: Annotated[list[Role] | None, typer.Option("--role", help="Only these roles (repeat).")] = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="Only in these regions, countries or cities (repeat)."),
    ] = None,
    cluster: Annotated[
        list[str] | None,
        typer.Option("--cluster", help="Only members of these clusters, by id or name (repeat)."),
    ] = None,
    sector: Annotated[
        list[str] | None, typer.Option("--sector", help="Only in these sectors (repeat).")
    ] = None,
    size_class: Annotated[
        list[SizeClass] | None, typer.Option("--size-class", help="Only these size classes (repeat).")
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
    check_place(max_km, lat, lon)
    if organization_id and (city is not None or lat is not None or lon is not None):
        raise MatchingError(
            "--city, --lat and --lon place an anonymous request (--need without an organization id); "
            f"the suggestions of {echo(organization_id)} are measured from its own place"
        )
    filters = Filters(
        roles=[str(r) for r in role] if role else None,
        regions=region or None,
        clusters=cluster or None,
        sectors=sector or None,
        size_classes=[str(c) for c in size_class] if size_class else None,
        max_km=max_km,
    )
    with open_graph(ctx) as graph:
        try:
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
        except UnknownFilterValue as e:
            raise NotFound(f"{FILTER_OPTIONS[e.filter]} {echo(e.value)}: {e.reason}") from None
    if as_json:
        echo_json([s.to_dict() for s in found])
        return
    if not found:
        filtered = role or region or cluster or sector or size_class or max_km is not None
        console.print(
            "No partner fits these filters."
            if filtered
            else "No partner found: nothing in the graph fits (`clusterkg embed` encodes the texts that "
            "suggestions are found by)."
        )
        return
    ranking = (
        "the learned ranking" if found[0].ranking == "learned" else "the signal ranking (no model trained)"
    )
    scores = [s.score for s in found]
    if any(later > earlier for earlier, later in zip(scores, scores[1:], strict=False)):
        ranking += "; spread for variety: a partner unlike those above it can come before a higher score"
    console.print(f"Ranked by {ranking}", highlight=False)
    for rank, suggestion in enumerate(found, 1):
        what = ", ".join(
            part for part in (suggestion.role.replace("_", " "), suggestion.city, suggestion.region) if part
        )
        console.print(
            f"[bold]{rank}. {shown(suggestion.name)}[/] ({shown(what)})  id {shown(suggestion.id)}  "
            f"score [bold]{suggestion.score:.2f}[/]",
            highlight=False,
        )
        for reason in suggestion.reasons:
            console.print(f"   - {shown(reason)}", highlight=False)


def check_place(max_km: float | None, lat: float | None, lon: float | None) -> None:
    """Refuse a distance or a position that is no place on Earth, in the options' words (NaN passes every
    range check: as a distance it left no partner, as a coordinate Neo4j refused the point)."""
    if max_km is not None and not (math.isfinite(max_km) and max_km > 0):
        raise MatchingError(f"--max-km must be a number of km above 0, not {max_km}")
    for name, value, bound in (("--lat", lat, 90), ("--lon", lon, 180)):
        if value is not None and not -bound <= value <= bound:  # False for NaN too
            raise MatchingError(f"{name} must be between -{bound} and {bound}, not {value}")
    if (lat is None) != (lon is None):
        raise MatchingError("--lat and --lon go together: give both, or neither")


def feedback(
    ctx: typer.Context,
    organization_id: Annotated[str, typer.Argument(help="The organization that got the suggestion.")],
    partner_id: Annotated[str, typer.Argument(help="The suggested partner.")],
    accept: Annotated[
        bool | None,
        typer.Option(
            "--accept/--decline",
            help="Accept the suggestion, or decline it (not shown again); one of the two is required.",
            show_default=False,
        ),
    ] = None,
    comment: Annotated[
        str | None, typer.Option("--comment", callback=text_option(), help="Why, in a few words.")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", callback=text_option(name=True), help="Who answered.")
    ] = None,
) -> None:
    """Record that an organization accepted or declined a suggested partner. The answer is said, never
    assumed: a declined partner is not suggested again, an accepted one teaches `tune`."""
    if accept is None:
        raise typer.BadParameter("say --accept or --decline", ctx, param_hint="'--accept' / '--decline'")
    with open_graph(ctx) as graph:
        answer = feedback_store.record(graph, organization_id, partner_id, accept, comment=comment, by=by)
    verb = "accepted" if answer.accepted else "declined"
    console.print(f"{shown(answer.seeker)} {verb} {shown(answer.partner)} at {answer.at}")


def tune(
    ctx: typer.Context,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the negatives' draw and the held-out seekers.")
    ] = 0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the figures, save nothing.")] = False,
) -> None:
    """Train the learned ranking from the graph's dated history and feedback; show its held-out figures next
    to Adamic-Adar's; save it where `suggest` loads it (without one, suggest ranks by the signals)."""
    # Imported here: LightGBM and scikit-learn take a second to import, which every other command would pay.
    from matching import snapshot
    from matching.tune import tune as run_tune

    settings = settings_of(ctx)
    with open_graph(ctx) as graph:
        result = run_tune(snapshot.current(graph, settings), settings, seed=seed, save=not dry_run)
    meta = result.ranker.metadata
    earlier = "".join(
        f"; and as of {e['features_as_of']} with the links that followed ({e['seekers']:,} seekers)"
        for e in meta["earlier"]
    )
    console.print(
        f"Trained on features as of {meta['features_as_of']}, labels: {meta['labels']}; "
        f"{meta['seekers']['fit']:,} seekers fitted, {meta['seekers']['held_out']:,} held out{earlier}",
        highlight=False,
    )
    figures = Table(title="Held-out seekers")
    figures.add_column("method")
    for column in ("recall@10", "hit@10", "nDCG@10"):
        figures.add_column(column, justify="right")
    for name, row in meta["held_out"].items():
        figures.add_row(
            name, f"{row['recall_at_10']:.4f}", f"{row['hit_at_10']:.3f}", f"{row['ndcg_at_10']:.4f}"
        )
    console.print(figures)
    console.print(f"saved to {result.path}" if result.path else "dry run: nothing saved")
    if result.path and settings.matching_compile_trees:
        from matching.compiled import compile_detached

        if compile_detached(result.ranker.boosters, settings.cache_dir / "trees"):
            console.print(
                "compiling its trees for serving in a background process (a minute or two of CPU; suggest "
                "ranks with LightGBM until they are built)"
            )


def register(app: typer.Typer) -> None:
    """Add the matching commands to the root app."""
    for command in (embed, suggest, feedback, tune):
        app.command()(command)
