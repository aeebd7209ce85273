"""``clusterkg serve``: the GraphQL API under uvicorn, as ``api.server`` sets it up."""

from __future__ import annotations

import contextlib
import logging
from typing import Annotated

import typer

from api.cli.common import settings_of

log = logging.getLogger(__name__)


def _interface(host: str) -> str:
    """An empty ``--host`` (an unset shell variable) is a usage error: uvicorn took it for every interface,
    serving the API to the network where the default serves this machine alone."""
    if not host.strip():
        raise typer.BadParameter("is empty; name an interface: 127.0.0.1 (this machine), 0.0.0.0 (every one)")
    return host


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(callback=_interface, help="Interface to listen on (0.0.0.0: every one).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    print_schema: Annotated[
        bool, typer.Option("--print-schema", help="Print the GraphQL SDL (schema/schema.graphql) and exit.")
    ] = False,
) -> None:
    """Serve the GraphQL API (GraphiQL in the browser at /graphql; /healthz, /readyz)."""
    # Imported here: the web stack and the model code would slow every other command's start-up.
    from uvicorn.config import STARTUP_FAILURE

    from api.app import create_app
    from api.graphql.schema import sdl
    from api.server import api_server

    if print_schema:
        typer.echo(sdl(), nl=False)
        return
    settings = settings_of(ctx)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    # A record of the log, as every other line the server writes: dated, on stderr, in order with the rest.
    log.info("GraphiQL: http://%s:%d/graphql (send `Authorization: Bearer <key>`)", shown, port)
    server = api_server(create_app(settings), settings, host=host, port=port, log_level="info")
    # uvicorn shuts down on Ctrl-C, as its log says, then raises the signal again: the way to stop a server,
    # not an error (exit code 0, no `Error: interrupted` line)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise typer.Exit(STARTUP_FAILURE)  # uvicorn logged why (the port is taken, say)
