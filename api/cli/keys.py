"""``clusterkg keys``: create, revoke and list the API keys (only their hashes are stored)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from api.auth import ApiRole, create_key, list_keys, revoke_key
from api.cli.common import console, open_graph, shown, text_option

app = typer.Typer(help="Create, revoke and list API keys.", no_args_is_help=True)


@app.command()
def create(
    ctx: typer.Context,
    role: Annotated[ApiRole, typer.Option(help="What the key may do.", case_sensitive=False)],
    organization: Annotated[
        str | None,
        typer.Option(
            help="The organization the key is bound to: required for member (the member) and "
            "cluster_manager (its cluster organization) keys."
        ),
    ] = None,
    label: Annotated[
        str | None, typer.Option(callback=text_option(name=True), help="A note saying whose key it is.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the key as JSON.")] = False,
) -> None:
    """Create a key and print it once (it cannot be shown again)."""
    with open_graph(ctx) as graph:
        key = create_key(graph, role, organization, label)
    if as_json:
        typer.echo(
            json.dumps(
                {"id": key.id, "key": key.secret, "role": key.role.value, "organization": key.organization_id}
            )
        )
        return
    console.print(f"created {key.role.value} key [bold]{key.id}[/]; send it as `Authorization: Bearer KEY`:")
    typer.echo(key.secret)


@app.command()
def revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key; requests with it are refused from now on."""
    with open_graph(ctx) as graph:
        revoke_key(graph, key_id)
    console.print(f"revoked key {key_id}")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List every key (id, role, organization, created, revoked)."""
    with open_graph(ctx) as graph:
        rows = list_keys(graph)
    table = Table(title="API keys")
    for column in ("id", "role", "organization", "label", "created", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            shown(row["id"]),
            shown(row["role"]),
            shown(row["organization_id"] or ""),
            shown(row["label"] or ""),
            str(row["created_at"])[:19],
            str(row["revoked_at"] or "")[:19],
        )
    console.print(table)
