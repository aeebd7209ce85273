"""The ``clusterkg`` command line: one root app; each area's commands live in a module of their own."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from api.cli import db, keys, neo4j
from api.cli.common import LogHandler, err_console, say_error
from api.cli.evaluate import evaluate as evaluate_command
from api.cli.ingest import generate as generate_command
from api.cli.ingest import ingest as ingest_command
from api.cli.insights import insights as insights_command
from api.cli.matching import register as register_matching
from api.cli.report import report
from api.cli.serve import serve
from graph.retry_log import shorten_retries
from schema.errors import ClusterkgError, shorten
from schema.settings_loader import load_settings

USAGE_ERROR = 2
"""The exit code of a usage error (click's, kept by typer): typer's public names hold the root of its errors,
``TyperException``, but no ``UsageError``, whose copy of click is private (``typer._click``)."""


class _Group(TyperGroup):
    """Turns the project's own errors, and the operating system's about a file (an output path that is a
    folder, a file where a folder is needed, no permission), into one readable sentence and exit code 1,
    for every command; Ctrl-C into ``Error: interrupted (Ctrl-C)`` and exit code 130, followed by what a
    command says it left behind (the text of the ``KeyboardInterrupt`` it raises again).

    Off a terminal a usage error (an unknown option, a missing argument, a value of the wrong type) is one
    line too, with exit code 2: typer draws it in a box over several lines, usage and hint included, which a
    script or a log reader takes for as many messages. On a terminal typer's box stays."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _usage_errors():  # the root's own options: `clusterkg --bogus`
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        try:
            with _usage_errors():  # a command's options and arguments, parsed as it is invoked
                return super().invoke(ctx)
        except ClusterkgError as e:
            say_error(str(e))
            raise typer.Exit(1) from e
        except OSError as e:  # a file to read or write: a folder, no permission, no space left, ...
            say_error(f"{shorten(str(e.filename))}: {e.strerror or e}" if e.filename else str(e))
            raise typer.Exit(1) from e
        except KeyboardInterrupt as e:  # Ctrl-C: said, where typer would exit 130 without a word
            say_error("interrupted (Ctrl-C)" + (f"; {e}" if str(e) else ""))
            raise typer.Exit(130) from e


@contextmanager
def _usage_errors() -> Iterator[None]:
    """Off a terminal, a usage error said in one line naming where to read the usage, and exit code 2."""
    try:
        yield
    except typer.TyperException as e:
        if e.exit_code != USAGE_ERROR or type(e).__name__ == "NoArgsIsHelpError":
            raise  # another error; or the help, which `clusterkg` alone prints
        # typer passes on pydantic's words for a value outside an option's choices: "Value error, 'x' is not…"
        e.message = e.message.removeprefix("Value error, ")
        if err_console.is_terminal:
            raise  # typer's box
        said = " ".join(e.format_message().split()).rstrip(".")
        if (ctx := getattr(e, "ctx", None)) is not None:
            usage = f"'{ctx.command_path} {ctx.help_option_names[0]}'"
            said += f" See {usage}" if said.endswith("?") else f"; see {usage}"  # after "Did you mean …?"
        say_error(said)
        raise typer.Exit(e.exit_code) from e


app = typer.Typer(
    cls=_Group,
    name="clusterkg",
    help="A knowledge graph of regional industry clusters, and partner suggestions on top of it.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(neo4j.app, name="neo4j")
app.add_typer(db.app, name="db")
app.command("ingest")(ingest_command)
app.command("generate")(generate_command)
app.command("eval")(evaluate_command)
register_matching(app)
app.command("insights")(insights_command)
app.add_typer(keys.app, name="keys")
app.command()(serve)
app.command()(report)


def _flow_help(commands: typer.Typer) -> None:
    """Each command's help is its docstring with every paragraph on one line, for rich to wrap to the
    terminal: typer keeps a docstring's line breaks past its first paragraph, and in the list of commands
    past the first line, so a paragraph printed in a ragged column at the docstring's source width."""
    for info in commands.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            paragraphs = inspect.cleandoc(info.callback.__doc__).split("\n\n")
            info.help = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
    for group in commands.registered_groups:
        if group.typer_instance is not None:
            _flow_help(group.typer_instance)


_flow_help(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"clusterkg {version('clusterkg')}")
        raise typer.Exit()


def configure_logging(verbose: bool) -> None:
    """The one log of every command (and of the API bench's server): records and uvicorn's lines through
    :class:`LogHandler` on stderr."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[LogHandler(console=err_console, show_path=verbose, rich_tracebacks=True)],
        force=True,
    )
    for noisy in ("neo4j", "httpx", "urllib3", "sentence_transformers", "filelock", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose and noisy == "neo4j" else logging.WARNING)
    if not verbose:
        shorten_retries()


@app.callback()
def root(
    ctx: typer.Context,
    neo4j_uri: Annotated[
        str | None, typer.Option("--neo4j-uri", envvar="NEO4J_URI", help="Bolt URI of the graph.")
    ] = None,
    neo4j_user: Annotated[
        str | None, typer.Option("--neo4j-user", envvar="NEO4J_USER", help="Neo4j user.")
    ] = None,
    neo4j_password: Annotated[
        str | None,
        typer.Option("--neo4j-password", envvar="NEO4J_PASSWORD", help="Neo4j password.", show_default=False),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every step, queries included.")
    ] = False,
    _: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Settings come from flags, then NEO4J_* / CLUSTERKG_* environment variables, then defaults."""
    configure_logging(verbose)
    overrides: dict[str, Any] = {
        key: value
        for key, value in {
            "neo4j_uri": neo4j_uri,
            "neo4j_user": neo4j_user,
            "neo4j_password": neo4j_password,
        }.items()
        if value is not None
    }
    ctx.obj = load_settings(**overrides)


def main() -> None:
    """Console-script entry point; the program's name is ``clusterkg`` however Python started it
    (``python -c``, ``python -m``), as its usage lines and errors say."""
    app(prog_name="clusterkg")
