"""The same record twice in one run: a harmless repeat, or two versions of one record.

A registry that holds organization (or cluster, or project) X on two rows, or one link (a membership, a
collaboration, a participation) on two rows, is either repeating itself (the same values once validated: the
later row is counted ``merged`` into the first) or saying two different things about it. Loading the first
and dropping the second would hide the disagreement, and picking either one silently changes what the
registry says, so the later row is rejected, naming the earlier row and each field that differs:
``organization 'X' is already at row 2 of this file with role 'firm', not 'vendor'``. The same holds across
the files of one run (``… at row 2 of orgs.csv …``).

A link is the same link when its ends resolve to the same nodes (and, for a collaboration, it is of the same
kind): two registry ids of one firm, or A→B beside B→A for a collaboration, which has no direction. So the
fields that name its ends (a :class:`Conflict`'s ``ends``) are not compared, only what the link holds
(``since``, ``weight``, ``role``).

A later row that only fills what the earlier left empty is rejected too: filling it in would make a node (or
link) that no row of the file describes, whose content hash matches neither row, so the next load could not
tell it unchanged and would write it again on every run; and which row is right is the data team's call.

Memory: per id or link, one packed integer (file, row and a 64-bit digest of the first row's values), not
the row. Rows whose digests differ write nothing either way, so the verdict waits until the file is read: the
few rows concerned are read and validated again (:meth:`Repeats.explain`), which names the fields without
keeping any row, and tells a true conflict from the same values written otherwise (``12`` in JSON, ``"12"``
in a CSV; an empty column where a JSON line has no key) or the same link written with other ends (the digest
is of the whole row): those are a repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

Reread = Callable[[set[int]], dict[int, dict[str, Any]]]
"""Reads rows of one input again: row numbers -> their canonical values (the rows found)."""

_ROW_BITS = 64
_FILE_BITS = 96
_MASK = (1 << 64) - 1


class Earlier(NamedTuple):
    """Where a record id or link was first seen in this run, and whether that row held the same values."""

    file: int
    row: int
    same: bool


class Conflict(NamedTuple):
    """A later row of the current input whose record (named in words by ``subject``: ``organization 'X'``)
    is already at ``earlier``, with values that read otherwise. ``node`` is the node a repeat of an id is
    merged into (reported as a merge), None for a link; ``ends`` are the fields that name the record, which
    are not compared (the first is the field of a reject that cannot name the others)."""

    row: int
    subject: str
    record: str
    node: str | None
    earlier: Earlier
    ends: tuple[str, ...] = ("id",)


class Repeats:
    """The first row of each node id and link of the run, and the inputs (files or record lists) to read
    again."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}
        self.names: list[str] = []
        self._rereads: list[Reread] = []

    @property
    def current(self) -> int:
        return len(self.names) - 1

    def start(self, name: str, reread: Reread) -> None:
        """A new input begins; its rows are numbered as in its reject report."""
        self.names.append(name)
        self._rereads.append(reread)

    def first(self, key: str, row: int, digest: str) -> Earlier | None:
        """None when ``key`` (a node id or link key, tagged with its kind) is new to the run (it is
        remembered at ``row`` of the current input), else where it was first seen. ``digest`` is the row's
        :func:`~ingest.known.row_digest`."""
        packed = self._first.get(key)
        value = int(digest[:16], 16)
        if packed is None:
            self._first[key] = (self.current << _FILE_BITS) | (row << _ROW_BITS) | value
            return None
        earlier_row = (packed >> _ROW_BITS) & ((1 << (_FILE_BITS - _ROW_BITS)) - 1)
        return Earlier(packed >> _FILE_BITS, earlier_row, packed & _MASK == value)

    def explain(self, conflicts: list[Conflict]) -> Iterable[tuple[Conflict, list[tuple[str, str]]]]:
        """``(conflict, [(field, reason)…])`` of each conflict of the current input, the values compared by
        reading the rows concerned again: no reasons for a repeat; an input that cannot be read again leaves
        the fields unnamed."""
        wanted: dict[int, set[int]] = {self.current: {c.row for c in conflicts}}
        for c in conflicts:
            wanted.setdefault(c.earlier.file, set()).add(c.earlier.row)
        values = {number: self._read(number, rows) for number, rows in wanted.items()}
        for c in conflicts:
            where = "this file" if c.earlier.file == self.current else self.names[c.earlier.file]
            prefix = f"{c.subject} is already at row {c.earlier.row:,} of {where}"
            before = values[c.earlier.file].get(c.earlier.row)
            later = values[self.current].get(c.row)
            if before is None or later is None:
                yield c, [(c.ends[0], f"{prefix}, with other values")]
                continue
            yield c, differences(prefix, before, later, c.ends)

    def _read(self, number: int, rows: set[int]) -> dict[int, dict[str, Any]]:
        try:
            return self._rereads[number](rows)
        except Exception:  # noqa: BLE001 - the reject still names the earlier row, only not the fields
            return {}


def differences(
    prefix: str, before: Mapping[str, Any], later: Mapping[str, Any], ends: Iterable[str]
) -> list[tuple[str, str]]:
    """One ``(field, reason)`` per field whose value differs between the earlier and the later row, the
    fields ``ends`` (which name the record) aside; none for the same values."""
    out = []
    for name in sorted((set(before) | set(later)) - set(ends)):
        old, new = _given(before.get(name)), _given(later.get(name))
        if old == new:
            continue
        if old is None:
            out.append((name, f"{prefix} with no {name}, not {new!r}"))
        elif new is None:
            out.append((name, f"{prefix} with {name} {old!r}, which this row leaves empty"))
        else:
            out.append((name, f"{prefix} with {name} {old!r}, not {new!r}"))
    return out


def _given(value: Any) -> Any:
    """A value as compared: an empty one is none at all."""
    return None if value in (None, "", []) else value


def rows_of(rows: Iterable[tuple[int, dict[str, Any]]], wanted: set[int]) -> dict[int, dict[str, Any]]:
    """The ``wanted`` rows of ``(number, values)`` pairs, reading no further than the last of them."""
    found: dict[int, dict[str, Any]] = {}
    if not wanted:
        return found
    last = max(wanted)
    for number, values in rows:
        if number in wanted:
            found[number] = values
        if number >= last:
            break
    return found
