"""What the command line says, in a process of its own against the real Neo4j, about what a user names that
the graph does not hold, or a file that holds nothing: the thing named, and why, in one line; and the words
around a run's rejects and a list of suggestions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ingest
from api.auth import ApiRole, create_key
from graph.db import Graph
from ingest.demo import FOLDER as DEMO
from schema.settings import Settings
from tests.test_cli_input import finish, start
from tests.utils.registry import write_csv


def clusterkg(settings: Settings, *args: str, timeout: float = 120) -> tuple[int, str, str]:
    """``clusterkg ARGS`` run to its end against the test's Neo4j: exit code, stdout and stderr."""
    env = {"NEO4J_URI": settings.neo4j_uri, "NEO4J_PASSWORD": settings.neo4j_password}
    return finish(start(*args, env=env), args, timeout)


def _pair(graph: Graph, folder: Path, bakery: str = "Bakery", cluster: str = "Bread") -> None:
    """Two organizations of one cluster; ``bakery`` names the firm, ``cluster`` the cluster."""
    orgs = [
        {"id": "B1", "name": bakery, "role": "firm", "city": "Wels", "country": "AT"},
        {"id": "V1", "name": "Vision", "role": "vendor", "city": "Linz", "country": "AT"},
    ]
    clusters = [{"id": "KB", "name": cluster, "sector": "food", "region": "Wels"}]
    members = [{"organization": o, "cluster": "KB"} for o in ("B1", "V1")]
    files = [
        write_csv(folder / "organizations.csv", orgs),
        write_csv(folder / "clusters.csv", clusters),
        write_csv(folder / "memberships.csv", members),
    ]
    ingest.load(graph, files)


def test_feedback_on_an_unknown_id_says_it_is_unknown(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """`feedback X X` with an id the graph lacks said "cannot give feedback on itself", sending the user to
    mend the pair rather than the id."""
    _pair(graph, tmp_path)
    code, _, err = clusterkg(neo4j_settings, "feedback", "NOPE", "NOPE", "--accept")
    assert code == 1 and err == "Error: No organization 'NOPE'\n", err
    code, _, err = clusterkg(neo4j_settings, "feedback", "B1", "B1", "--decline")
    assert code == 1 and err == "Error: An organization cannot give feedback on itself as a partner\n", err


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--cluster", "Bred", "no cluster has this id or name"),
        ("--region", "Wles", "no organization is in a region, country or town of this id or name"),
        ("--sector", "fod", "no organization works in this sector"),
    ],
)
def test_suggest_with_a_filter_naming_nothing_says_which(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path, option: str, value: str, said: str
) -> None:
    """`suggest --cluster NOPE` said "No partner fits these filters." with exit code 0, as if the cluster
    had no fitting member: the value is named as unknown, with exit code 1 as an unknown organization is;
    beside a known value too (a list matches any of its values, so a typo there went unseen)."""
    _pair(graph, tmp_path)
    code, out, err = clusterkg(neo4j_settings, "suggest", "--need", "bread", option, value)
    assert (code, out) == (1, "") and err == f"Error: {option} {value!r}: {said}\n", err
    code, _, err = clusterkg(neo4j_settings, "suggest", "--need", "bread", "--cluster", "KB", option, value)
    assert code == 1 and err == f"Error: {option} {value!r}: {said}\n", err


def test_a_wrong_password_is_said_with_where_the_user_and_password_come_from(
    neo4j_settings: Settings,
) -> None:
    """A password Neo4j refuses said "refused the credentials for user given by NEO4J_USER: check
    NEO4J_PASSWORD", as if the user came from the environment alone and were right."""
    uri = neo4j_settings.neo4j_uri
    code, _, err = finish(start("db", "status", env={"NEO4J_URI": uri, "NEO4J_PASSWORD": "not-it"}), (), 60)
    said = f"Error: Neo4j at {uri} refused the user and password: check NEO4J_USER and NEO4J_PASSWORD "
    assert code == 1 and err == said + "(or --neo4j-user and --neo4j-password)\n", err


