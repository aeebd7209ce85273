"""The foundation against a real Neo4j: migrations, constraint errors, reconnecting, the managed server."""

from __future__ import annotations

import logging
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph import admin, migrations
from graph.db import Graph
from graph.queries import api as api_queries
from graph.queries import snapshot as snapshot_queries
from graph.queries.matching import filters as filter_queries
from graph.query import Query
from graph.retry_log import DRIVER_LOGGER, shorten_retries
from graph.server import ManagedNeo4j, free_port
from schema.errors import ConstraintViolation, GraphUnavailable, MigrationError
from schema.settings import Settings
from tests.conftest import TEST_PASSWORD, managed_settings

log = logging.getLogger(__name__)

CREATE_ORG = Query("test.create_org", "CREATE (o:Organization {id: $id, name: $name})", write=True)
GET_ORG = Query("test.get_org", "MATCH (o:Organization {id: $id}) RETURN o.name AS name")
SHOW_INDEXES = Query("test.indexes", "SHOW INDEXES YIELD name, type, state RETURN name, type, state")


def test_write_and_read_a_node(graph: Graph) -> None:
    graph.run(CREATE_ORG, id="o1", name="Bäckerei Müller GmbH")
    assert graph.run(GET_ORG, id="o1") == [{"name": "Bäckerei Müller GmbH"}]


MAPS = "UNWIND range(1, 3) AS i RETURN i, {n: i, tags: ['a', toString(i)], at: date('2020-01-01')} AS m"


def test_plain_queries_return_the_same_records_without_conversion(graph: Graph) -> None:
    """``Query.plain`` skips ``Record.data()``; for maps, lists and scalars the records are the same, and
    the one value of an aggregate comes back whole."""
    assert graph.run(Query("test.maps_plain", MAPS, plain=True)) == graph.run(Query("test.maps", MAPS))
    rows = graph.value(Query("test.collect", "UNWIND range(1, 3) AS i RETURN collect([i, null]) AS rows"))
    assert rows == [[1, None], [2, None], [3, None]]


IN_TRANSACTIONS = Query(
    "test.in_transactions", "UNWIND range(1, 3) AS i CALL (i) { RETURN 2 * i AS j } IN TRANSACTIONS RETURN j"
)


def test_a_read_runs_in_one_auto_commit_transaction(graph: Graph) -> None:
    """A read is one auto-commit transaction (one round trip, where a managed one takes two): a query that
    Neo4j runs only in an auto-commit transaction (``CALL { } IN TRANSACTIONS``) runs as a read."""
    assert graph.run(IN_TRANSACTIONS) == [{"j": 2}, {"j": 4}, {"j": 6}]


def test_constraint_violation_reaches_the_caller_as_a_clear_error(graph: Graph) -> None:
    graph.run(CREATE_ORG, id="dup", name="first")
    with pytest.raises(ConstraintViolation) as caught:
        graph.run(CREATE_ORG, id="dup", name="second")
    assert caught.value.query_name == "test.create_org"
    assert "test.create_org" in str(caught.value) and "dup" in str(caught.value)
    assert graph.run(GET_ORG, id="dup") == [{"name": "first"}]


def test_migrations_are_idempotent_and_create_the_schema(session_graph: Graph) -> None:
    admin.drop_schema(session_graph)
    assert migrations.applied(session_graph) == {}
    first = migrations.migrate(session_graph)
    assert [m.version for m in first] == [m.version for m in migrations.available()]
    indexes = {row["name"]: row for row in session_graph.run(SHOW_INDEXES)}
    before = sorted(indexes)
    assert indexes["organization_capability_embedding"]["type"] == "VECTOR"
    assert indexes["need_text_embedding"]["type"] == "VECTOR"  # one vector per distinct public need text
    assert "organization_needs_embedding" not in indexes  # the per-organization one, dropped by 0400
    assert indexes["organization_text"]["type"] == "FULLTEXT"
    assert indexes["suggestion_feedback_at"]["type"] == indexes["ingest_run_finished_at"]["type"] == "RANGE"
    assert all(row["state"] == "ONLINE" for row in indexes.values())
    applied_before = migrations.applied(session_graph)

    assert migrations.migrate(session_graph) == []
    assert sorted(row["name"] for row in session_graph.run(SHOW_INDEXES)) == before
    assert migrations.applied(session_graph) == applied_before


