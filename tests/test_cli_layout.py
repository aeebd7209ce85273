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


def _cut_early(text: str, panel: bool) -> list[str]:
    """The lines of a help screen's prose that end before the next line's first word would have fitted: a
    paragraph broken at its source's line ends instead of wrapped to the console. In the ``panel`` of
    commands a line continues the one above when it is indented past the names; elsewhere when no blank
    line parts them."""
    lines = [line.strip("│").rstrip() for line in text.splitlines() if not line.startswith(("╭", "╰"))]
    early = []
    for line, following in zip(lines, lines[1:], strict=False):
        goes_on = following.startswith(" " * 10) if panel else bool(line.strip() and following.strip())
        if goes_on and len(line) + 1 + len(following.split()[0]) <= 76:  # inside 80 columns and a box
            early.append(line)
    return early


@pytest.mark.parametrize("command", [[], ["ingest"]])
def test_help_wraps_each_paragraph_to_the_console(command: list[str]) -> None:
    """typer kept a docstring's line breaks past its first paragraph (and, in the list of commands, past
    its first line): `clusterkg --help` printed `eval`'s description broken after "of random," and
    "TF-IDF and embedding-only", `ingest --help` after "Bad rows are rejected and"."""
    said = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80"}, prog_name="clusterkg")
    assert said.exit_code == 0, said.output
    if command:
        prose = said.output.split("╭─ ")[0].split("Usage:")[1].split("\n", 1)[1]
    else:
        prose = said.output.split("╭─ Commands")[1]
    assert _cut_early(prose, panel=not command) == [], said.output
