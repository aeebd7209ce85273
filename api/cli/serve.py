"""``clusterkg serve``: the GraphQL API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import console, settings_of


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    print_schema: Annotated[
        bool, typer.Option("--print-schema", help="Print the GraphQL SDL (schema/schema.graphql) and exit.")
    ] = False,
) -> None:
    """Serve the GraphQL API (GraphiQL in the browser at /graphql; /healthz, /readyz)."""
    # Imported here: the web stack and the model code would slow every other command's start-up.
    import uvicorn

    from api.app import create_app
    from api.graphql.schema import sdl
    from api.http_head import bounded_head
    from api.refusal_log import RefusalLog

    if print_schema:
        typer.echo(sdl(), nl=False)
        return
    settings = settings_of(ctx)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(f"GraphiQL: [bold]http://{shown}:{port}/graphql[/]  (send `Authorization: Bearer <key>`)")
    protocol = bounded_head(RefusalLog(settings.api_refusal_log_seconds))
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", http=protocol)
