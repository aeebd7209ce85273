"""The Neo4j driver's retry warnings, one line each.

When a managed transaction meets a transient error (a deadlock between two clients writing one node, a lost
connection) the driver retries it and logs a warning carrying the whole error: Neo4j's lock report or the
driver's resolved addresses, eight lines on a terminal for something that is retried and usually succeeds.
:class:`ShortRetries` keeps the warning and its delay and replaces the error by its Neo4j code (e.g.
``Neo.TransientError.Transaction.DeadlockDetected``) or its first sentence; ``--verbose`` keeps it whole.
"""

from __future__ import annotations

import logging

from neo4j.exceptions import Neo4jError

DRIVER_LOGGER = "neo4j.session"
"""The driver's logger of retried transactions."""
RETRY_PREFIXES = ("Transaction failed and will be retried", "Auto-commit transaction failed")
SHORT_CHARS = 160


def short(error: object) -> str:
    """A Neo4j error's code, else the error's text up to its first parenthesis or line, cut."""
    code = error.code if isinstance(error, Neo4jError) else None
    if code:
        return code
    text = str(error).split("\n", 1)[0].split(" (", 1)[0]
    return text if len(text) <= SHORT_CHARS else text[: SHORT_CHARS - 1] + "…"


class ShortRetries(logging.Filter):
    """Rewrites the driver's retry warnings to one line: what failed, the delay, the error's code."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if not isinstance(message, str) or not message.startswith(RETRY_PREFIXES) or not record.args:
            return True
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        *delay, error = args
        if delay and isinstance(delay[0], int | float):
            record.msg = "Neo4j: a transaction is retried in %.1f s (%s)"
            record.args = (delay[0], short(error))
        else:
            record.msg, record.args = "Neo4j: a transaction is retried (%s)", (short(error),)
        return True


def shorten_retries() -> None:
    """Install :class:`ShortRetries` on the driver's logger (once)."""
    logger = logging.getLogger(DRIVER_LOGGER)
    if not any(isinstance(f, ShortRetries) for f in logger.filters):
        logger.addFilter(ShortRetries())
