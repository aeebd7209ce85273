"""The day an as-of view is asked for (``insights --as-of``, ``report --as-of``, GraphQL ``asOf``): one that
has begun somewhere, never a day to come."""

from __future__ import annotations

import datetime as dt

FIRST_DAWN = dt.timedelta(hours=14)
"""UTC+14, where each day begins first: a caller's today is never refused, wherever the caller is."""


def latest_day() -> dt.date:
    """The latest day that has begun anywhere (today at UTC+14): the last one an as-of view takes, and the
    dashboard's date field offers."""
    return (dt.datetime.now(dt.UTC) + FIRST_DAWN).date()


def future_day(day: dt.date) -> str | None:
    """Why ``day`` cannot be an as-of day, or None. The graph holds what is known today: figures as of a later
    day would be today's under that day's date (and count links dated ahead as if they had begun), so a day
    that has begun nowhere yet is refused."""
    if day <= latest_day():
        return None
    return (
        f"{day} is a day to come: the graph knows nothing later than today; leave it out for today's figures"
    )
