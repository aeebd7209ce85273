"""A date a registry gives as a year or a month (``1998``, ``1998-05``) is stored as its first day with its
precision beside it, and shown as given: in the graph, the GraphQL API and the organization page (a real
Debian Chromium), never as a ``1998-01-01`` the registry did not write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import ingest
from api.app import create_app
from api.auth import ApiRole, create_key
from graph import admin
from graph.db import Graph
from graph.query import Query
from schema.settings import Settings
from tests.utils.api import data, gql
from tests.utils.web import Site, serve_graph, use_key, wait_for_text

HUB = "D-HUB"

DATES = Query(
    "test.dates",
    "MATCH (a)-[r:COLLABORATES_WITH|MEMBER_OF]->(b) "
    "RETURN a.id + ' ' + type(r) + ' ' + b.id AS link, toString(r.since) AS since, "
    "r.since_precision AS precision, r.hash AS hash ORDER BY link "
    "UNION ALL MATCH (p:Project) RETURN p.id AS link, "
    "toString(p.start) + ' ' + coalesce(toString(p.end), '-') AS since, "
    "coalesce(p.start_precision, '-') + ' ' + coalesce(p.end_precision, '-') AS precision, "
    "p.hash AS hash ORDER BY link",
    plain=True,
)

FILES = {
    "organizations.csv": "id,name,role\n"
    f"{HUB},Dated Hub,knowledge_broker\nP-Y,Year Partner GmbH,firm\nP-M,Month Partner GmbH,firm\n"
    "P-D,Day Partner GmbH,firm\nF-1,First Consortium Firm,firm\nF-2,Second Consortium Firm,firm\n"
    "F-3,Third Consortium Firm,firm\n",
    "clusters.csv": "id,name,sector\nC-1,Dated Cluster,food\n",
    "memberships.csv": "organization,cluster,since\nP-Y,C-1,2001\nP-M,C-1,2001-09\nP-D,C-1,2001-09-14\n",
    "collaborations.csv": "source,target,kind,since,weight\n"  # the weight orders the page: year first
    f"{HUB},P-Y,research,1998,3\n{HUB},P-M,research,1998-05,2\n{HUB},P-D,research,1998-05-17,1\n",
    "projects.csv": "id,title,start,end\nPR-1,Dated project,2003,2006-07\nPR-2,Day project,2003-01-01,\n",
    "participations.csv": "project,organization,role\nPR-1,F-1,coordinator\nPR-1,F-2,participant\n"
    "PR-1,F-3,participant\nPR-2,F-2,coordinator\nPR-2,F-3,participant\n",
}


def load(graph: Graph, folder: Path) -> dict[str, int]:
    summary = ingest.load(graph, sorted(folder.iterdir()), source="dated", derive_collaborations=True)
    return summary.counts()


@pytest.fixture(scope="module")
def dated_site(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """:data:`FILES` loaded by ingest into an emptied graph, and the real app serving it."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("dated")
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    counts = load(session_graph, folder)
    assert counts["rejected"] == 0 and counts["added"] == counts["rows"], counts
    keys = {"hub": create_key(session_graph, ApiRole.MEMBER, HUB)}
    yield from serve_graph(session_graph, neo4j_settings, keys)


def stored(graph: Graph) -> list[tuple[Any, ...]]:
    return [(r["link"], r["since"], r["precision"]) for r in graph.run(DATES)]


STORED = [
    (f"{HUB} COLLABORATES_WITH P-D", "1998-05-17", None),
    (f"{HUB} COLLABORATES_WITH P-M", "1998-05-01", "month"),
    (f"{HUB} COLLABORATES_WITH P-Y", "1998-01-01", "year"),
    ("F-1 COLLABORATES_WITH F-2", "2003-01-01", "year"),  # derived: dated by the project's start, 2003
    ("F-1 COLLABORATES_WITH F-3", "2003-01-01", "year"),
    ("F-2 COLLABORATES_WITH F-3", "2003-01-01", None),  # 2003 and 2003-01-01: the project dated to the day
    ("P-D MEMBER_OF C-1", "2001-09-14", None),
    ("P-M MEMBER_OF C-1", "2001-09-01", "month"),
    ("P-Y MEMBER_OF C-1", "2001-01-01", "year"),
    ("PR-1", "2003-01-01 2006-07-01", "year month"),
    ("PR-2", "2003-01-01 -", "- -"),
]
"""What :data:`FILES` store: each link's or project's dates and their precision (None: a full day)."""


