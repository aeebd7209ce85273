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
rows concerned are read and validated again (:meth:`Repeats.explain`), which names the fields and tells a
true conflict from the same values written otherwise (``12`` in JSON, ``"12"`` in a CSV; an empty column
where a JSON line has no key) or the same link written with other ends (the digest is of the whole row):
those are a repeat. A file of a million rows of one id is a million conflicts, so until then each costs two
integers (:class:`Conflicts`), and the re-read streams in row order, holding only the earlier rows that
conflicts still to come compare with: memory follows the number of ids and links in conflict, not of rows.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

Reread = Callable[[Iterable[int]], Iterator[tuple[int, dict[str, Any]]]]
"""Reads rows of one input again: row numbers in ascending order -> ``(number, canonical values)`` of the
rows found, in that order."""

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

    def explain(self, conflicts: Conflicts) -> Iterator[tuple[Conflict, list[tuple[str, str]]]]:
        """``(conflict, [(field, reason)…])`` of each conflict of the current input, in row order, the values
        compared by reading the rows concerned again: no reasons for a repeat; a row that cannot be read
        again leaves the fields unnamed. The current input is read once, each of its earlier rows held only
        until the last conflict that compares with it; earlier rows of other inputs are read first."""
        current = self.current
        last_use: dict[int, int] = {}  # earlier row of this input -> the last conflict row compared with it
        elsewhere: dict[int, set[int]] = {}
        for c in conflicts:
            if c.earlier.file == current:
                last_use[c.earlier.row] = c.row
            else:
                elsewhere.setdefault(c.earlier.file, set()).add(c.earlier.row)
        others = {
            number: {row: _filled(values) for row, values in self._read(number, sorted(rows))}
            for number, rows in elsewhere.items()
        }
        found = self._read(current, heapq.merge(sorted(last_use), conflicts.rows()))
        held: dict[int, dict[str, Any]] = {}
        number, values = next(found, (None, {}))
        for c in conflicts:
            while number is not None and number < c.row:
                if number in last_use:
                    held[number] = _filled(values)
                number, values = next(found, (None, {}))
            later = values if number == c.row else None
            if c.earlier.file == current:
                before = held.get(c.earlier.row)
                if last_use[c.earlier.row] == c.row:
                    held.pop(c.earlier.row, None)
            else:
                before = others[c.earlier.file].get(c.earlier.row)
            where = "this file" if c.earlier.file == current else self.names[c.earlier.file]
            prefix = f"{c.subject} is already at row {c.earlier.row:,} of {where}"
            if before is None or later is None:
                yield c, [(c.ends[0], f"{prefix}, with other values")]
                continue
            yield c, differences(prefix, before, later, c.ends)

    def _read(self, number: int, rows: Iterable[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            yield from self._rereads[number](rows)
        except Exception:  # noqa: BLE001 - the rejects still name the earlier row, only not the fields
            return


class Conflicts:
    """The conflicts of one input until it is read, in row order: per conflict its row and the index of
    what it shares with the other conflicts of its id or link (subject, node, earlier row), so a million
    rows of one id cost two arrays of integers, not a million tuples of strings."""

    def __init__(self) -> None:
        self._rows = array("q")
        self._shared = array("q")
        self._index: dict[Conflict, int] = {}
        self._distinct: list[Conflict] = []

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, conflict: Conflict) -> None:
        """Note ``conflict``, whose row comes after every row noted before."""
        shared = conflict._replace(row=0)
        index = self._index.setdefault(shared, len(self._distinct))
        if index == len(self._distinct):
            self._distinct.append(shared)
        self._rows.append(conflict.row)
        self._shared.append(index)

    def rows(self) -> Iterator[int]:
        return iter(self._rows)

    def __iter__(self) -> Iterator[Conflict]:
        for row, index in zip(self._rows, self._shared, strict=True):
            yield self._distinct[index]._replace(row=row)


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


def _filled(values: dict[str, Any]) -> dict[str, Any]:
    """The values of an earlier row as held until the conflicts that compare with it: its given fields only,
    which :func:`differences` tells from the rest as it would with all of them (a record's dump holds every
    field of its model, most of them empty, and every id in conflict holds one row until its later row)."""
    return {name: value for name, value in values.items() if _given(value) is not None}


def rows_of(
    rows: Iterable[tuple[int, dict[str, Any]]], wanted: Iterable[int]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The ``wanted`` rows (ascending numbers) of ``(number, values)`` pairs in row order, reading no
    further than the last of them."""
    targets = iter(wanted)
    target = next(targets, None)
    for number, values in rows:
        while target is not None and target < number:
            target = next(targets, None)
        if target is None:
            return
        if number == target:
            yield number, values
            target = next(targets, None)
            if target is None:
                return
