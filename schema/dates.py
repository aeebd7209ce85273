"""Dates a registry gives as a year or a month (``1998``, ``1998-05``): a membership's or a collaboration's
``since``, a project's ``start`` and ``end``.

Such a date stands for the first day of its year or month, so that it compares, sorts and ages as every
other date does (as-of views, decay, the evaluation's splits), and it is stored as that day. The precision
the registry gave is kept beside it (``<field>_precision``: ``year`` or ``month``, absent for a full day)
and every place a user reads the date shows it at that precision: ``1998``, not a ``1998-01-01`` the
registry never wrote.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Self


class Precision(StrEnum):
    """How much of a date a registry gave; a full day has none (the property is absent)."""

    YEAR = "year"
    MONTH = "month"


_WIDTH = {Precision.YEAR: 4, Precision.MONTH: 7}
"""The characters of an ISO date a precision keeps: ``1998``, ``1998-05``."""


class PartialDate(dt.date):
    """The first day of a year or a month, knowing which it stands for: a record's date read from ``1998``
    or ``1998-05``. It is a :class:`datetime.date` for every comparison and is written back (JSON) as
    given."""

    __slots__ = ("precision",)
    precision: Precision

    def __new__(cls, year: int, month: int, day: int, precision: Precision) -> Self:
        """Every argument is required, so date arithmetic, which makes a subclass's result with only the
        year, month and day, fails rather than give a day a precision it does not have."""
        self = super().__new__(cls, year, month, day)
        self.precision = precision
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (PartialDate, (self.year, self.month, 1, self.precision))

    def __repr__(self) -> str:
        return f"PartialDate({self.as_given()!r})"

    def as_given(self) -> str:
        return self.isoformat()[: _WIDTH[self.precision]]


def partial(text: str) -> PartialDate | None:
    """``1998`` or ``1998-05`` as a :class:`PartialDate`; None for any other text (a full date, or one that
    is not a date, which validation then names)."""
    try:
        if len(text) == 4 and text.isdigit():
            return PartialDate(int(text), 1, 1, Precision.YEAR)
        if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
            return PartialDate(int(text[:4]), int(text[5:]), 1, Precision.MONTH)
    except ValueError:  # a month 13, a year 0: left to validation, which says why
        return None
    return None


def precision_of(value: dt.date | None) -> str | None:
    """The precision to store beside ``value``: ``year``, ``month``, or None for a full day (or no date)."""
    return value.precision.value if isinstance(value, PartialDate) else None


def plain(value: dt.date | None) -> dt.date | None:
    """``value`` as the plain day it is stored as; its precision goes beside it (:func:`precision_of`)."""
    return dt.date(value.year, value.month, value.day) if isinstance(value, PartialDate) else value


def as_given(value: Any, precision: str | None) -> str | None:
    """A stored date (a date, Neo4j's date or its ISO text) shown at the ``precision`` stored beside it:
    ``1998``, ``1998-05``, or the full day."""
    if value is None:
        return None
    text = str(value)[:10]
    return text[: _WIDTH[Precision(precision)]] if precision else text


def json_text(value: dt.date) -> str:
    """A record's date in JSON: as given (``1998``) for a partial one, else its ISO day."""
    return value.as_given() if isinstance(value, PartialDate) else value.isoformat()
