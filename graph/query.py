"""A named Cypher query: every query of the project is one of these constants, so logs and errors name it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString


@dataclass(frozen=True)
class Query:
    """A Cypher text with a stable name. Values always travel as ``$parameters``, never in the text.

    ``plain``: the query returns maps, lists and scalars only (no nodes, relationships or paths), so
    ``Graph.run`` hands back the records as the driver decoded them instead of walking every nested value
    again with ``Record.data()`` (a few ms per suggestion, whose records are lists of maps).

    ``side_by_side``: several transactions of this write, each with other rows, never deadlock one another,
    so they may run at once (``ingest.writer.BackgroundSender``). That holds for a write whose rows share no
    lock taken while the query runs: one that only creates nodes and relationships (Neo4j takes the locks a
    new relationship needs, on its end nodes and their relationship chains, when the transaction commits,
    in one sorted order), one that only sets properties of relationships that exist, and one that merges
    nodes by a key of their own, without relationships. Writes of different forms do not mix so: an update
    locks each relationship when its row is reached, in the order of the rows, and beside a creating write
    committing on the same node each can end up waiting for the other (``DeadlockDetected``). A write that
    merges relationships which may be new, or deletes some, runs alone."""

    name: str
    text: LiteralString
    write: bool = False
    plain: bool = False
    side_by_side: bool = False

    def __str__(self) -> str:
        return self.name
