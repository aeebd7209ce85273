"""The deadline of the request that asked for insights, checked inside the work.

A worker thread cannot be cancelled, and the API's request deadline only stops waiting for it: the summary
of every cluster of a 100,000-organization graph takes 40 CPU s, and went on holding a compute thread (and
the request, answered 504 only when it ended) long after its 10 s, while every other key's suggestions
waited for the thread. So the work checks the deadline between clusters and between a cluster's gap
suggestions, and stops there.
"""

from __future__ import annotations

import time

from schema.errors import TimedOut


def check(stop_at: float | None, what: str) -> None:
    """Raise :class:`TimedOut` once ``time.monotonic()`` is past ``stop_at`` (None: no deadline)."""
    if stop_at is not None and time.monotonic() > stop_at:
        raise TimedOut(f"{what} stopped: the request ran past its time limit")