def test_suggest_finding_nothing_without_filters_does_not_blame_filters(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A need nothing in the graph fits (here: nothing embedded) answered "No partner fits these filters."
    to a request of no filter; with a filter it still names the filters."""
    _pair(graph, tmp_path)
    code, out, _ = clusterkg(neo4j_settings, "suggest", "--need", "cameras for quality control")
    assert code == 0 and out == (
        "No partner found: nothing in the graph fits (`clusterkg embed` encodes the texts that suggestions "
        "are found by).\n"
    ), out
    code, out, _ = clusterkg(neo4j_settings, "suggest", "--need", "cameras", "--role", "vendor")
    assert code == 0 and out == "No partner fits these filters.\n", out


def test_a_registry_file_of_a_header_alone_is_said_to_hold_no_rows(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A CSV file of its header alone loaded "0 rows" with exit code 0 and not a word: a warning names it
    in the log and under the run's table, and ``--json`` gives it in the file's ``warnings``; the run goes
    on (the other files load) and ends with exit code 0, as a file of rejected rows does."""
    (tmp_path / "clusters.csv").write_text("id,name,sector,region\n", encoding="utf-8")
    organizations = write_csv(
        tmp_path / "organizations.csv", [{"id": "B1", "name": "Bakery", "role": "firm"}]
    )
    files = [str(tmp_path / "clusters.csv"), str(organizations)]
    code, out, err = clusterkg(neo4j_settings, "ingest", *files)
    assert code == 0 and "clusters.csv holds no rows: nothing is loaded from it\n" in out, out
    warned = [line for line in err.splitlines() if " WARNING  " in line]
    assert warned and warned[0].endswith("clusters.csv (clusters): holds no rows: nothing is loaded from it")
    code, out, _ = clusterkg(neo4j_settings, "ingest", "--json", *files)
    warnings = {Path(f["file"]).name: f["warnings"] for f in json.loads(out)["files"]}
    assert warnings == {"clusters.csv": ["holds no rows: nothing is loaded from it"], "organizations.csv": []}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["ingest", "/tmp/" + "a" * 100_000 + "/x.csv"],
            "…" + "a" * 25 + "/x.mapping.yaml (100,020 characters): File name too long",
        ),
        (
            ["generate", "--orgs", "10", "--out", "o" * 100_000],
            "…" + "o" * 40 + " (100,000 characters): File",
        ),
        (["eval", "--data", "d" * 100_000], "…" + "d" * 40 + "' (100,000 characters) does not exist"),
        (["ingest", "x.csv", "--kind", "k" * 100_000], "…" + "k" * 40 + "' (100,000 characters) is not one"),
        (["ingest", "x.csv", "--match-on", "m" * 100_000], "…" + "m" * 40 + "' (100,000 characters); use"),
    ],
    ids=["ingest-path", "generate-out", "eval-data", "ingest-kind", "ingest-match-on"],
)
def test_an_error_about_a_huge_value_repeats_its_start_and_end(
    neo4j_settings: Settings, args: list[str], said: str
) -> None:
    """A path or a value of 100 kB came back whole in the one line of its error (the operating system's, or
    typer's own message): an error repeats 100 of its characters, its start and its end (a path's end names
    its file), and says how long it was."""
    code, _, err = clusterkg(neo4j_settings, *args)
    start = max(args, key=len)[:59]
    assert code in (1, 2) and err.count("\n") == 1 and len(err) < 400, err[:400]
    assert f"{start}{said}" in err, err


def test_stored_text_prints_as_itself(graph: Graph, neo4j_settings: Settings, tmp_path: Path) -> None:
    """A key's label stored before labels were checked printed raw in `keys list`: its escape sequence
    recoloured (or cleared) the terminal, and rich read ``[red]`` in it as markup; a name holding ``[/]``
    ended `insights` in rich's MarkupError. Each prints as itself, control characters as their codes."""
    label = "ops \x1b[2J\x1b[31mred[/] [bold]team\x9b"
    key = create_key(graph, ApiRole.DATA_TEAM, None, label)
    code, out, err = clusterkg(neo4j_settings, "keys", "list")
    assert code == 0 and err == "", err
    row = next(line for line in out.splitlines() if key.id in line)
    assert "ops [U+001B][2J[U+001B][31mred[/] [bold]team[U+009B]" in row, row
    _pair(graph, tmp_path, bakery="Bakery [/] [red]Hot", cluster="Bread [bold]")
    code, out, err = clusterkg(neo4j_settings, "insights", "KB", "--suppliers", "0")
    assert code == 0 and "Traceback" not in err, err
    assert out.startswith("Bread [bold] (KB)") and "Bakery [/] [red]Hot (B1)" in out, out


def test_one_rejected_row_is_said_in_the_singular(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A run that rejected one row said "1 rows rejected"."""
    rows = [{"id": "B1", "name": "Bakery", "role": "firm"}, {"id": "X1", "name": "Ship", "role": "spaceship"}]
    code, out, _ = clusterkg(neo4j_settings, "ingest", str(write_csv(tmp_path / "organizations.csv", rows)))
    assert code == 0 and "\n1 row rejected; pass --rejects FILE for all reasons\n" in out, out


def test_suggestions_out_of_score_order_say_why(
    graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """The signal ranking spreads its list for variety (maximal marginal relevance), so on the demo region the
    bakery's fourth partner scores above its third: the list printed the scores out of order without a word.
    It says so above such a list, and only above such a list."""
    ingest.load(graph, sorted(DEMO.glob("*.csv")) + [DEMO / "members.jsonl"])
    env = {
        "NEO4J_URI": neo4j_settings.neo4j_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password,
        "CLUSTERKG_MATCHING_MODEL_FILE": str(tmp_path / "no-model.json"),  # the signal ranking
        "CLUSTERKG_MATCHING_WEIGHTS_FILE": str(tmp_path / "no-weights.json"),  # its default weights
    }
    assert finish(start("embed", env=env), ("embed",), 300)[0] == 0
    said = "; spread for variety: a partner unlike those above it can come before a higher score\n"
    for limit, spread in (("5", True), ("2", False)):
        code, out, err = finish(start("suggest", "FN100000a", "--limit", limit, env=env), (), 120)
        scores = [float(line.rsplit(" ", 1)[1]) for line in out.splitlines() if line[:1].isdigit()]
        assert code == 0 and len(scores) == int(limit), err
        assert (scores != sorted(scores, reverse=True)) is spread, scores
        assert out.startswith(
            "Ranked by the signal ranking (no model trained)" + (said if spread else "\n")
        ), out