def test_a_partial_date_is_stored_as_its_first_day_with_its_precision(dated_site: Site) -> None:
    assert stored(dated_site.graph) == STORED


def test_loading_the_same_files_again_changes_nothing(dated_site: Site, tmp_path: Path) -> None:
    before = dated_site.graph.run(DATES)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    counts = load(dated_site.graph, tmp_path)
    assert counts["unchanged"] == counts["rows"] and counts["rejected"] == 0, counts
    assert dated_site.graph.run(DATES) == before and stored(dated_site.graph) == STORED


def test_a_full_day_replaces_a_year_and_a_year_a_full_day(dated_site: Site, tmp_path: Path) -> None:
    def collaboration(since: str) -> tuple[Any, ...]:
        (tmp_path / "collaborations.csv").write_text(
            f"source,target,kind,since,weight\n{HUB},P-Y,research,{since},3\n", encoding="utf-8"
        )
        assert load(dated_site.graph, tmp_path)["updated"] == 1
        return next(row for row in stored(dated_site.graph) if row[0] == f"{HUB} COLLABORATES_WITH P-Y")

    assert collaboration("1998-02-03") == (f"{HUB} COLLABORATES_WITH P-Y", "1998-02-03", None)
    assert collaboration("1998") == (f"{HUB} COLLABORATES_WITH P-Y", "1998-01-01", "year")


def test_the_api_gives_each_date_as_given_beside_its_full_date(
    dated_site: Site, neo4j_settings: Settings
) -> None:
    query = """{ hub: organization(id: "D-HUB") { collaborators { since sinceAsGiven partner { id } } }
        firm: organization(id: "F-1") { collaborators { since sinceAsGiven }
          projects { project { start startAsGiven end endAsGiven } } } }"""
    with TestClient(create_app(neo4j_settings)) as client:
        found = data(gql(client, dated_site.keys["hub"], query))
    assert found["hub"]["collaborators"] == [
        {"since": "1998-01-01", "sinceAsGiven": "1998", "partner": {"id": "P-Y"}},
        {"since": "1998-05-01", "sinceAsGiven": "1998-05", "partner": {"id": "P-M"}},
        {"since": "1998-05-17", "sinceAsGiven": "1998-05-17", "partner": {"id": "P-D"}},
    ]
    assert found["firm"]["collaborators"] == [{"since": "2003-01-01", "sinceAsGiven": "2003"}] * 2
    assert found["firm"]["projects"] == [
        {
            "project": {
                "start": "2003-01-01",
                "startAsGiven": "2003",
                "end": "2006-07-01",
                "endAsGiven": "2006-07",
            }
        }
    ]


def test_the_organization_page_shows_since_as_given(dated_site: Site, browser: WebDriver) -> None:
    use_key(browser, dated_site, dated_site.keys["hub"], f"/organizations/{HUB}")
    wait_for_text(browser, "#organization", "Year Partner GmbH")
    rows = browser.find_elements(By.CSS_SELECTOR, "#organization table tbody tr")
    assert [
        (r.find_element(By.TAG_NAME, "a").text, r.find_elements(By.TAG_NAME, "td")[3].text) for r in rows
    ] == [
        ("Year Partner GmbH", "1998"),
        ("Month Partner GmbH", "1998-05"),
        ("Day Partner GmbH", "1998-05-17"),
    ]


def test_a_year_and_its_first_day_on_two_rows_of_one_link_disagree(dated_site: Site, tmp_path: Path) -> None:
    """``2001`` and ``2001-01-01`` say different things (a year, a day): the later row is rejected naming
    both, as any other value a repeated link disagrees on is, and the graph keeps the year."""
    (tmp_path / "memberships.csv").write_text(
        "organization,cluster,since\nP-Y,C-1,2001\nP-Y,C-1,2001-01-01\n", encoding="utf-8"
    )
    summary = ingest.load(dated_site.graph, [tmp_path / "memberships.csv"], source="dated")
    assert [r.reason for r in summary.rejects] == [
        "membership of 'P-Y' in cluster 'C-1' is already at row 2 of this file with since '2001', "
        "not '2001-01-01'"
    ]
    assert stored(dated_site.graph) == STORED
