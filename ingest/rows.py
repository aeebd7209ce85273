"""The rows a registry file is read into, and the parsers of its text: CSV records and JSON values.

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
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from schema.errors import echo

CHUNK = 1024 * 1024
MAX_RECORD_CHARS = 1024 * 1024  # a quoted field running past this over several lines is a stray quote
MAX_ITEM_CHARS = 16 * 1024 * 1024  # one JSON array item
FIELD_LIMIT = 16 * 1024 * 1024
MAX_LINE_CHARS = 16 * 1024 * 1024
"""A line is read whole before it is parsed: a longer one is rejected and skipped a chunk at a time, never
held (held whole, one line of 500 MB, 500 KB gzipped, takes 1.1 GB; one of 5 GB would end the machine)."""
csv.field_size_limit(FIELD_LIMIT)
LONG_LINE = f"the line is longer than {MAX_LINE_CHARS // (1024 * 1024)} MiB"
TOO_DEEP = "nested too deeply to read (objects or arrays more than about 1,000 levels deep)"


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
                f"column {echo(name)} appears twice in the header (columns {first[name]} and {index})", line
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
                f"a quote opened in this row runs over {spanned:,} lines and leaves {len(cells)} cells "
                f"where the header has {len(header)} columns: the quote is never closed",
            )
            continue
        records.keep()
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = _header(cells, start)
        elif len(cells) != len(header):
            counted = f"{len(cells)} cell{'' if len(cells) == 1 else 's'}"
            yield Row(start, {}, f"{counted} but the header has {len(header)} columns")
        else:
            yield Row(start, dict(zip(header, cells, strict=True)))


# --- JSON --------------------------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key twice is an error (json keeps the last one silently)."""
    value = dict(pairs)
    if len(value) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


class _BadNumber(Exception):
    """A number that Python's JSON parser reads, or fails on, outside JSON: ``NaN``, ``Infinity``, ``1e400``
    (read as infinity: an id would become ``'inf'``, a name ``'-inf'``), and an integer too long to convert (a
    ValueError traceback)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _constant(name: str) -> Any:
    raise _BadNumber(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _BadNumber(f"the number {echo(text)} is too large")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _BadNumber(f"a number of {len(text):,} digits is too long") from None


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_constant=_constant, parse_float=_float, parse_int=_int
)
_SKIM = json.JSONDecoder(parse_constant=str, parse_float=str, parse_int=str)
"""Finds where an item ends, whatever its keys and numbers."""


def _record(value: Any, number: int, what: str) -> Row:
    return Row(number, value) if isinstance(value, dict) else Row(number, {}, f"{what} must hold one object")


def jsonl_rows(handle: IO[str], cursor: Cursor) -> Iterator[Row]:
    """One object per line; a line that is not one is rejected, the lines around it load."""
    number = 0
    while (line := read_line(handle)) != "":
        number += 1
        cursor.line = number
        if line is None:
            yield Row(number, {}, LONG_LINE)
            continue
        text = line.strip()
        if not text:
            continue
        try:
            yield _record(_DECODER.decode(text), number, "a JSONL line")
        except json.JSONDecodeError as e:
            yield Row(number, {}, f"not valid JSON: {e.msg} at column {e.colno}")
        except RecursionError:
            yield Row(number, {}, TOO_DEEP)
        except _DuplicateKey as e:
            yield Row(number, {}, f"key {echo(e.key)} appears twice in the object")
        except _BadNumber as e:
            yield Row(number, {}, f"not valid JSON: {e.reason}")


class _ArrayText:
    """The text of a JSON array read a chunk at a time: ``buffer[position:]`` is what is left to decode;
    ``line`` is the line of ``position``."""

    def __init__(self, handle: IO[str], cursor: Cursor) -> None:
        self.handle = handle
        self.cursor = cursor
        self.buffer = handle.read(CHUNK)
        self.position = 0
        self._counted = 0  # newlines are counted in buffer[:_counted]
        self.line = 1

    def refill(self) -> bool:
        more = self.handle.read(CHUNK)
        self.advance(self.position)
        self.buffer, self.position, self._counted = self.buffer[self.position :] + more, 0, 0
        return bool(more)

    def advance(self, position: int) -> None:
        self.line += self.buffer.count("\n", self._counted, position)
        self.position = self._counted = position

    def skip(self, characters: str) -> str:
        """Skip ``characters`` (reading on as needed); the next character, or "" at the end."""
        while True:
            position = self.position
            while position < len(self.buffer) and self.buffer[position] in characters:
                position += 1
            self.advance(position)
            if position < len(self.buffer):
                return self.buffer[position]
            if not self.refill():
                return ""

    def at(self, position: int) -> str:
        """``line L, column C`` of a position in the buffer."""
        line = self.line + self.buffer.count("\n", self._counted, position)
        column = position - self.buffer.rfind("\n", 0, position)
        return f"line {line:,}, column {column:,}"


def _incomplete(error: json.JSONDecodeError, text: _ArrayText) -> bool:
    """Whether decoding failed only because the buffer ends inside the item (read on), not on bad JSON."""
    return error.pos >= len(text.buffer) - 6 or error.msg.startswith("Unterminated string")


def json_array_rows(handle: IO[str], cursor: Cursor) -> Iterator[Row]:
    """Decode the items of a top-level JSON array one at a time, never the whole document."""
    text = _ArrayText(handle, cursor)
    if text.skip("\ufeff \t\r\n") != "[":
        raise Broken("a JSON file must hold one array of objects")
    text.advance(text.position + 1)
    number = 0
    while True:
        cursor.line, cursor.item = text.line, number or None
        following = text.skip(" \t\r\n,")
        if not following:
            raise Broken(
                f"the array ends without its closing ']' after item {number:,}: the file is cut short"
            )
        if following == "]":
            text.advance(text.position + 1)
            if text.skip(" \t\r\n"):
                cursor.line, cursor.item = text.line, None
                raise Broken("text follows the closing ']' of the array")
            return
        cursor.line, cursor.item = text.line, number + 1
        value, end = _decode_item(text, number + 1)
        text.advance(end)
        number += 1
        yield _record(value, number, "an item") if not isinstance(value, Row) else value


def _decode_item(text: _ArrayText, number: int) -> tuple[Any, int]:
    """The item at the text's position and where it ends (a :class:`Row` with ``error`` for an object with
    a key twice: rejected, the items after it load)."""
    while True:
        try:
            return _DECODER.raw_decode(text.buffer, text.position)
        except _DuplicateKey as e:
            _, end = _SKIM.raw_decode(text.buffer, text.position)
            return Row(number, {}, f"key {echo(e.key)} appears twice in the object"), end
        except _BadNumber as e:
            _, end = _SKIM.raw_decode(text.buffer, text.position)
            return Row(number, {}, f"not valid JSON: {e.reason}"), end
        except RecursionError:
            raise Broken(TOO_DEEP) from None
        except json.JSONDecodeError as e:
            if not _incomplete(e, text):
                raise Broken(f"not valid JSON at {text.at(e.pos)}: {e.msg}") from None
            if len(text.buffer) - text.position > MAX_ITEM_CHARS:
                too_big = f"the item is not valid JSON, or larger than {MAX_ITEM_CHARS:,} characters"
                raise Broken(too_big) from None
            if not text.refill():
                raise Broken(f"the file is cut short inside this item ({e.msg})") from None
