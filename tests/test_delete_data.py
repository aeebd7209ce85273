"""Wiping the data keeps every transaction small, whatever the degrees of the nodes it deletes.

Neo4j Community sets ``db.memory.transaction.max`` only in its configuration (``dbms.setConfigValue`` is an
Enterprise procedure), so the limit is tested on a server of this module's own, started with a limit that a
batch of 10,000 relationships fits and a hub of 30,000 does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import admin, migrations
from graph.db import Graph
from graph.query import Query
from graph.server import ManagedNeo4j
from tests.conftest import managed_settings

TRANSACTION_LIMIT = "16m"
HUB_LINKS = 30_000
BATCH = 2_000  # links created per transaction, well inside the limit

CREATE_HUB = Query(
    "test.create_hub",
    "CREATE (:Organization {id: 'hub', name: 'Hub'}), (:Organization {id: 'peer', name: 'Peer'})",
    write=True,
)
LINK_HUB = Query(
    "test.link_hub",
    "MATCH (h:Organization {id: 'hub'}), (p:Organization {id: 'peer'}) UNWIND range(1, $n) AS i "
    "CREATE (h)-[:COLLABORATES_WITH]->(p)",
    write=True,
)
COUNTS = Query(
    "test.counts",
    "MATCH (n) RETURN count(n) AS nodes, sum(CASE WHEN n:Migration THEN 1 ELSE 0 END) AS migrations, "
    "COUNT { ()-[]->() } AS links",
)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    """A migrated server whose transactions may hold at most ``TRANSACTION_LIMIT`` each."""
    home: Path = tmp_path_factory.mktemp("limited-neo4j")
    settings = managed_settings(home).model_copy(
        update={"neo4j_config": {"db.memory.transaction.max": TRANSACTION_LIMIT}}
    )
    server = ManagedNeo4j(settings)
    server.start()
    try:
        with Graph.connect(settings) as graph:
            migrations.migrate(graph)
            yield graph
    finally:
        server.stop()


def test_a_hub_is_deleted_in_transactions_bounded_by_the_batch(limited: Graph) -> None:
    """A hub of 30,000 collaborations went in one transaction with its node (10,000 nodes to a batch, each
    with all its relationships) and broke the 16 MiB limit with ``MemoryPoolOutOfMemoryError``; with the
    relationships deleted first, 10,000 to a transaction, every transaction fits, and the migration records
    stay."""
    migrations_before = limited.run(COUNTS)[0]["migrations"]
    assert migrations_before > 0
    limited.run(CREATE_HUB)
    for _ in range(HUB_LINKS // BATCH):
        limited.run(LINK_HUB, n=BATCH)
    assert limited.run(COUNTS)[0]["links"] == HUB_LINKS

    admin.delete_data(limited)

    assert limited.run(COUNTS)[0] == {"nodes": migrations_before, "migrations": migrations_before, "links": 0}
