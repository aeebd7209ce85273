"""Test fixtures: one real Neo4j 5.26 for the whole session, and a clean graph for every test that asks.

Where the server comes from, in order: ``NEO4J_URI`` when set; else testcontainers' ``neo4j:5.26-community``
when a Docker engine answers; else the managed local server (``graph.server``), started on a free port with a
throwaway data folder and stopped at the end. A fixture that cannot get a server fails the tests loudly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph import admin, migrations
from graph.db import Graph
from graph.server import ManagedNeo4j, free_port
from schema.settings import Settings

log = logging.getLogger(__name__)

TEST_PASSWORD = "clusterkg-test-password"
# The models the tests train are served a few times each: compiling their trees (a minute of CPU per model,
# in the background) would only fill the cache. tests/test_ranking.py compiles trees on purpose.
os.environ.setdefault("CLUSTERKG_MATCHING_COMPILE_TREES", "false")


def _docker_answers() -> bool:
    try:
        import docker  # installed with testcontainers

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no usable engine"
        return False


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at a running Neo4j 5.26 for this test session."""
    if os.environ.get("NEO4J_URI"):
        log.info("tests use the Neo4j at NEO4J_URI=%s", os.environ["NEO4J_URI"])
        yield Settings(environment="test")
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community", password=TEST_PASSWORD) as container:
            yield Settings(
                environment="test",
                neo4j_uri=container.get_connection_url(),
                neo4j_user="neo4j",
                neo4j_password=TEST_PASSWORD,
            )
        return
    settings = managed_settings(tmp_path_factory.mktemp("neo4j-home"))
    server = ManagedNeo4j(settings)
    server.start()
    try:
        yield settings
    finally:
        server.stop()


def managed_settings(home: Path, port: int | None = None) -> Settings:
    """Settings for a managed server in its own folder; the Maven artifacts come from the shared cache."""
    return Settings(
        environment="test",
        home=home,
        neo4j_bolt_port=port or free_port(),
        neo4j_password=TEST_PASSWORD,
        neo4j_heap="1g",
        neo4j_pagecache="512m",
    )


@pytest.fixture(scope="session")
def session_graph(neo4j_settings: Settings) -> Iterator[Graph]:
    """One driver for the session, with every migration applied."""
    graph = Graph.connect(neo4j_settings)
    migrations.migrate(graph)
    yield graph
    graph.close()


@pytest.fixture
def graph(session_graph: Graph) -> Graph:
    """The session's graph, emptied of data before the test (the schema stays)."""
    admin.delete_data(session_graph)
    return session_graph


@pytest.fixture(scope="module")
def site(session_graph: Graph, neo4j_settings: Settings) -> Iterator[Any]:
    """The demo region served by the real API under uvicorn, with keys (``tests/utils/web.py``)."""
    from tests.utils.web import serve  # the web stack, imported only by the tests that serve it

    yield from serve(session_graph, neo4j_settings)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by selenium (``tests/utils/web.py``); fails when it is missing."""
    from tests.utils.web import chromium

    yield from chromium()
