"""What every CLI command shares: the settings in the context, the consoles, opening the graph."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from graph.db import Graph
from schema.settings import Settings

console = Console()
err_console = Console(stderr=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback built from the environment and the global flags."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


@contextmanager
def open_graph(ctx: typer.Context) -> Iterator[Graph]:
    """Connect to the configured Neo4j (failing with how to start one) and close it afterwards."""
    graph = Graph.connect(settings_of(ctx))
    try:
        yield graph
    finally:
        graph.close()
