"""An organization's partners on its page, a page at a time, in a real browser (Debian Chromium, headless),
against the real API serving a hub with more partners than a page lists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import ingest
from api.auth import ApiRole, create_key
from api.web.partners import PAGE
from graph import admin
from graph.db import Graph
from schema.settings import Settings
from tests.utils.web import Site, serve_graph, use_key, wait_for_text

HUB = "TEST-HUB"
PARTNERS = PAGE + 11
"""The hub's partners: a full page and 11 more."""


@pytest.fixture(scope="module")
def hub_site(
    session_graph: Graph, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A hub with :data:`PARTNERS` partners, loaded by ingest into an emptied graph, and the real app."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("hub")
    organizations = folder / "organizations.csv"
    organizations.write_text(
        "id,name,role,country,region,city\n"
        f"{HUB},Hub Innovation Agency,knowledge_broker,AT,Upper Austria,Linz\n"
        + "".join(f"P-{n:03},Partner {n:03} GmbH,firm,AT,Upper Austria,Wels\n" for n in range(PARTNERS)),
        encoding="utf-8",
    )
    collaborations = folder / "collaborations.csv"
    collaborations.write_text(  # the higher the number, the stronger the tie
        "source,target,kind,since,weight\n"
        + "".join(f"{HUB},P-{n:03},research,2020,{n + 1}\n" for n in range(PARTNERS)),
        encoding="utf-8",
    )
    summary = ingest.load(session_graph, [organizations, collaborations], source="hub")
    assert summary.counts()["rejected"] == 0, summary.counts()
    keys = {"hub": create_key(session_graph, ApiRole.MEMBER, HUB)}
    yield from serve_graph(session_graph, neo4j_settings, keys)


def listed(browser: WebDriver) -> list[str]:
    return [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#organization table a")]


def test_an_organization_page_says_how_many_partners_and_shows_every_one(
    hub_site: Site, browser: WebDriver
) -> None:
    """An organization page listed its 50 strongest partners and said nothing of the others: a hub of 61
    looked like one of 50. It says how many there are and links to the pages that list the rest."""
    use_key(browser, hub_site, hub_site.keys["hub"], f"/organizations/{HUB}")
    wait_for_text(browser, "#organization", "Partners")
    assert browser.find_element(By.ID, "partners-count").text.startswith(f"Partners 1–{PAGE} of {PARTNERS}")
    first = listed(browser)
    assert first[0] == f"Partner {PARTNERS - 1:03} GmbH" and len(first) == PAGE, first  # the strongest first
    browser.find_element(By.LINK_TEXT, "Next 11 partners").click()
    wait_for_text(browser, "#organization", f"Partners {PAGE + 1}–{PARTNERS} of {PARTNERS}")
    rest = listed(browser)
    assert sorted(first + rest) == [f"Partner {n:03} GmbH" for n in range(PARTNERS)]
    assert not browser.find_elements(By.LINK_TEXT, "Next 0 partners")
    browser.find_element(By.LINK_TEXT, f"Previous {PAGE} partners").click()
    wait_for_text(browser, "#organization", f"Partners 1–{PAGE} of {PARTNERS}")
    browser.get(f"{hub_site.url}/organizations/{HUB}?partners=9")
    wait_for_text(browser, "#organization", f"Page 9 lists no partners: its {PARTNERS} partners fill 2 pages")
    browser.get(f"{hub_site.url}/organizations/{HUB}?partners=two")
    wait_for_text(browser, "#organization", "The page of partners must be a whole number from 1, not 'two'")
    assert listed(browser) == first
