"""Direction controls in the graph's text: stored as given, shown as their codes.

U+202E (right-to-left override) and its kin turn the direction of the text after them. They are no
control characters in the sense of ``schema.characters`` and are kept in what the graph stores, yet in an
organization's name, "Safe GmbH" followed by U+202E shows the rest of its line (a score, another name)
reversed, on a page as on a terminal. Every surface that prints the graph's text beside other text shows
each as its code (``[U+202E]``): the web pages (``api.web.render``) and the command line (``api.cli.common``).
A line of a log that a program reads shows the control characters as codes too (:func:`line_codes`).
"""

from __future__ import annotations

import re

DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
"""The embeddings and overrides (U+202A to U+202E), the isolates (U+2066 to U+2069) and the marks (U+200E,
U+200F, U+061C): a mark first in a line is its first letter of a direction, which a terminal that finds a
line's direction from it takes for the whole line's."""


CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
"""C0 (line breaks and tabs included), DEL and C1: what a log line shows as codes besides the direction
controls."""


def _code(found: re.Match[str]) -> str:
    return f"[U+{ord(found.group()):04X}]"


def direction_codes(text: str) -> str:
    """``text`` with each direction control as its code: ``[U+202E]``."""
    return DIRECTION_CONTROLS.sub(_code, text)


def line_codes(text: str) -> str:
    """``text`` as one line of a log that a program reads (a file, a pipe, journald): each direction control
    and each control character as its code. A line break in a name would start a line that reads as a record
    of its own, and an escape or a C1 control (U+009B opens a terminal's control sequence) would reach
    whoever pages through the log later."""
    return direction_codes(CONTROL_CHARACTERS.sub(_code, text))
