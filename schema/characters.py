"""Control characters in the values the graph stores: refused, in every field of every record and in the
free text the API stores (a need, a feedback comment).

NUL, escape, backspace and the other C0 controls (and DEL) went into the graph as given, through registry
files and the API, and from there into pages, exports and the other tools that read it. Free text (the
fields marked :data:`MULTILINE` in ``schema.models``: descriptions, needs, project titles and topics) may
hold tabs and line breaks; ids, names and every other field hold no control character at all. White space
around a value (tabs and line breaks included) is stripped, as before, wherever the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, line feed, carriage return
_SPACE = "".join(
    c for c in map(chr, range(0x3001)) if c.isspace() and (c in "\t\n\r" or not _CONTROL.match(c))
)  # Python's white space (the last is U+3000) but the control characters beyond tab and line breaks
MULTILINE = "multi-line"
"""Marks a field type whose text may hold tabs and line breaks (``schema.models.Text``, a project's title)."""


def control_character(value: str, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored, when it holds a control character; None when it holds none."""
    if value.isprintable():  # the fast path: nearly every value
        return None
    found = (_CONTROL_IN_TEXT if multiline else _CONTROL).search(value)
    if found is None:
        return None
    allowed = "tabs and line breaks alone" if multiline else "none"
    return (
        f"holds the control character U+{ord(found.group()):04X} at character {found.start() + 1:,}; "
        f"this field takes {allowed}"
    )


def strip(text: str) -> str:
    """``text`` without the white space around it. Python's own ``strip`` takes U+001C to U+001F for white
    space: a name ending in one lost it silently instead of being refused."""
    return text.strip(_SPACE)


def refuse_control_characters(model: str, data: Mapping[str, Any], multiline: frozenset[str]) -> None:
    """Raise pydantic's error for each field of ``data`` (a text, or a list of texts) that holds a control
    character, so a reject report and an API answer name the field as for any other invalid value.
    Checked on each value as it will be stored: without the white space around it (:func:`strip`, which
    keeps the control characters)."""
    problems = []
    for key, value in data.items():
        for text in value if isinstance(value, list | tuple) else (value,):
            reason = control_character(strip(text), key in multiline) if isinstance(text, str) else None
            if reason:
                error = PydanticCustomError("control_character", reason)
                problems.append(InitErrorDetails(type=error, loc=(key,), input=text))
                break
    if problems:
        raise ValidationError.from_exception_data(model, problems)
