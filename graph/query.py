"""A named Cypher query: every query of the project is one of these constants, so logs and errors name it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString


@dataclass(frozen=True)
class Query:
    """A Cypher text with a stable name. Values always travel as ``$parameters``, never in the text."""

    name: str
    text: LiteralString
    write: bool = False

    def __str__(self) -> str:
        return self.name
