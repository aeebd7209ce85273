"""The rows a registry file is read into, and the parser of its CSV text (``ingest.json_rows`` parses JSON).

A parser never raises on one bad record: the record becomes a :class:`Row` with ``error`` set (rejected, the
run goes on), and parsing resumes at the next record. Only what makes the rest of a file unreadable raises
:class:`Broken` (a JSON array cut short, an invalid JSON item, a repeated header column);
``ingest.readers`` adds the file's name and the :class:`Cursor`'s position to it.

CSV records are read with the csv module in strict mode over the file's lines, remembering the lines of the
record being read: a record broken by a stray quote (the quote is never closed, text follows a closing
quote, or a quoted field runs over several lines and leaves the wrong number of cells) is rejected at the
line where it starts, and reading resumes at the line after it, so the valid rows a stray quote would have
swallowed still load.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from schema.errors import echo

CHUNK = 1024 * 1024
MAX_RECORD_CHARS = 1024 * 1024  # a quoted field running past this over several lines is a stray quote
FIELD_LIMIT = 16 * 1024 * 1024
MAX_LINE_CHARS = 16 * 1024 * 1024
"""A line is read whole before it is parsed: a longer one is rejected and skipped a chunk at a time, never
held (held whole, one line of 500 MB, 500 KB gzipped, takes 1.1 GB; one of 5 GB would end the machine)."""
csv.field_size_limit(FIELD_LIMIT)
LONG_LINE = f"the line is longer than {MAX_LINE_CHARS // (1024 * 1024)} MiB"


@dataclass(frozen=True)
class Row:
    """One record as read: its values by source column, and where it is in the file."""

    number: int
    values: dict[str, Any]
    error: str | None = None


@dataclass
class Cursor:
    """How far a parser got: the line read last and, in a JSON array, the item; names a fatal error's
    position."""

    line: int = 0
    item: int | None = None

    def position(self) -> str:
        if self.item is not None:
            return f"item {self.item:,} (line {self.line:,})"
        return f"line {self.line:,}" if self.line else "start of the file"


class Broken(Exception):
    """The rest of the file cannot be read; ``reason`` in words, the position is ``line`` when given, else the
    cursor's."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def position(self, cursor: Cursor) -> str:
        return f"line {self.line:,}" if self.line else cursor.position()


# --- CSV ---------------------------------------------------------------------------------------------------


class _Runaway(Exception):
    """A record grew past MAX_RECORD_CHARS over several lines: a quote that is never closed."""


class _LongLine(Exception):
    """The next line is longer than MAX_LINE_CHARS (it has been skipped)."""


_LONG = "\x00 a line longer than MAX_LINE_CHARS \x00"
"""Where a skipped long line stands among the lines given back to be read again (compared by identity)."""


def read_line(handle: IO[str]) -> str | None:
    """The next line, "" at the end of the file, or None for a line longer than MAX_LINE_CHARS, which is
    skipped a chunk at a time."""
    line = handle.readline(MAX_LINE_CHARS + 1)
    if len(line) <= MAX_LINE_CHARS or line.endswith(("\n", "\r")):
        return line
    while (rest := handle.readline(CHUNK)) and not rest.endswith(("\n", "\r")):
        pass
    return None


class _Lines:
    """The file's lines for csv.reader, keeping those of the record being read so that a broken record can
    be given back and read again from its second line."""

    def __init__(self, handle: IO[str], cursor: Cursor) -> None:
        self._handle = handle
        self._back: list[str] = []
        self._cursor = cursor
        self.taken: list[str] = []
        self._chars = 0
        self.start = 1  # line number of the record being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._back:
            line = self._back.pop()
            if line is _LONG:
                raise _LongLine
        else:
            read = read_line(self._handle)
            if read == "":
                raise StopIteration
            self._cursor.line += 1
            if read is None:
                raise _LongLine
            line = read
        self.taken.append(line)
        self._chars += len(line)
        if self._chars > MAX_RECORD_CHARS and len(self.taken) > 1:
            raise _Runaway
        return line

    def done(self) -> None:
        """The record is read: the next starts after its last line."""
        self.start += len(self.taken)
        self.taken, self._chars = [], 0

    def retry(self) -> None:
        """The record is broken: read again from the line after its first."""
        self._back.extend(reversed(self.taken[1:]))
        self.start += 1
        self.taken, self._chars = [], 0

    def long_line(self) -> bool:
        """A long line was skipped: True if it began a record (it is that record), else it is kept to be met
        again after the record's other lines are read again."""
        if not self.taken:
            self.start += 1
            return True
        self._back.append(_LONG)
        return False


