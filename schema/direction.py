"""Direction controls in the graph's text: stored as given, shown as their codes.

U+202E (right-to-left override) and its kin turn the direction of the text after them. They are no
control characters in the sense of ``schema.characters`` and are kept in what the graph stores, yet in an
organization's name, "Safe GmbH" followed by U+202E shows the rest of its line (a score, another name)
reversed, on a page as on a terminal. Every surface that prints the graph's text beside other text shows
each as its code (``[U+202E]``): the web pages (``api.web.render``) and the command line (``api.cli.common``).
"""

from __future__ import annotations

import re

DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""The embeddings and overrides (U+202A to U+202E) and the isolates (U+2066 to U+2069)."""


def direction_codes(text: str) -> str:
    """``text`` with each direction control as its code: ``[U+202E]``."""
    return DIRECTION_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
