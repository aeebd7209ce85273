"""What the command line prints of the graph's text: a direction control in a name shows as its code."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from graph.db import Graph
from schema.settings import Settings
from tests.utils.registry import write_csv

SPOOF = "Safe Supplies GmbH\u202e 99.0 erocs"
SHOWN = "Safe Supplies GmbH[U+202E] 99.0 erocs"
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def _org(id: str, name: str, role: str, offers: str = "", needs: str = "", text: str = "") -> dict[str, str]:
    row = {"id": id, "name": name, "role": role, "city": "Wels", "description": text}
    return row | {"capabilities": offers, "needed_capabilities": needs}


def _region(folder: Path) -> list[Path]:
    """A cluster of a bakery that needs quality control, a vendor named to turn its line around that offers
    it, and a member whose name holds every direction control; a row with a bad role, so ingest rejects it."""
    orgs = [
        _org("B1", "Bakery", "firm", "baking", "visual quality control", "Industrial bakery."),
        _org("V1", SPOOF, "vendor", "visual quality control", text="Camera systems that inspect bread."),
        _org("C1", f"All{CONTROLS}Controls", "firm", text="Flour mill."),
        _org("X1", SPOOF, "spaceship"),
    ]
    clusters = [{"id": "KB", "name": f"Bread {SPOOF}", "sector": "food", "region": "Wels", "stage": "growth"}]
    members = [{"organization": o, "cluster": "KB", "since": "2020-01-01"} for o in ("B1", "V1", "C1")]
    return [
        write_csv(folder / f"orgs {SPOOF}.csv", orgs),
        write_csv(folder / "clusters.csv", clusters),
        write_csv(folder / "memberships.csv", members),
    ]


def test_a_direction_control_in_the_graph_prints_as_its_code(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """U+202E (right-to-left override) in a name or a file name turned the rest of its terminal line around
    in the ingest report, ``suggest`` and ``insights``: each direction control prints as its code, and the
    ``--json`` outputs hold it escaped (the same string to a JSON reader)."""
    env = {
        "NEO4J_URI": neo4j_settings.neo4j_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password,
        "CLUSTERKG_MATCHING_WEIGHTS_FILE": str(tmp_path / "weights.json"),
        "CLUSTERKG_MATCHING_MODEL_FILE": str(tmp_path / "model.json"),
        "COLUMNS": "200",  # a name and its file's name on one line each
    }
    runner = CliRunner()
    files = [str(path) for path in _region(tmp_path)]
    loaded = runner.invoke(app, ["ingest", *files, "--rejects", str(tmp_path / "rejects.csv")], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert runner.invoke(app, ["embed"], env=env).exit_code == 0
    said = {
        "ingest": loaded.output,
        "suggest": runner.invoke(app, ["suggest", "B1", "--limit", "3"], env=env).output,
        "insights": runner.invoke(app, ["insights", "KB", "--suppliers", "0"], env=env).output,
    }
    assert f"orgs {SHOWN}.csv" in said["ingest"]
    assert SHOWN in said["suggest"] and SHOWN in said["insights"]
    codes = "".join(f"[U+{ord(c):04X}]" for c in CONTROLS)
    assert f"All{codes}Controls" in said["insights"]
    for command, output in said.items():
        assert not set(CONTROLS) & set(output), (command, output)

    as_json = runner.invoke(app, ["suggest", "B1", "--limit", "3", "--json"], env=env).output
    assert not set(CONTROLS) & set(as_json) and "\\u202e" in as_json
    assert SPOOF in [found["name"] for found in json.loads(as_json)]
