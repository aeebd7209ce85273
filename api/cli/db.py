"""``clusterkg db``: schema migrations and what the graph holds."""

from __future__ import annotations

import typer
from rich.table import Table

from api.cli.common import console, open_graph
from graph import admin, migrations

app = typer.Typer(help="Apply schema migrations and inspect the graph.", no_args_is_help=True)


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Apply pending schema migrations (constraints, indexes, vector indexes); reruns change nothing."""
    with open_graph(ctx) as graph:
        done = migrations.migrate(graph)
    if done:
        for migration in done:
            console.print(f"applied {migration.version:04d}_{migration.name}")
    else:
        console.print("schema is up to date; nothing applied")


@app.command()
def status(ctx: typer.Context) -> None:
    """Print applied migrations and node / relationship counts by label and type."""
    with open_graph(ctx) as graph:
        applied = migrations.applied(graph)
        todo = migrations.pending(graph)
        nodes = admin.node_counts(graph)
        relationships = admin.relationship_counts(graph)
    versions = Table(title="Migrations")
    versions.add_column("version", justify="right")
    versions.add_column("name")
    versions.add_column("applied at")
    for version, row in sorted(applied.items()):
        versions.add_row(f"{version:04d}", str(row["name"]), str(row["applied_at"])[:19])
    for migration in todo:
        versions.add_row(f"{migration.version:04d}", migration.name, "[yellow]pending[/]")
    console.print(versions)
    counts = Table(title="Graph")
    counts.add_column("label / type")
    counts.add_column("count", justify="right")
    for name, count in nodes.items():
        counts.add_row(f":{name}", f"{count:,}")
    for name, count in relationships.items():
        counts.add_row(f"[{name}]", f"{count:,}")
    console.print(counts)
