"""Reading registry files as streams of rows, whatever their format, encoding and compression.

CSV (delimiter and encoding detected: UTF-8 with or without BOM, cp1252 / latin-1, whatever
charset-normalizer recognizes), a JSON array, or JSONL; any of them gzip-compressed (``.gz``). Rows are
yielded one by one with their position (CSV: the line the record starts on, the header being line 1; JSONL:
the line; JSON array: the item's number), so memory stays flat in the file's size.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes

from schema.errors import IngestError

SAMPLE_BYTES = 256 * 1024
CHUNK = 1024 * 1024
DELIMITERS = ",;\t|"
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class FileFormat:
    """What was detected about a file: ``format`` is ``csv``, ``json`` or ``jsonl``."""

    format: str
    encoding: str
    compressed: bool
    delimiter: str | None = None


@dataclass(frozen=True)
class Row:
    """One record as read: its values by source column, and where it is in the file."""

    number: int
    values: dict[str, Any]
    error: str | None = None


def _open_binary(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if compressed else path.open("rb")  # type: ignore[return-value]


def file_hash(path: Path) -> str:
    """SHA-256 of the file as stored (provenance: which version of a registry a node came from)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _detect_encoding(path: Path) -> str:
    """UTF-8 (``utf-8-sig`` when a BOM is there) if the whole file decodes as UTF-8, else a legacy encoding
    detected from the first stretch that does not."""
    with _open_binary(path) as handle:
        head = handle.read(SAMPLE_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = head
        while chunk:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return _legacy_encoding(chunk)
            chunk = handle.read(CHUNK)
    return "utf-8"


def _legacy_encoding(sample: bytes) -> str:
    """Western European registries that are not UTF-8 are cp1252 (a superset of latin-1 for text); only a
    sample cp1252 cannot decode goes to charset-normalizer's guess."""
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        guess = from_bytes(sample[:SAMPLE_BYTES]).best()
        return guess.encoding if guess else "latin-1"


def _open_text(path: Path, encoding: str) -> IO[str]:
    """Text of a (possibly gzip-compressed) file; ``newline=""`` lets the csv module see quoted newlines."""
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, errors="strict", newline="")


def detect(path: Path) -> FileFormat:
    """Detect the format, encoding and (for CSV) delimiter of a file from its content."""
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    with _open_binary(path) as probe:
        compressed = isinstance(probe, gzip.GzipFile)
    encoding = _detect_encoding(path)
    with _open_text(path, encoding) as handle:
        head = handle.read(64 * 1024)
    stripped = head.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise IngestError(f"{path}: the file is empty")
    if stripped[0] == "[":
        return FileFormat("json", encoding, compressed)
    if stripped[0] == "{":
        return FileFormat("jsonl", encoding, compressed)
    header = stripped.splitlines()[0]
    delimiter = max(DELIMITERS, key=header.count)
    if header.count(delimiter) == 0:
        delimiter = ","
    return FileFormat("csv", encoding, compressed, delimiter)


def columns(path: Path, fmt: FileFormat, sample: int = 1000) -> list[str]:
    """The column names of a file: the CSV header, or the keys of its first ``sample`` JSON records (JSON
    records need not all have the same keys)."""
    if fmt.format == "csv":
        with _open_text(path, fmt.encoding) as handle:
            header = next(csv.reader(handle, delimiter=fmt.delimiter or ","), [])
        return [name.lstrip("\ufeff").strip() for name in header]
    seen: dict[str, None] = {}
    for number, row in enumerate(read(path, fmt)):
        if number >= sample:
            break
        seen.update(dict.fromkeys(row.values))
    return list(seen)


def read(path: Path, fmt: FileFormat) -> Iterator[Row]:
    """Stream the rows of a file. A row that cannot be parsed is yielded with ``error`` set (it is rejected,
    the run goes on); a file that cannot be read at all raises :class:`IngestError`."""
    try:
        with _open_text(path, fmt.encoding) as handle:
            if fmt.format == "csv":
                yield from _read_csv(handle, fmt.delimiter or ",")
            elif fmt.format == "jsonl":
                yield from _read_jsonl(handle)
            else:
                yield from _read_json_array(handle)
    except (UnicodeDecodeError, OSError, EOFError, csv.Error) as e:
        raise IngestError(f"{path}: cannot be read as {fmt.format} ({fmt.encoding}): {e}") from e


def _read_csv(handle: IO[str], delimiter: str) -> Iterator[Row]:
    reader = csv.reader(handle, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    header = [name.lstrip("\ufeff").strip() for name in header]
    start = reader.line_num + 1
    for cells in reader:
        number, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield Row(number, {}, f"{len(cells)} cells but the header has {len(header)} columns")
            continue
        yield Row(number, dict(zip(header, cells, strict=False)))


def _read_jsonl(handle: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(handle, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            yield Row(number, {}, f"not valid JSON: {e.msg}")
            continue
        if not isinstance(value, dict):
            yield Row(number, {}, "a JSONL line must hold one object")
            continue
        yield Row(number, value)


def _read_json_array(handle: IO[str]) -> Iterator[Row]:
    """Decode the items of a top-level JSON array one at a time, never the whole document."""
    decoder = json.JSONDecoder()
    buffer = handle.read(CHUNK).lstrip("\ufeff \t\r\n")
    if not buffer.startswith("["):
        raise IngestError("a JSON file must hold one array of objects")
    position, number = 1, 0

    def refill() -> bool:
        nonlocal buffer, position
        more = handle.read(CHUNK)
        buffer, position = buffer[position:] + more, 0
        return bool(more)

    while True:
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n,":
                position += 1
            if position < len(buffer) or not refill():
                break
        if position >= len(buffer):
            raise IngestError("the JSON array is not closed")
        if buffer[position] == "]":
            return
        while True:
            try:
                value, position = decoder.raw_decode(buffer, position)
                break
            except json.JSONDecodeError as e:
                if not refill():
                    raise IngestError(f"invalid JSON after item {number}: {e.msg}") from e
        number += 1
        yield Row(number, value) if isinstance(value, dict) else Row(number, {}, "an item must be an object")