def _quote_problem(error: Exception, lines: int) -> str:
    if isinstance(error, _Runaway):
        return f"a quote opened in this row is still open after {lines:,} lines and 1 MiB: it is never closed"
    message = str(error)
    if message == "unexpected end of data":
        return "a quote opened in this row is never closed (the file ends inside it)"
    if "expected after" in message and lines > 1:
        return f"a quote opened in this row runs on over {lines:,} lines and is never closed"
    if "expected after" in message:
        return 'text follows a closing quote (a quote inside a quoted field must be doubled: "")'
    if "field larger than field limit" in message:
        return f"a field is larger than {FIELD_LIMIT // (1024 * 1024)} MiB"
    return f"cannot be read as CSV: {message}"


def _header(cells: list[str], line: int) -> list[str]:
    """The header's column names; a name twice is an error, since one column would silently win."""
    names = [cell.lstrip("\ufeff").strip() for cell in cells]
    first: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if name and name in first:
            raise Broken(
                f"column {echo(name)} appears twice in the header (columns {first[name]:,} and {index:,})",
                line,
            )
        first.setdefault(name, index)
    return names


class _Records:
    """CSV records with the line each starts on; a broken one comes back as the reason it is broken."""

    def __init__(self, handle: IO[str], delimiter: str, cursor: Cursor) -> None:
        self.delimiter = delimiter
        self.lines = _Lines(handle, cursor)
        self.reader = csv.reader(self.lines, delimiter=delimiter, strict=True)

    def __iter__(self) -> Iterator[tuple[int, list[str] | str]]:
        while True:
            start = self.lines.start
            try:
                cells = next(self.reader)
            except StopIteration:
                return
            except (csv.Error, _Runaway) as e:
                problem = _quote_problem(e, len(self.lines.taken))
                self.retry()
                yield start, problem
                continue
            except _LongLine:
                if self.lines.long_line():
                    self.reader = csv.reader(self.lines, delimiter=self.delimiter, strict=True)
                    yield start, LONG_LINE
                else:
                    self.retry()
                    yield (
                        start,
                        f"a quote opened in this row runs on into a line that is too long: {LONG_LINE}",
                    )
                continue
            yield start, cells

    @property
    def spanned(self) -> int:
        """How many lines the record just yielded spans."""
        return len(self.lines.taken)

    def keep(self) -> None:
        """The record just yielded is final."""
        self.lines.done()

    def retry(self) -> None:
        """The record just yielded is broken: read again from its second line."""
        self.lines.retry()
        self.reader = csv.reader(self.lines, delimiter=self.delimiter, strict=True)


def csv_header(handle: IO[str], delimiter: str, cursor: Cursor) -> list[str]:
    """The column names: the first record that is not blank."""
    records = _Records(handle, delimiter, cursor)
    for start, cells in records:
        if isinstance(cells, str):
            raise Broken(f"the header: {cells}", start)
        records.keep()
        if any(cell.strip() for cell in cells):
            return _header(cells, start)
    return []


def csv_rows(handle: IO[str], delimiter: str, cursor: Cursor) -> Iterator[Row]:
    """The rows of a CSV file: every record must have as many cells as the header has columns (a short row
    and a long one are rejected alike); blank lines are skipped."""
    records = _Records(handle, delimiter, cursor)
    header = None
    for start, cells in records:
        if isinstance(cells, str):
            if header is None:
                raise Broken(f"the header: {cells}", start)
            yield Row(start, {}, cells)
            continue
        spanned = records.spanned
        if header is not None and spanned > 1 and len(cells) != len(header):
            records.retry()
            yield Row(
                start,
                {},
                f"a quote opened in this row runs over {spanned:,} lines and leaves {len(cells):,} cells "
                f"where the header has {len(header):,} columns: the quote is never closed",
            )
            continue
        records.keep()
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = _header(cells, start)
        elif len(cells) != len(header):
            counted = f"{len(cells):,} cell{'' if len(cells) == 1 else 's'}"
            yield Row(start, {}, f"{counted} but the header has {len(header):,} columns")
        else:
            yield Row(start, dict(zip(header, cells, strict=True)))


# --- JSON --------------------------------------------------------------------------------------------------