SEED_STAMP = Query(
    "test.seed_stamp",
    """
    CREATE (:IngestRun {id: 'r1', finished_at: datetime('2026-01-02T03:04:05Z')}),
           (:IngestRun {id: 'r2', finished_at: datetime('2026-03-01T00:00:00Z')}),
           (:IngestRun {id: 'r3'})
    CREATE (a:Organization {id: 'a', name: 'A'}), (b:Organization {id: 'b', name: 'B'})
    CREATE (a)-[:SUGGESTION_FEEDBACK {accepted: true, at: datetime('2026-02-01T00:00:00Z')}]->(b),
           (b)-[:SUGGESTION_FEEDBACK {accepted: false, at: datetime('2026-04-01T00:00:00Z')}]->(a)
    """,
    write=True,
)


def _operators(plan: dict[str, Any]) -> list[str]:
    return [plan["operatorType"], *(op for child in plan.get("children", []) for op in _operators(child))]


def test_the_stamp_reads_the_last_run_and_answer_from_their_indexes(graph: Graph) -> None:
    """The stamp is asked before every learned suggestion: the last ingest run's end and the last answer's
    time are read from one end of their range indexes (migration 0500), not by sorting every run (one per
    ingest and API upsert) and every answer; and they are the latest ones."""
    empty = graph.run(snapshot_queries.VERSION)[0]["version"]
    assert (empty["runs"], empty["finished"], empty["answers"], empty["answered"]) == (0, None, 0, None)
    graph.run(SEED_STAMP)
    stamp = graph.run(snapshot_queries.VERSION)[0]["version"]
    assert (stamp["runs"], stamp["answers"]) == (3, 2)
    assert stamp["finished"].startswith("2026-03-01T00:00")
    assert stamp["answered"].startswith("2026-04-01T00:00")
    plan = graph.driver.execute_query("EXPLAIN " + snapshot_queries.VERSION.text, database_=graph.database)
    operators = _operators(plan.summary.plan)
    assert any(op.startswith("NodeIndexScan") for op in operators)
    assert any("RelationshipIndexScan" in op for op in operators)
    assert not any(op.startswith(("Top", "Sort", "PartialSort", "PartialTop")) for op in operators)
    assert sum("CountFromCountStore" in op for op in operators) == 5  # the counts: no scan either


def test_a_changed_migration_file_is_refused(session_graph: Graph) -> None:
    migrations.migrate(session_graph)
    tamper = Query("test.tamper", "MATCH (m:Migration {version: 1}) SET m.checksum = 'edited'", write=True)
    restore = Query("test.restore", "MATCH (m:Migration {version: 1}) SET m.checksum = $c", write=True)
    original = migrations.applied(session_graph)[1]["checksum"]
    session_graph.run(tamper)
    try:
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrations.migrate(session_graph)
    finally:
        session_graph.run(restore, c=original)


def test_no_server_says_how_to_start_one() -> None:
    settings = Settings(
        environment="test", neo4j_uri=f"bolt://127.0.0.1:{free_port()}", neo4j_password=TEST_PASSWORD
    )
    with pytest.raises(GraphUnavailable, match="clusterkg neo4j start"):
        Graph.connect(settings)


