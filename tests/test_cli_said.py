"""What the commands say in words a user reads: the snapshot's log line, a day to come refused as an as-of
day by the CLI and the API alike, the values ``--help`` names for like options."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import ApiRole, create_key
from api.cli import app
from graph.db import Graph
from ingest import load
from matching import snapshot
from schema.settings import Settings
from tests.utils.api import codes, data, gql
from tests.utils.registry import write_csv


def _orgs(folder: Path, ids: range) -> Path:
    rows = [{"id": f"O{i}", "name": f"Org {i}", "role": "firm", "city": "Linz"} for i in ids]
    return write_csv(folder / f"orgs-{ids.stop}.csv", rows)


def test_the_snapshot_log_line_says_what_changed_in_counts(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``tune`` (and a server's first request) logged ``reading the collaboration snapshot (graph changed:
    {'organizations': 3, 'links': 0, …})``: the line says the graph in counts, and a later read what
    changed since the held one was read."""
    settings = neo4j_settings.model_copy(update={"cache_dir": tmp_path / "cache"})
    snapshot._SNAPSHOTS.clear()  # none held: the first read describes the graph
    load(graph, [_orgs(tmp_path, range(3))])
    caplog.set_level(logging.INFO, logger="matching.snapshot")
    snapshot.current(graph, settings)
    load(graph, [_orgs(tmp_path, range(5))])
    snapshot.current(graph, settings)
    said = [r.getMessage() for r in caplog.records if "collaboration snapshot" in r.getMessage()]
    assert said == [
        "reading the collaboration snapshot of 3 organizations, 0 collaborations, 0 project participations, "
        "1 ingest run, 0 answered suggestions",
        "reading the collaboration snapshot again: 2 more organizations, 1 more ingest run",
    ]


CLUSTER = 'query($d: Date) { clusterInsights(clusterId: "food", asOf: $d, suppliers: 0) { members asOf } }'
REGION = 'query($d: Date) { regionInsights(region: "Linz", asOf: $d) { asOf clusters { members } } }'


def test_a_day_to_come_is_refused_as_an_as_of_day(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """``insights --as-of``, ``report --as-of`` and GraphQL ``asOf`` took a day to come without a word, and
    answered today's figures under its date: each refuses it naming its option or argument; today (where
    the day begins first, so any caller's today) is taken."""
    clusters = write_csv(
        tmp_path / "clusters.csv", [{"id": "food", "name": "Food", "sector": "food", "region": "Linz"}]
    )
    orgs = [{"id": f"O{i}", "name": f"Org {i}", "role": "firm", "clusters": "food"} for i in range(3)]
    load(graph, [clusters, write_csv(tmp_path / "organizations.csv", orgs)])
    today = dt.datetime.now(dt.UTC).date()
    ahead = str(today + dt.timedelta(days=2))
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    runner = CliRunner()
    for command in (["insights", "food", "--json"], ["report", "food", "--out", str(tmp_path / "r.html")]):
        said = runner.invoke(app, [*command, "--as-of", ahead], env=env)
        assert said.exit_code == 2 and "--as-of" in said.output, said.output
        assert f"{ahead} is a day to come" in said.output, said.output
        assert not (tmp_path / "r.html").exists()
    said = runner.invoke(app, ["insights", "food", "--json", "--as-of", str(today)], env=env)
    assert said.exit_code == 0 and json.loads(said.output)["members"] == 3, said.output

    key = create_key(graph, ApiRole.DATA_TEAM, None)
    with TestClient(create_app(neo4j_settings)) as client:
        for query in (CLUSTER, REGION):
            body = gql(client, key, query, {"d": ahead})
            assert codes(body) == ["BAD_USER_INPUT"], body
            assert body["errors"][0]["extensions"]["argument"] == "asOf", body
            assert body["errors"][0]["message"].startswith(f"`asOf` {ahead} is a day to come"), body
        assert data(gql(client, key, CLUSTER, {"d": str(today)}))["clusterInsights"]["members"] == 3
        region = data(gql(client, key, REGION, {"d": str(today)}))["regionInsights"]
        assert region["asOf"] == str(today) and region["clusters"] == [{"members": 3}]


def _metavars() -> dict[str, str]:
    """What ``--help`` shows as each option's value, by ``command --option``, across every command."""
    shown: dict[str, str] = {}

    def walk(command: Any, name: str, parent: Any) -> None:
        ctx = command.context_class(command, info_name=name, parent=parent)
        for param in command.params:
            if param.opts[0].startswith("--") and (shown_type := param.display_type_rich(ctx=ctx)):
                shown[f"{name} {param.opts[0]}"] = shown_type
        for sub_name, sub in getattr(command, "commands", {}).items():
            walk(sub, sub_name if parent is None else f"{name} {sub_name}", ctx)

    walk(typer.main.get_command(app), "clusterkg", None)
    return shown


def test_help_names_the_values_of_like_options_alike() -> None:
    """``ingest --help`` showed ``<Path>`` for ``--mapping`` and ``<path>`` for ``--rejects``, and a day
    ``<%Y-%m-%d>`` (``--as-of``) or ``<str>`` (``eval --split``): a path shows ``<path>``, a day
    ``<YYYY-MM-DD>``, in every command."""
    metavars = _metavars()
    paths = ["ingest --mapping", "ingest --rejects", "generate --out", "report --out"]
    days = ["insights --as-of", "report --as-of", "eval --split"]
    assert {option: metavars[option] for option in paths} == dict.fromkeys(paths, "<path>")
    assert {option: metavars[option] for option in days} == dict.fromkeys(days, "<YYYY-MM-DD>")
    for option, metavar in metavars.items():
        assert "%" not in metavar and "Path" not in metavar, (option, metavar)
    help_text = CliRunner().invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"}).output
    assert "<Path>" not in help_text and help_text.count("<path>") == 2, help_text
