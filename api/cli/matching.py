"""``clusterkg embed / suggest / feedback / tune``: embeddings, explained partner suggestions, feedback."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.common import console, open_graph, settings_of
from matching.embed import embed as run_embed


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


def register(app: typer.Typer) -> None:
    """Add the matching commands to the root app."""
    app.command()(embed)
