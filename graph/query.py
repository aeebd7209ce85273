"""A named Cypher query: every query of the project is one of these constants, so logs and errors name it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString


@dataclass(frozen=True)
class Query:
    """A Cypher text with a stable name. Values always travel as ``$parameters``, never in the text.

    ``plain``: the query returns maps, lists and scalars only (no nodes, relationships or paths), so
    ``Graph.run`` hands back the records as the driver decoded them instead of walking every nested value
    again with ``Record.data()`` (a few ms per suggestion, whose records are lists of maps)."""

    name: str
    text: LiteralString
    write: bool = False
    plain: bool = False

    def __str__(self) -> str:
        return self.name