def test_the_drivers_retry_warnings_are_one_line_each(caplog: pytest.LogCaptureFixture) -> None:
    """The CLI's logging shortens the driver's warnings about retried transactions (a lost server here; a
    deadlock between two clients writing one node in real runs) to the delay and the error's first
    sentence or code."""
    settings = Settings(
        environment="test",
        neo4j_uri=f"bolt://127.0.0.1:{free_port()}",
        neo4j_password=TEST_PASSWORD,
        neo4j_retry_seconds=1.5,
    )
    shorten_retries()
    shape = r"Neo4j: a transaction is retried in \d+\.\d s \(Couldn't connect to [^()]*\)"
    with (
        caplog.at_level(logging.WARNING, logger=DRIVER_LOGGER),
        Graph.connect(settings, verify=False) as g,
        pytest.raises(GraphUnavailable),
    ):
        g.run(CREATE_ORG, id="never", name="never written")
    retries = [r.getMessage() for r in caplog.records if r.name == DRIVER_LOGGER]
    assert retries, "the driver retried nothing"
    assert all(re.fullmatch(shape, message) for message in retries), retries


def test_driver_recovers_after_the_server_restarts(tmp_path: Path) -> None:
    """A second managed server of our own: stop it under an open driver, start it again, query again."""
    settings = managed_settings(tmp_path).model_copy(update={"neo4j_retry_seconds": 2.0})
    server = ManagedNeo4j(settings)
    server.start()
    try:
        with Graph.connect(settings) as graph:
            graph.run(CREATE_ORG, id="before", name="kept across the restart")
            assert server.stop()
            with pytest.raises(GraphUnavailable):
                graph.run(GET_ORG, id="before")
            began = time.monotonic()
            server.start()
            log.info("managed Neo4j restarted in %.1f s", time.monotonic() - began)
            assert graph.run(GET_ORG, id="before") == [{"name": "kept across the restart"}]
    finally:
        server.stop()
    assert not server.status().running


def _managed_env(home: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a CLI call that manages its own Neo4j in ``home`` on ``port``."""
    return {
        "CLUSTERKG_HOME": str(home),
        "CLUSTERKG_NEO4J_BOLT_PORT": str(port),
        "NEO4J_PASSWORD": TEST_PASSWORD,
        "NEO4J_URI": f"bolt://127.0.0.1:{port}",
        **extra,
    }


def _no_process_left(home: Path) -> bool:
    return subprocess.run(["pgrep", "-f", str(home)], capture_output=True, text=True).stdout.strip() == ""


def test_cli_start_migrate_twice_status_stop_leaves_no_process(tmp_path: Path) -> None:
    port = free_port()
    env = _managed_env(tmp_path, port, CLUSTERKG_NEO4J_JVM_OPTIONS="-Dclusterkg.test=on -XX:+UseParallelGC")
    runner = CliRunner()
    started = runner.invoke(app, ["neo4j", "start"], env=env)
    try:
        assert started.exit_code == 0, started.output
        assert f"bolt://127.0.0.1:{port}" in started.output
        java = subprocess.run(["pgrep", "-f", "-a", str(tmp_path)], capture_output=True, text=True).stdout
        assert "-Dclusterkg.test=on -XX:+UseParallelGC" in java, java
        first = runner.invoke(app, ["db", "migrate"], env=env)
        assert first.exit_code == 0 and "applied 0001_core" in first.output, first.output
        second = runner.invoke(app, ["db", "migrate"], env=env)
        assert second.exit_code == 0 and "nothing applied" in second.output, second.output
        status = runner.invoke(app, ["db", "status"], env=env)
        assert status.exit_code == 0 and "Organization" in status.output and "core" in status.output
        assert runner.invoke(app, ["neo4j", "status"], env=env).exit_code == 0
    finally:
        stopped = runner.invoke(app, ["neo4j", "stop"], env=env)
    assert stopped.exit_code == 0 and "Stopped" in stopped.output, stopped.output
    assert runner.invoke(app, ["neo4j", "status"], env=env).exit_code == 3
    assert _no_process_left(tmp_path)


def test_neo4j_settings_reach_the_server_and_a_bad_one_is_named(tmp_path: Path) -> None:
    """CLUSTERKG_NEO4J_CONFIG goes to the launcher's settings file; Neo4j refuses a bad value by name."""
    env = _managed_env(
        tmp_path, free_port(), CLUSTERKG_NEO4J_CONFIG='{"db.transaction.timeout": "not-a-duration"}'
    )
    result = CliRunner().invoke(app, ["neo4j", "start"], env=env)
    assert result.exit_code == 1, result.output
    assert "setting 'db.transaction.timeout'" in result.output, result.output
    settings_files = list(tmp_path.rglob("neo4j-settings.conf"))
    assert [f.read_text().splitlines() for f in settings_files] == [
        ["db.transaction.timeout=not-a-duration", "internal.dbms.index.vector.population_ram_buffer_size=512"]
    ]
    assert _no_process_left(tmp_path)


def test_cli_without_a_server_prints_a_sentence_and_fails() -> None:
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "NEO4J_PASSWORD": TEST_PASSWORD}
    result = CliRunner().invoke(app, ["db", "status"], env=env)
    assert result.exit_code == 1
    assert "clusterkg neo4j start" in result.output
    assert "Traceback" not in result.output


