"""Reading registry files as streams of rows, whatever their format, encoding and compression.

CSV (delimiter and encoding detected: UTF-8 with or without BOM, cp1252 / latin-1, whatever
charset-normalizer recognizes), a JSON array, or JSONL; any of them gzip-compressed (``.gz``). Rows are
yielded one by one with their position (CSV: the line the record starts on, the header being line 1; JSONL:
the line; JSON array: the item's number), so memory stays flat in the file's size.

A file that stops being readable (cut short, corrupt compression, an undecodable byte, a header naming a
column twice, a JSON array broken off) raises :class:`~schema.errors.FileError` naming the file, the position
reached and the reason; ``ingest.rows`` and ``ingest.json_rows`` parse the text.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ingest.encodings import SAMPLE_BYTES, Lines, Utf8Letters, legacy_encoding, not_utf8_at
from ingest.json_rows import json_array_rows, jsonl_rows
from ingest.rows import CHUNK, Broken, Cursor, Row, csv_header, csv_rows
from schema.errors import FileError, IngestError, echo

__all__ = ["CHUNK", "FileFormat", "Row", "columns", "detect", "file_hash", "read"]

JSON_LINES = (".jsonl", ".ndjson")
"""Names of JSON lines files (``.gz`` after them too): read as JSONL whatever their first line holds. A
``.jsonl`` file whose first line was not an object was read as CSV, its lines counted against that line as a
header."""
DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class FileFormat:
    """What was detected about a file: ``format`` is ``csv``, ``json`` or ``jsonl``."""

    format: str
    encoding: str
    compressed: bool
    delimiter: str | None = None


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
    detected from the first stretch that does not; a cp1252 file is read on to its end for UTF-8 letters.
    Reading it all also finds a compressed file cut short, or a byte that is not UTF-8 after a UTF-8 BOM,
    before anything is written."""
    offset = 0
    try:
        with _open_binary(path) as handle:
            head = handle.read(SAMPLE_BYTES)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return "utf-16"
            bom = head.startswith(codecs.BOM_UTF8)
            decoder = codecs.getincrementaldecoder("utf-8")()
            lines = Lines()
            legacy: Utf8Letters | None = None
            chunk = head[len(codecs.BOM_UTF8) :] if bom else head
            while chunk:
                rest = chunk
                if legacy is None and (start := not_utf8_at(path, decoder, chunk, lines)) is not None:
                    if bom:
                        raise _not_utf8_after_bom(path, chunk[start : start + 1], lines.count + 1)
                    encoding = legacy_encoding(chunk)
                    if encoding != "cp1252" or lines.nul:  # NULs: binary, named later
                        return encoding
                    legacy = Utf8Letters(str(path), chunk[start : start + 1], lines.count + 1)
                    rest = chunk[start:]
                if legacy is not None:
                    legacy.scan(rest)
                offset += len(chunk)
                chunk = handle.read(CHUNK)
    except _STREAM_ERRORS as e:
        raise _unreadable(path, f"after {offset:,} bytes of content", e) from e
    return "cp1252" if legacy else "utf-8-sig" if bom else "utf-8"


def _not_utf8_after_bom(path: Path, byte: bytes, line: int) -> FileError:
    """The error of a file that starts with UTF-8's byte order mark and holds a byte that is not UTF-8:
    decoding it while loading stopped the run part way, at a line the decoder's read-ahead made wrong."""
    reason = (
        f"bytes {byte!r} are not UTF-8, yet the file starts with UTF-8's byte order mark: the file mixes "
        "encodings; save it in one (UTF-8)"
    )
    return FileError(str(path), f"line {line:,}", reason)


def _open_text(path: Path, encoding: str) -> IO[str]:
    """Text of a (possibly gzip-compressed) file; ``newline=""`` lets the csv module see quoted newlines."""
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, errors="strict", newline="")


