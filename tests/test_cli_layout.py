"""What the command line prints fits the console it prints on: no count is cut to fit a narrow one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph.db import Graph
from schema.settings import Settings
from tests.utils.registry import write_csv

ORGS = 1_500


def _env(settings: Settings, columns: int) -> dict[str, str]:
    return {
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_PASSWORD": settings.neo4j_password,
        "COLUMNS": str(columns),
    }


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_the_ingest_summary_keeps_every_count_whole_on_a_narrow_console(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path, columns: int
) -> None:
    """The summary table took about 110 columns: on 80 rich cut its counts to fit (``1,5…``). On a console
    too narrow for it the counts stand beside each file's name, its kind, format and seconds under it; every
    line fits the console and every count is printed whole."""
    orgs = [{"id": f"O{i}", "name": f"Org {i}", "role": "firm", "city": "Linz"} for i in range(ORGS)]
    orgs.append({"id": "X", "name": "Bad", "role": "spaceship", "city": "Linz"})
    path = write_csv(tmp_path / "upper-austria-company-register-2026.csv", orgs)
    said = CliRunner().invoke(app, ["ingest", str(path)], env=_env(neo4j_settings, columns))
    assert said.exit_code == 0, said.output
    table = said.output[said.output.index("Ingest run") : said.output.index("1 row rejected")]  # no log
    assert "…" not in table, table
    assert max(map(len, table.splitlines())) <= columns, table
    assert f"{ORGS + 1:,}" in table and f"{ORGS:,}" in table, table
    assert "upper-austria-company-" in table and "register-2026.csv" in table, table  # folded, not cut
