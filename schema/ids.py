"""The id rules every layer shares: how a capability term, a region and a folded text become ids.

Ingest writes nodes under these ids and the API turns what a caller types into them, so both must agree:
they live here, below both. ``"Machine Vision"`` and ``"machine-vision"`` are one capability; Linz in Upper
Austria is the region ``AT/upper-austria/linz``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"})
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, whitespace collapsed:
    ``"Bäckerei-Huber!"`` -> ``"backerei huber"``."""
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_FOLD))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_PUNCTUATION.sub(" ", text).split())


@lru_cache(maxsize=65536)
def capability_id(name: str) -> str:
    """Capabilities are one node per folded term: ``"Machine Vision"`` and ``"machine-vision"`` are one."""
    return fold(name).replace(" ", "-")


@lru_cache(maxsize=65536)
def region_path(
    country: str | None, region: str | None, city: str | None
) -> tuple[dict[str, str | None], ...]:
    """The region hierarchy country > region > city as rows (parent first) with ids that nest:
    ``AT``, ``AT/upper-austria``, ``AT/upper-austria/linz``. Missing levels are skipped. Cached (a region
    has many organizations); the rows are shared, so callers must not change them."""
    rows: list[dict[str, str | None]] = []
    parent: str | None = None
    for level, value in (("country", country), ("region", region), ("city", city)):
        if not value:
            continue
        part = value if level == "country" else capability_id(value)
        node_id = part if parent is None else f"{parent}/{part}"
        rows.append({"id": node_id, "name": value, "level": level, "parent": parent})
        parent = node_id
    return tuple(rows)
