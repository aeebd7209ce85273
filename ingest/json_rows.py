"""The parsers of JSON registry text: one object per line (JSONL), or the items of one top-level array.

As for CSV (``ingest.rows``), one bad record becomes a :class:`~ingest.rows.Row` with ``error`` set and the
records after it load; only what makes the rest of a file unreadable raises :class:`~ingest.rows.Broken`.
Objects with a key twice and numbers JSON does not have (``NaN``, ``Infinity``, ``1e400``) are such bad
records: Python's parser would keep the last key, or read them as floats, silently.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import IO, Any

from ingest.rows import CHUNK, LONG_LINE, Broken, Cursor, Row, read_line
from schema.errors import echo

MAX_ITEM_CHARS = 16 * 1024 * 1024
"""One JSON array item is decoded whole: larger than this, it is not read on."""
TOO_DEEP = "nested too deeply to read (objects or arrays more than about 1,000 levels deep)"


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
            yield Row(number, {}, f"not valid JSON: {e.msg} at column {e.colno:,}")
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
            return Row(number, {}, TOO_DEEP), _end_of_deep_item(text)
        except json.JSONDecodeError as e:
            if not _incomplete(e, text):
                raise Broken(f"not valid JSON at {text.at(e.pos)}: {e.msg}") from None
            if len(text.buffer) - text.position > MAX_ITEM_CHARS:
                too_big = f"the item is not valid JSON, or larger than {MAX_ITEM_CHARS:,} characters"
                raise Broken(too_big) from None
            if not text.refill():
                raise Broken(f"the file is cut short inside this item ({e.msg})") from None


_TOKEN = re.compile(r'[\[\]{}]|"[^"\\]*(?:\\.[^"\\]*)*(")?')
"""A bracket, or a string (its closing quote group 1: absent where the buffer ends inside it)."""


def _end_of_deep_item(text: _ArrayText) -> int:
    """Where the item at the text's position ends, found without recursion (Python's parser recurses once a
    level, and gave up on this one): brackets are counted, strings skipped. The item is then one rejected
    row and the items after it load, as the lines around a deep JSONL line do."""
    while True:
        depth = 0
        for token in _TOKEN.finditer(text.buffer, text.position):
            if token[0] in "[{":
                depth += 1
            elif token[0] in "]}":
                depth -= 1
                if depth == 0:
                    return token.end()
            elif token[1] is None:
                break  # the buffer ends inside a string
        if len(text.buffer) - text.position > MAX_ITEM_CHARS:
            raise Broken(f"{TOO_DEEP}, and larger than {MAX_ITEM_CHARS:,} characters")
        if not text.refill():
            raise Broken(f"{TOO_DEEP}, and the file is cut short inside it")
