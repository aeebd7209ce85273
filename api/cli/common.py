"""What every CLI command shares: the settings in the context, the consoles, opening the graph."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from logging import Formatter, LogRecord
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, ConsoleDimensions, ConsoleRenderable
from rich.logging import RichHandler
from rich.markup import escape
from rich.text import Text

from graph.db import Graph
from schema.days import future_day
from schema.direction import DIRECTION_CONTROLS, direction_codes, line_codes
from schema.errors import capped
from schema.models import MAX_NAME, MAX_TEXT
from schema.settings import Settings
from schema.text import text_problem

PATH = "<path>"
"""The metavar ``--help`` shows for a file or folder option, as typer shows one of type ``Path``: an option
read by :func:`given_path` showed its type's name, ``<Path>``."""
DAY = "<YYYY-MM-DD>"
"""The metavar of a day option, where typer shows its parse format (``<%Y-%m-%d>``) or ``<str>``."""

OFF_TERMINAL_WIDTH = 10_000
"""The width a table may take off a terminal when ``COLUMNS`` names none: wider than any table the commands
print, so each is drawn at its natural width, a row a line."""


class _Console(Console):
    """A console that prints each direction control as its code (``schema.direction``), so a name holding
    U+202E cannot turn the rest of a terminal line around: every string it prints, a table's cells and
    titles included, becomes text through ``render_str``, before its width is measured.

    On a terminal it looks as rich draws it. Elsewhere (a pipe, a file, cron, journald, ``docker logs``) a
    printed message is one line however long, and a table takes its natural width (``COLUMNS`` caps it when
    set): rich would wrap both at 80 columns, its width where there is no terminal to ask, and a program that
    reads the output line by line would take each part of an error for a message of its own."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(direction_codes(text), **options)

    def print(self, *objects: Any, soft_wrap: bool | None = None, **options: Any) -> None:
        if soft_wrap is None and not self.is_terminal:
            soft_wrap = True  # lines are not broken at the width; a table still fits its cells to it
        super().print(*objects, soft_wrap=soft_wrap, **options)

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self.is_terminal or self._width is not None or os.environ.get("COLUMNS", "").isdigit():
            return size  # a width the terminal, the caller or COLUMNS names
        return ConsoleDimensions(OFF_TERMINAL_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self.width, self.height = new_size


class LogHandler(RichHandler):
    """The log's lines on the error console, their direction controls as codes as the consoles print them
    (a log line names a file, or the columns of its header). On a terminal they look as rich draws them;
    elsewhere (a pipe, a file, journald, ``docker logs``) each record is one line (:meth:`line`): rich would
    wrap and pad it to the console's width, 80 columns where there is no terminal to ask, and a program that
    reads the log line by line takes each part of a long record for a record of its own."""

    def __init__(self, *args: Any, show_path: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, show_path=show_path, **kwargs)
        self.show_path = show_path

    def render_message(self, record: LogRecord, message: str) -> ConsoleRenderable:
        return super().render_message(record, direction_codes(message))

    def emit(self, record: LogRecord) -> None:
        if self.console.is_terminal:
            super().emit(record)
            return
        try:
            self.console.out(self.line(record), highlight=False)
        except Exception:
            self.handleError(record)

    def line(self, record: LogRecord) -> str:
        """``record`` as one line, as rich shows it less the layout: date and time with its zone (ISO 8601:
        a log file spans days, where a terminal shows the time of day alone), level, message (its line
        breaks and other control characters as codes, ``schema.direction.line_codes``), and where it was
        logged when paths are shown. A traceback follows on the lines after it, as Python prints one."""
        when = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")
        line = f"{when} {record.levelname:<8} {line_codes(record.getMessage())}"
        if self.show_path:
            line += f" ({record.filename}:{record.lineno})"
        if record.exc_info:
            line += "\n" + Formatter().formatException(record.exc_info)
        return line


console = _Console()
err_console = _Console(stderr=True)


def shown(text: object) -> str:
    """Text the graph or a registry holds (a name, a key's label, a reason, a file's name) as the markup of a
    console line or a table cell that prints it as itself: rich's markup escaped (a name holding ``[/]``
    ended the command in a MarkupError, ``[red]`` coloured the rest), each control character and direction
    control as its code (``schema.direction.line_codes``: an escape sequence in a label stored before labels
    were checked recoloured or cleared the terminal of whoever ran ``keys list``)."""
    return escape(line_codes(str(text)))


def say_error(said: str) -> None:
    """Print ``said`` as the command's error: ``Error: …`` on stderr, each value it quotes of any length (a
    library's message repeats a value whole) shortened as ``schema.errors.echo`` shortens one."""
    err_console.print(f"[bold red]Error:[/] {escape(capped(said))}", highlight=False)


def echo_json(data: Any) -> None:
    """Print ``data`` as JSON: letters beyond ASCII as they are, direction controls escaped (``\\u202e``),
    which a JSON reader reads as the same string and a terminal shows as no reversed line."""
    text = json.dumps(data, ensure_ascii=False, default=str, indent=2)
    typer.echo(DIRECTION_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def given_path(text: str) -> Path:
    """The parser of a path option: an empty value (an unset shell variable) is a usage error, where
    ``Path("")`` is the working folder: ``generate --out ""`` wrote a region there, and
    ``ingest --mapping ""`` looked for mappings there."""
    if not text.strip():
        raise typer.BadParameter("is empty; name a path")
    return Path(text)


def as_of_option(help: str) -> Any:
    """The ``--as-of`` option of the commands that look at the graph as of a past day (``insights``,
    ``report``): a day written YYYY-MM-DD, never one to come (:func:`past_day`)."""
    return typer.Option("--as-of", formats=["%Y-%m-%d"], metavar=DAY, callback=past_day, help=help)


def past_day(value: dt.datetime | None) -> dt.datetime | None:
    """The callback of an ``--as-of`` day: a usage error naming the option for a day to come
    (``schema.days``), as the API refuses its ``asOf``."""
    if value is not None and (problem := future_day(value.date())):
        raise typer.BadParameter(problem)
    return value


def text_option(*, name: bool = False) -> Callable[[str | None], str | None]:
    """The callback of an option of free text that is stored or searched with: a usage error naming the
    option when the value is longer than a record's field holds or holds a control character
    (``schema.text``), as the API refuses it. ``name``: a one-line name of at most ``MAX_NAME`` characters
    (who answered, a label, a source), not a text of ``MAX_TEXT`` (a need, a comment)."""

    def check(value: str | None) -> str | None:
        if value is not None:
            limit = MAX_NAME if name else MAX_TEXT
            if reason := text_problem(value, limit=limit, multiline=not name):
                raise typer.BadParameter(reason)
            if name and not value.strip():
                raise typer.BadParameter("is empty")
        return value

    return check


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