def detect(path: Path) -> FileFormat:
    """Detect the format, encoding and (for CSV) delimiter of a file from its content (a JSON lines name,
    :data:`JSON_LINES`, settles the format)."""
    control = _CONTROL_IN_PATH.search(str(path))
    if control:
        raise IngestError(
            f"{echo(path)}: the path holds the control character U+{ord(control.group()):04X}, which "
            "would break or recolour the lines that name the file on a console; rename it"
        )
    if path.is_dir():
        raise IngestError(f"{path}: is a folder, not a file; pass the files in it, e.g. {path}/*.csv")
    if path.exists() and not path.is_file():
        raise IngestError(f"{path}: is not a regular file (a device, a pipe or a socket); save it to a file")
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    try:
        with _open_binary(path) as probe:
            compressed = isinstance(probe, gzip.GzipFile)
        encoding = _detect_encoding(path)
        with _open_text(path, encoding) as handle:
            head = handle.read(64 * 1024)
    except _STREAM_ERRORS as e:
        raise _unreadable(path, "start of the file", e) from e
    stripped = head.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise IngestError(f"{path}: the file is empty")
    name = path.name.lower().removesuffix(".gz")
    named_jsonl = name.endswith(JSON_LINES)
    if stripped[0] == "[" and not named_jsonl:
        return FileFormat("json", encoding, compressed)
    if name.endswith(".json") and stripped[0] != "{":
        raise FileError(str(path), "line 1", _not_json_records(stripped))
    if stripped[0] == "{" or named_jsonl:
        if stripped.splitlines()[0].strip() == "{":
            raise FileError(
                str(path),
                "line 1",
                "a JSON object spread over several lines: JSONL holds one object per line, "
                "a JSON file one array of objects",
            )
        return FileFormat("jsonl", encoding, compressed)
    header = stripped.splitlines()[0]
    if "\x00" in header:
        raise FileError(str(path), "line 1", _nul_header(header))
    if control := _CONTROL_IN_HEADER.search(header):
        raise FileError(
            str(path),
            "line 1",
            f"the header holds the control character U+{ord(control.group()):04X} at character "
            f"{control.start() + 1:,} ({echo(header)}): this is not a text file (an image, an archive, a "
            "spreadsheet?)",
        )
    delimiter = max(DELIMITERS, key=header.count)
    if header.count(delimiter) == 0:
        delimiter = ","
    return FileFormat("csv", encoding, compressed, delimiter)


_CONTROL_IN_HEADER = re.compile(r"[\x01-\x08\x0e-\x1b\x1f\x7f-\x9f]")
"""Control characters no header of a text file holds (tab and the line breaks aside; NUL is told apart by
:func:`_nul_header`): read on, a binary file given ``--kind`` had every row rejected, and the run completed
with exit code 0."""

