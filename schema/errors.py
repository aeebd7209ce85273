"""The one exception hierarchy of clusterkg.

Every error the project raises on purpose derives from :class:`ClusterkgError`, so each surface (the CLI,
GraphQL) can turn them into what its users expect in one place::

    ClusterkgError
    ├── ConfigError              settings that cannot work (placeholder secret, bad path)
    ├── Neo4jServerError         the managed local Neo4j server could not be fetched, started or stopped
    ├── GraphError               anything that went wrong talking to Neo4j (names the query)
    │   ├── GraphUnavailable     no server answers at the configured URI
    │   ├── ConstraintViolation  a write broke a uniqueness constraint
    │   └── MigrationError       a schema migration failed or was changed after it was applied
    ├── IngestError              a registry file could not be read at all (bad rows go to the reject report)
    │   └── FileError            a file stops being readable at a position: names the file, where and why
    ├── MatchingError            embeddings or suggestions could not be computed
    │   └── NoLocation           a maximum distance asked for a seeker without a location
    ├── TimedOut                 long work stopped at the deadline of the request that asked for it
    ├── NotFound                 an organization, cluster, ... that does not exist
    │   └── UnknownFilterValue   a suggestion filter's value that names no cluster, region or sector
    ├── AccessDenied             the caller may not do or see this
    │   └── Unauthenticated      no API key, or an unknown or revoked one
    └── InvalidInput             a request's arguments are malformed or out of bounds
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager


class ClusterkgError(Exception):
    """Root of every error clusterkg raises on purpose."""


class ConfigError(ClusterkgError):
    """The settings cannot work as given."""


class Neo4jServerError(ClusterkgError):
    """The managed local Neo4j server could not be fetched, started or stopped."""


class GraphError(ClusterkgError):
    """A query failed; ``query_name`` says which one."""

    def __init__(self, message: str, *, query_name: str | None = None) -> None:
        super().__init__(message)
        self.query_name = query_name


class GraphUnavailable(GraphError):
    """No Neo4j server answers at the configured URI."""


class ConstraintViolation(GraphError):
    """A write broke a uniqueness (or other) constraint."""


class MigrationError(GraphError):
    """A schema migration failed, or an applied migration file was changed afterwards."""


class IngestError(ClusterkgError):
    """A registry file could not be read at all (single bad rows are rejected, not raised)."""


class FileError(IngestError):
    """A registry file cannot be read on from ``position`` (a line, an item, a byte): the file is cut short,
    its compression or encoding breaks, its header repeats a column. The message names the file, the
    position and the reason, so a data team can find and mend the spot without a traceback."""

    def __init__(self, file: str, position: str, reason: str) -> None:
        super().__init__(f"{file}: {position}: {reason}")
        self.file = file
        self.position = position
        self.reason = reason


class MatchingError(ClusterkgError):
    """Embeddings or suggestions could not be computed."""


class NoLocation(MatchingError):
    """A maximum distance was asked for a seeker with no location to measure it from: an anonymous need
    given no place, or an organization the graph holds no coordinates of. Its own class, so that each
    surface names its own input: ``maxKm`` over GraphQL, *Within km* on the page, ``--max-km`` in the CLI."""

    def __init__(self) -> None:
        super().__init__("A maximum distance needs the seeker's location (lat/lon)")


class TimedOut(ClusterkgError):
    """Long work (a region's insights) stopped at the deadline of the request that asked for it: a worker
    thread cannot be cancelled, so the work checks the deadline itself."""


class NotFound(ClusterkgError):
    """The requested organization, cluster or other entity does not exist."""


class UnknownFilterValue(NotFound):
    """A value of a suggestion filter (``filter``: ``clusters``, ``regions`` or ``sectors``) that names
    nothing in the graph: a mistyped cluster left no partner, and "No partner fits these filters" sent the
    caller to loosen filters rather than mend a name. Its own class, so that each surface names its own
    input: ``filter.clusters`` over GraphQL, ``--cluster`` in the CLI; ``reason`` says what it names not."""

    def __init__(self, filter: str, value: str, reason: str) -> None:
        super().__init__(f"{filter} {echo(value)}: {reason}")
        self.filter = filter
        self.value = value
        self.reason = reason


class AccessDenied(ClusterkgError):
    """The caller may not do or see this."""


class Unauthenticated(AccessDenied):
    """The caller sent no API key, or one that is unknown or revoked."""


class InvalidInput(ClusterkgError):
    """A request's arguments are malformed or out of bounds (a GraphQL BAD_USER_INPUT).

    ``argument`` names the one argument a refusal is about, when it is about one (:meth:`of`): the API
    sends it as ``extensions.argument``, so a client shows which input was wrong without parsing words."""

    argument: str | None = None

    @classmethod
    def of(cls, argument: str, reason: str) -> InvalidInput:
        """The refusal of ``argument``, said as "`argument` reason". ``argument`` is its name as the GraphQL
        schema spells it; a field of an input object is the argument's name, a dot and the field's name
        (``filter.regions``), as the request's variables nest it."""
        error = cls(f"`{argument}` {reason}")
        error.argument = argument
        return error


ECHO_CHARS = 100
"""How much of a value a caller gave an error message repeats."""
ECHO_END = 40
"""How many of those characters are the value's last: the end of a path names its file."""


def _cut(text: str) -> str:
    start = ECHO_CHARS - ECHO_END - 1
    return f"{text[:start]}…{text[-ECHO_END:]}"


def shorten(text: str) -> str:
    """``text`` (a value, a path) as an error message repeats it: one longer than :data:`ECHO_CHARS` keeps its
    start and its last :data:`ECHO_END` characters around "…", followed by its length. Callers choose the
    values: an organization id of 90 kB came back whole in the NOT_FOUND answer, and a path of 100 kB in a
    one-line CLI error of 100 kB, where its end (the file's name) is what a person reads."""
    return text if len(text) <= ECHO_CHARS else f"{_cut(text)} ({len(text):,} characters)"


def echo(value: object) -> str:
    """``value`` quoted as an error message repeats it, a long one shortened as :func:`shorten` does."""
    text = str(value)
    return repr(text) if len(text) <= ECHO_CHARS else f"{_cut(text)!r} ({len(text):,} characters)"


_QUOTED = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")( \([\d,]+ characters\))?""")
"""A value a message quotes, and the length that follows it where :func:`echo` quoted it."""


def capped(message: str) -> str:
    """Another library's ``message`` (PyYAML's, typer's), or one that quotes a value with ``repr``, with each
    value it quotes whole, of any length, cut as :func:`shorten` cuts one (within its quotes, as quoted)."""

    def cut(quoted: re.Match[str]) -> str:
        text, mark = quoted[1][1:-1], quoted[1][0]
        if len(text) <= ECHO_CHARS or quoted[2]:
            return quoted[0]
        return f"{mark}{_cut(text)}{mark} ({len(text):,} characters)"

    return _QUOTED.sub(cut, message)


@contextmanager
def naming(path: object) -> Iterator[None]:
    """An ``OSError`` raised within names ``path`` when it names no file: the error of a write or a close (no
    space left, a device that takes no data) names none, unlike that of an open, and `Error: [Errno 28] No
    space left on device` left a person to guess which file."""
    try:
        yield
    except OSError as e:
        if e.filename is not None:
            raise
        raise OSError(e.errno, e.strerror or str(e), str(path)) from e
