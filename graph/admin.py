"""Graph-wide housekeeping: counts for ``db status``, and wiping data or schema (tests, resets)."""

from __future__ import annotations

from graph.db import Graph
from graph.queries import admin
from schema.graph_model import Label, RelType


def node_counts(graph: Graph) -> dict[str, int]:
    """Node count per label of the graph model."""
    rows = graph.run(admin.COUNT_NODES, labels=[label.value for label in Label])
    return {row["label"]: row["count"] for row in rows}


def relationship_counts(graph: Graph) -> dict[str, int]:
    """Relationship count per type of the graph model."""
    rows = graph.run(admin.COUNT_RELATIONSHIPS, types=[rel.value for rel in RelType])
    return {row["type"]: row["count"] for row in rows}


def delete_data(graph: Graph) -> None:
    """Delete every node and relationship except the migration records; the schema stays. Relationships
    go first in batches of their own, so a transaction's memory is bounded by the batch, not by the degrees
    of the nodes it deletes (a hub takes all its relationships along)."""
    graph.run_autocommit(admin.DELETE_RELATIONSHIPS)
    graph.run_autocommit(admin.DELETE_NODES)


def drop_schema(graph: Graph) -> None:
    """Drop every constraint and index and forget applied migrations (used to test migrations)."""
    for row in graph.run(admin.SHOW_CONSTRAINTS):
        graph.run_autocommit(admin.DROP_CONSTRAINT, name=row["name"])
    for row in graph.run(admin.SHOW_INDEXES):
        if row["type"] != "LOOKUP":
            graph.run_autocommit(admin.DROP_INDEX, name=row["name"])
    graph.run(admin.DELETE_MIGRATIONS)
