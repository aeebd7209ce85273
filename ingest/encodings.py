"""What the bytes of a registry file say about its encoding, as ``ingest.readers`` reads them a chunk at a
time: where UTF-8 stops, which legacy encoding follows, and whether the file mixes the two (either way
round: its letters would be stored garbled, silently).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from charset_normalizer import from_bytes

from schema.errors import FileError

SAMPLE_BYTES = 256 * 1024
"""The first read of a file, and the most of it handed to charset-normalizer for a guess."""


def not_utf8_at(path: Path, decoder: codecs.IncrementalDecoder, chunk: bytes, lines: Lines) -> int | None:
    """Where ``chunk`` stops being UTF-8 (``None`` where it does not); a file that is UTF-8 up to there,
    letters beyond ASCII included, is refused as mixing encodings."""
    pending = decoder.getstate()[0]
    try:
        decoder.decode(chunk)
    except UnicodeDecodeError as e:
        start = max(0, e.start - len(pending))
        lines.note(chunk[:start])
        if lines.first_beyond_ascii is not None and not lines.nul:  # NULs: binary, named later
            raise FileError(str(path), f"line {lines.count + 1:,}", _mixed(e, lines)) from None
        return start
    lines.note(chunk)
    return None


class Lines:
    """The lines of the bytes read so far, the first of them that held a byte beyond ASCII, and whether any
    held a NUL (text never does: UTF-16 without its byte order mark, or a binary file)."""

    def __init__(self) -> None:
        self.count = 0
        self.first_beyond_ascii: int | None = None
        self.nul = False

    def note(self, data: bytes) -> None:
        self.nul = self.nul or b"\x00" in data
        if self.first_beyond_ascii is None:
            beyond = _BEYOND_ASCII.search(data)
            if beyond:
                self.first_beyond_ascii = self.count + data.count(b"\n", 0, beyond.start()) + 1
        self.count += data.count(b"\n")


_BEYOND_ASCII = re.compile(rb"[\x80-\xff]")


def _mixed(error: UnicodeDecodeError, lines: Lines) -> str:
    """Why a file that is UTF-8 up to a byte that is not cannot be read: decoded whole as cp1252, its
    UTF-8 letters would become two or three letters each (``Müller`` stored as ``MÃ¼ller``), silently."""
    bad = error.object[error.start : error.end]
    return (
        f"bytes {bad!r} are not UTF-8, yet the text before them is (line {lines.first_beyond_ascii:,} holds "
        "UTF-8 letters beyond ASCII): the file mixes encodings; save it in one (UTF-8)"
    )


_UTF8_LETTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf](?:(?=[a-z])|(?<=[a-z]..))"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
"""A UTF-8 sequence as cp1252 text never holds it: three or four bytes (``â€™`` for ``’``), or two beside a
lowercase ASCII letter (``Ã¼`` in ``MÃ¼ller``). Two bytes alone are an accented capital and a sign in
cp1252 (``CAFÉ”``), which real text does hold, so a letter of an all-capital word (``MÜLLER``) is not told
apart."""
_LEAD_THEN_MORE = bytes(
    ord("L") if 0xC2 <= b <= 0xF4 else ord("C") if 0x80 <= b <= 0xBF else ord(".") for b in range(256)
)
"""Each byte as ``L`` (it may start a UTF-8 sequence), ``C`` (it may continue one) or ``.``: ``LC`` is found
in the translated text at C speed; a regular expression searching 87 MB took 10 s."""


class Utf8Letters:
    """The scan of a cp1252 file, from its first byte that is not UTF-8 (``legacy``, on ``line``) on, for
    UTF-8 letters: read as cp1252, each would become two or three letters (``Müller`` stored as
    ``MÃ¼ller``), silently."""

    def __init__(self, file: str, legacy: bytes, line: int) -> None:
        self.file, self.legacy, self.line = file, legacy, line
        self.lines_before = line - 1
        self.tail = b""

    def scan(self, chunk: bytes) -> None:
        """Raise :class:`FileError` at the first UTF-8 letter of ``chunk``; the last bytes are kept, since a
        sequence and the letter beside it may run on into the next chunk."""
        data = self.tail + chunk
        marks = data.translate(_LEAD_THEN_MORE)
        at = marks.find(b"LC")
        while at >= 0:
            found = _UTF8_LETTER.match(data, at)
            if found:
                line = self.lines_before + data.count(b"\n", 0, at) + 1
                reason = _mixed_legacy(found.group(), self.legacy, self.line)
                raise FileError(self.file, f"line {line:,}", reason)
            at = marks.find(b"LC", at + 1)
        self.tail = data[-5:]
        self.lines_before += data.count(b"\n") - self.tail.count(b"\n")


def _mixed_legacy(sequence: bytes, legacy: bytes, line: int) -> str:
    """Why a cp1252 file holding UTF-8 letters further on cannot be read (the reverse of :func:`_mixed`)."""
    return (
        f"bytes {sequence!r} are UTF-8 for {sequence.decode()!r}, yet the text before them is not (line "
        f"{line:,} holds {legacy!r}, cp1252 for {legacy.decode('cp1252')!r}): the file mixes encodings; save "
        "it in one (UTF-8)"
    )


def legacy_encoding(sample: bytes) -> str:
    """Western European registries that are not UTF-8 are cp1252 (a superset of latin-1 for text); only a
    sample cp1252 cannot decode goes to charset-normalizer's guess."""
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        guess = from_bytes(sample[:SAMPLE_BYTES]).best()
        return guess.encoding if guess else "latin-1"