_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 controls: every message about a file starts with its path, printed as it is (a line break in
a name forged a line of the reject summary; an escape sequence recoloured or cleared the terminal)."""


def _nul_header(header: str) -> str:
    """Why a header holding NUL characters is not read: UTF-16 without its byte order mark reads as UTF-8
    with a NUL beside each letter, and a binary file (a zip, a file gzipped twice) holds them anywhere. Read
    on, the first said "no column names a known field" and with ``--kind`` rejected every row."""
    letters = header.rstrip("\x00")
    utf16 = len(letters) > 1 and (set(letters[1::2]) == {"\x00"} or set(letters[0::2]) == {"\x00"})
    what = (
        "the file looks like UTF-16 without a byte order mark; save it as UTF-8"
        if utf16
        else "this is not a text file (compressed twice, an archive, a spreadsheet?)"
    )
    return f"the header holds NUL characters ({echo(header)}): {what}"


def _not_json_records(head: str) -> str:
    """Why a ``.json`` file that starts with neither ``[`` nor ``{`` holds no records. Read as CSV, a file
    holding ``42`` or ``"text"`` would have one column and no row, and with ``--kind`` would load nothing, say
    nothing and complete."""
    first = head.splitlines()[0].strip()
    return (
        f"a .json file holds a JSON array of objects (or one object per line); this one starts with "
        f"{echo(first)}"
    )


def columns(path: Path, fmt: FileFormat, sample: int = 1000) -> list[str]:
    """The column names of a file: the CSV header, or the keys of its first ``sample`` JSON records (JSON
    records need not all have the same keys)."""
    if fmt.format == "csv":
        cursor = Cursor()
        try:
            with _open_text(path, fmt.encoding) as handle:
                return csv_header(handle, fmt.delimiter or ",", cursor)
        except Broken as e:
            raise FileError(str(path), e.position(cursor), e.reason) from None
        except _STREAM_ERRORS as e:
            raise _unreadable(path, cursor.position(), e, fmt) from e
    seen: dict[str, None] = {}
    rows: list[Row] = []
    for number, row in enumerate(read(path, fmt)):
        if number >= sample:
            break
        rows.append(row)
        seen.update(dict.fromkeys(row.values))
    if rows and all(row.error for row in rows):
        raise _no_object(path, fmt, rows, sample)
    return list(seen)


def _no_object(path: Path, fmt: FileFormat, rows: list[Row], sample: int) -> FileError:
    """The error of a JSON(L) file of which no record read holds an object: its rows would each be rejected,
    and the kind of the file could not be told, for a reason that said nothing of it ("no column names a
    known field")."""
    unit = "line" if fmt.format == "jsonl" else "item"
    scope = f"of its first {sample:,} {unit}s" if len(rows) >= sample else f"of its {len(rows):,} {unit}s"
    reason = f"{rows[0].error}; no {unit} {scope} holds an object"
    return FileError(str(path), f"{unit} {rows[0].number:,}", reason)


def read(path: Path, fmt: FileFormat) -> Iterator[Row]:
    """Stream the rows of a file. A row that cannot be parsed is yielded with ``error`` set (it is rejected,
    the run goes on); a file that cannot be read on raises :class:`FileError` once the rows before the
    failure are yielded."""
    cursor = Cursor()
    try:
        with _open_text(path, fmt.encoding) as handle:
            if fmt.format == "csv":
                yield from csv_rows(handle, fmt.delimiter or ",", cursor)
            elif fmt.format == "jsonl":
                yield from jsonl_rows(handle, cursor)
            else:
                yield from json_array_rows(handle, cursor)
    except Broken as e:
        raise FileError(str(path), e.position(cursor), e.reason) from None
    except _STREAM_ERRORS as e:
        raise _unreadable(path, f"after {cursor.position()}", e, fmt) from e


def _unreadable(path: Path, position: str, error: BaseException, fmt: FileFormat | None = None) -> FileError:
    """The error of a file that stops being readable at ``position``; whole gzip streams followed by other
    bytes are named where the last whole stream ends, since Python's reader fails on those bytes while it
    looks for a next stream, before it returns the content it has decompressed (``after 0 bytes of content:
    not a valid gzip file (Not a gzipped file (b'ju'))``), and bytes that start with gzip's mark fail it as a
    cut or corrupt stream would."""
    appended = _after_gzip(path) if isinstance(error, (EOFError, zlib.error, gzip.BadGzipFile)) else None
    return appended or FileError(str(path), position, _reason(error, fmt))


def _after_gzip(path: Path) -> FileError | None:
    """The error of a file holding whole gzip streams followed by bytes that are not a whole gzip stream
    (zero bytes, which gzip allows as padding, aside), or ``None`` when it holds none such (its first stream
    is itself cut short or corrupt): each stream is decompressed again in bounded chunks, counting its
    content, to find where it ends in the file."""
    content, whole, end, head = 0, 0, 0, b""
    stream = zlib.decompressobj(wbits=31)  # 31: one gzip stream
    with path.open("rb") as handle:
        data = b""
        while True:
            data = data or handle.read(CHUNK)
            if not data:
                return _appended(path, end, whole, head, "it ends before a gzip stream does") if end else None
            try:
                content += len(stream.decompress(data, CHUNK))
            except zlib.error as e:
                why = str(e).removeprefix("Error -3 while decompressing data: ")
                return _appended(path, end, whole, head, why) if end else None
            if not stream.eof:
                data = stream.unconsumed_tail
                continue
            data, whole = stream.unused_data, content
            while not (data := data.lstrip(b"\0")):  # zero bytes after a stream are padding
                if not (data := handle.read(CHUNK)):
                    return None
            end = handle.tell() - len(data)  # where the bytes after the stream start
            if len(data) < 16:
                data += handle.read(CHUNK)
            head = data[:16]
            if not head.startswith(b"\x1f\x8b"):
                return _appended(path, end, whole, head, None)
            stream = zlib.decompressobj(wbits=31)


def _appended(path: Path, end: int, content: int, head: bytes, why: str | None) -> FileError:
    """The error of a file whose whole gzip streams end ``end`` bytes into it (``content`` bytes decompressed)
    and are followed by bytes starting with ``head``: bytes that are not gzip, or bytes that start with gzip's
    mark (``1f 8b``) yet are not a whole stream (``why`` not), as junk that happens to start so is not."""
    after = path.stat().st_size - end
    if why is None:
        what = f"{'is' if after == 1 else 'are'} not gzip ({head!r})"
        cause = "something was added to the file after it was compressed"
    else:
        what = f"start with gzip's mark but are not a whole gzip stream ({head!r}: {why})"
        cause = "something was added to the file after it was compressed, or its next stream is cut short"
    return FileError(
        str(path),
        f"after {end:,} bytes of the file",
        f"the gzip data ends there ({content:,} bytes of content) and is followed by {after:,} "
        f"byte{'' if after == 1 else 's'} that {what}: {cause}",
    )


def _reason(error: BaseException, fmt: FileFormat | None = None) -> str:
    """A reading failure in words a data team can act on."""
    if isinstance(error, EOFError):
        return "the compressed data ends before its end marker: the file is cut short"
    if isinstance(error, gzip.BadGzipFile):
        return f"not a valid gzip file ({error})"
    if isinstance(error, zlib.error):
        return f"the compressed data is corrupt ({error})"
    if isinstance(error, UnicodeDecodeError):
        encoding = fmt.encoding if fmt else error.encoding
        return f"bytes {error.object[error.start : error.end]!r} cannot be decoded as {encoding}"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


_STREAM_ERRORS = (UnicodeDecodeError, OSError, EOFError, zlib.error)