def test_a_bad_setting_is_named_without_a_traceback() -> None:
    result = CliRunner().invoke(app, ["serve", "--print-schema"], env={"CLUSTERKG_API_EXECUTOR": "fast"})
    assert result.exit_code == 1
    assert "CLUSTERKG_API_EXECUTOR: Input should be 'lean' or 'stock' (got 'fast')" in result.output
    assert "Traceback" not in result.output


def test_a_long_bad_setting_is_repeated_in_at_most_100_characters() -> None:
    """A bad setting's value was repeated whole: 40 kB in an environment variable made a 40 kB message."""
    result = CliRunner().invoke(
        app, ["serve", "--print-schema"], env={"CLUSTERKG_API_EXECUTOR": "f" * 40_000}
    )
    assert result.exit_code == 1
    assert f"(got {'f' * 59 + '…' + 'f' * 40!r} (40,000 characters))" in result.output, result.output
    assert len(result.output) < 400 and "Traceback" not in result.output


def test_a_setting_that_is_not_json_is_named_without_a_traceback() -> None:
    """A dictionary setting whose variable held no JSON ended the CLI with pydantic-settings' traceback."""
    result = CliRunner().invoke(app, ["serve", "--print-schema"], env={"CLUSTERKG_NEO4J_CONFIG": "notjson"})
    assert result.exit_code == 1
    said = result.output
    assert 'field "neo4j_config"' in said and "the value must be JSON" in said, said
    assert "Traceback" not in result.output


def test_a_setting_of_deeply_nested_json_is_named_without_a_traceback() -> None:
    """json.loads of 5,000 nested arrays in a JSON setting ended the CLI with a RecursionError traceback."""
    deep = "[" * 5_000 + "]" * 5_000
    result = CliRunner().invoke(app, ["serve", "--print-schema"], env={"CLUSTERKG_NEO4J_CONFIG": deep})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output[-500:]
    assert "is nested too deeply to read" in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("localhost:7687", "the scheme must be one of bolt, bolt+s"),
        ("http://127.0.0.1:7474", "the scheme must be one of bolt, bolt+s"),
        ("bolt://[::1", "not a URI (Invalid IPv6 URL)"),
        ("bolt://127.0.0.1:99999", "not a URI (Port out of range"),
    ],
)
def test_a_neo4j_uri_the_driver_cannot_open_is_named_without_a_traceback(uri: str, said: str) -> None:
    """A URI without its scheme, an http:// one (the driver's HTTP mode needs a package the project does
    not use) or a broken one would end every command with the driver's traceback (ConfigurationError,
    ModuleNotFoundError, ValueError)."""
    for how in (["--neo4j-uri", uri, "db", "status"], ["db", "status"]):
        result = CliRunner().invoke(app, how, env={"NEO4J_URI": uri})
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert f"Error: NEO4J_URI: {said}" in result.output and repr(uri) in result.output, result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
        ["neo4j", "status", "--port", "99999"],
        ["ingest", "registry.csv", "--batch-size", "0"],
        ["ingest", "registry.csv", "--batch-size", "-5"],
        ["ingest", "registry.csv", "--writers", "17"],
        ["ingest", "registry.csv", "--match-on", "none,vat"],
    ],
)
def test_an_option_out_of_its_range_is_refused_before_anything_runs(args: list[str]) -> None:
    """Unchecked, `serve --port 99999` would say "Uvicorn running on http://127.0.0.1:99999", stop and exit
    0; `neo4j status --port 99999` would end in pydantic's traceback; `ingest --batch-size 0` would silently
    take the default, a negative size would write one row per transaction, and `--match-on none,vat` would
    ignore its `none`."""
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "NEO4J_PASSWORD": TEST_PASSWORD}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{args[-2]}'" in result.output and "Traceback" not in result.output


