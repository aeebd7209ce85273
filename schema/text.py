"""Free text a caller gives beside the records (a need to search with, a feedback comment, who answered, a
key's label, a source's name): refused when a record's field could not hold it, naming the argument or
option, by the API and the command line alike."""

from __future__ import annotations

from schema.characters import control_character
from schema.errors import InvalidInput
from schema.models import MAX_TEXT

TOO_LONG = "is longer than {limit:,} characters"
"""How :func:`text_problem` says a text is too long, from its ``{length}`` and the ``{limit}``."""


def text_problem(
    value: str, *, limit: int = MAX_TEXT, multiline: bool = True, too_long: str = TOO_LONG
) -> str | None:
    """Why ``value`` cannot be taken, when it is longer than ``limit`` characters (said as ``too_long``
    says it: a page speaks to the person at its form) or holds a control character a record's text fields
    may not hold (``schema.characters``; tabs and line breaks only where ``multiline``); None when it can.
    The command line stored 100 kB and terminal escapes as given."""
    if len(value) > limit:
        return too_long.format(length=len(value), limit=limit)
    return control_character(value, multiline=multiline)


def check_text(value: str, name: str) -> str:
    """Refuse free text (a need, a comment) :func:`text_problem` finds wrong, naming the argument ``name``
    (the pydantic error named it `input`; on the pages it was not caught at all: a 500)."""
    if reason := text_problem(value):
        raise InvalidInput.of(name, reason)
    return value
