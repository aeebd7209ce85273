"""``clusterkg neo4j``: the managed local Neo4j Community server (for machines without Docker)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from api.cli.common import console, settings_of
from graph.server import ManagedNeo4j
from schema.settings import Settings

Port = Annotated[
    int | None,
    typer.Option(
        "--port",
        envvar="CLUSTERKG_NEO4J_BOLT_PORT",
        min=1,
        max=65535,
        help="Bolt port of the managed server [7687].",
    ),
]


def _server(ctx: typer.Context, port: int | None) -> ManagedNeo4j:
    settings = settings_of(ctx)
    if port is not None and port != settings.neo4j_bolt_port:
        settings = Settings(**{**settings.model_dump(exclude={"neo4j_uri"}), "neo4j_bolt_port": port})
    return ManagedNeo4j(settings)


app = typer.Typer(
    help="Run a local Neo4j Community 5.26 from its Maven Central artifacts (no Docker needed).",
    no_args_is_help=True,
)


@app.command()
def install(ctx: typer.Context) -> None:
    """Fetch the Neo4j jars with Maven into the cache folder and compile the launcher (once)."""
    server = ManagedNeo4j(settings_of(ctx))
    path = server.install()
    console.print(f"Neo4j Community {server.version} is installed in {path}")


@app.command()
def start(ctx: typer.Context, port: Port = None) -> None:
    """Start Neo4j on 127.0.0.1 in the background and wait until Bolt answers."""
    server = _server(ctx, port)
    began = time.perf_counter()
    status = server.start()
    console.print(
        f"Neo4j {server.version} runs at [bold]{status.uri}[/] (pid {status.pid}, "
        f"ready in {time.perf_counter() - began:.1f} s); data in {status.data_dir}"
    )


@app.command()
def stop(ctx: typer.Context, port: Port = None) -> None:
    """Stop the Neo4j this tool started (and nothing else)."""
    server = _server(ctx, port)
    if server.stop():
        console.print(f"Stopped Neo4j at {server.uri}")
    else:
        console.print(f"No Neo4j started by clusterkg runs at {server.uri}")


@app.command()
def status(ctx: typer.Context, port: Port = None) -> None:
    """Say whether the managed Neo4j runs, and where (exit code 3 when it does not)."""
    current = _server(ctx, port).status()
    if current.running:
        console.print(f"running: pid {current.pid}, {current.uri}, data in {current.data_dir}")
    else:
        console.print(f"not running ({current.uri}; data folder {current.data_dir})")
        raise typer.Exit(3)
