"""How the server logs the request heads it refuses (``api.http_head``): the first whole, the rest as a count.

A refusal happens before any key or rate limit can see the client, and each costs a client one connection:
a warning line per refusal would let a client with no key, opening thousands of connections, write
thousands of lines a second, burying everything else in the log and filling its disk. The first refusal
after a quiet interval is logged whole (what and from where); those that follow are counted, by status and
by client address, and told in one line per interval while they go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

log = logging.getLogger(__name__)

MAX_ADDRESSES = 10_000
"""Client addresses counted one by one per interval; refusals from further addresses are counted together,
so a client with many addresses (an IPv6 prefix) cannot grow the count without end."""
NAMED_ADDRESSES = 5
"""Addresses a summary names, those with the most refusals first."""


class RefusalLog:
    """Logs refusals of request heads, at most one line per ``seconds`` after the first."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.timer: asyncio.TimerHandle | None = None
        self.statuses: Counter[int] = Counter()
        self.addresses: Counter[str] = Counter()
        self.unlisted = 0

    def refused(self, status: int, why: str, client: tuple[str, int] | None) -> None:
        """Log a refusal answered ``status`` (or a connection closed, while an earlier answer was under way)
        because of ``why``, from ``client``: whole if none came in the last interval, else counted."""
        host = client[0] if client else "an unknown address"
        if self.timer is None:
            log.warning(
                "refused a request head (%s) from %s; further refusals are counted and told every %g s",
                why,
                host,
                self.seconds,
            )
            self.timer = asyncio.get_running_loop().call_later(self.seconds, self.tell)
            return
        self.statuses[status] += 1
        if host in self.addresses or len(self.addresses) < MAX_ADDRESSES:
            self.addresses[host] += 1
        else:
            self.unlisted += 1

    def tell(self) -> None:
        """Log what was counted in the interval that ends, and count on; after a quiet interval, stop (the
        next refusal is logged whole)."""
        if not self.statuses:
            self.timer = None
            return
        total = sum(self.statuses.values())
        statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(self.statuses.items()))
        named = self.addresses.most_common(NAMED_ADDRESSES)
        sources = ", ".join(f"{host} ({count:,})" for host, count in named)
        rest = total - sum(count for _, count in named)
        if rest:
            others = len(self.addresses) - len(named)
            sources += f" and {rest:,} from {others:,}{'+' if self.unlisted else ''} other addresses"
        log.warning(
            "refused %s more request %s in the last %g s (%s) from %s",
            f"{total:,}",
            "head" if total == 1 else "heads",
            self.seconds,
            statuses,
            sources,
        )
        self.statuses.clear()
        self.addresses.clear()
        self.unlisted = 0
        self.timer = asyncio.get_running_loop().call_later(self.seconds, self.tell)