def test_help_explains_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("neo4j", "db"):
        assert command in result.output
    version = CliRunner().invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("clusterkg ")


def test_placeholder_password_is_refused_outside_development() -> None:
    from schema.errors import ConfigError

    with pytest.raises(ConfigError):
        Settings(environment="production", neo4j_password="neo4j")


SEED_ORGANIZATIONS = Query(
    "test.seed_organizations",
    "UNWIND range(1, $n) AS i "
    "CREATE (:Organization {id: 'o' + i, region: 'AT-4', country: 'AT', city: 'Linz'}) "
    "WITH count(*) AS made UNWIND range(1, 10) AS i CREATE (:Cluster {id: 'k' + i, name: 'Cluster ' + i})",
    write=True,
)


def _db_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_db_hits(child) for child in plan.get("children", []))


def test_a_filter_value_is_looked_up_along_indexes(graph: Graph) -> None:
    """Each value of a cluster or region filter is looked up before the suggestion runs (migration 0600): an
    unknown one is a few index seeks, not a read of every organization's region, country and town (over 150
    database hits for these 50 without the indexes), nor of every cluster's name."""
    migrations.migrate(graph)
    graph.run(SEED_ORGANIZATIONS, n=50)
    for given in ({"clusters": ["Atlantis"], "regions": []}, {"clusters": [], "regions": ["Atlantis"]}):
        text = "PROFILE " + filter_queries.UNKNOWN_FILTER_VALUES.text
        run = graph.driver.execute_query(text, **given, sectors=[], database_=graph.database)
        assert _db_hits(run.summary.profile) < 10, (given, _db_hits(run.summary.profile))


SEED_HUB = Query(
    "test.seed_hub",
    "CREATE (h:Organization {id: 'hub', name: 'Hub'}) WITH h UNWIND range(1, $n) AS i "
    "CREATE (h)-[:COLLABORATES_WITH {kind: 'research', weight: i}]->(:Organization {id: 'p' + i, "
    "name: 'Partner ' + i, role: 'firm', city: 'Linz', country: 'AT', description: 'Makes parts ' + i})",
    write=True,
)


def test_a_hubs_strongest_collaborations_read_only_their_partners_fields(graph: Graph) -> None:
    """``collaborators(limit:)`` of a hub of thousands of partners built every partner's fields before the
    list was cut: the partners' fields are read for the ``limit`` strongest alone, so the work grows with
    the partners by a few database hits each (a relationship, its weight, the partner's id), not by each
    partner's every field."""
    hits = {}
    for n in (50, 100):
        admin.delete_data(graph)
        graph.run(SEED_HUB, n=n)
        text = "PROFILE " + api_queries.COLLABORATORS_OF.text
        run = graph.driver.execute_query(text, ids=["hub"], limit=5, database_=graph.database)
        strongest = [c["partner"]["id"] for c in run.records[0]["collaborations"]]
        assert strongest == [f"p{n - i}" for i in range(5)], strongest
        hits[n] = _db_hits(run.summary.profile)
    assert hits[100] - hits[50] <= 5 * 50, hits  # about 4 a partner; 21 when every one's fields were read
