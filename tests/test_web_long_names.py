"""Long words on a phone, in a real browser (Debian Chromium, headless), on the demo region served by the
real API (``tests/utils/web.py``): a registry's German firm name holds compounds wider than a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import ingest
import matching
from graph.query import Query
from schema.settings import Settings
from tests.utils.web import PHONE_WIDTH, Site, as_phone, chromium, use_key, wait_for_text

LONG = "FN-LONG-1"
NAME = "Oberösterreichische Lebensmittelqualitätsprüfungsgesellschaft für Großbäckereiwarenhersteller mbH"
OFFER = "Payroll accounting and tax returns for craft businesses, Lohnverrechnungsdienstleistungen inclusive."
WEBSITE = "https://www.lebensmittelqualitaetspruefungsgesellschaft-fuer-baeckereien.at/kontakt/qualitaet"
CLUSTER = "FOOD"
FORGET = Query("test.web_forget_long_name", "MATCH (o:Organization {id: $id}) DETACH DELETE o", write=True)


@pytest.fixture
def long_name(site: Site, neo4j_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A firm whose name, text and website hold words wider than a phone, loaded and embedded into the demo
    region for one test (it offers nothing another test searches for), a member of the food cluster with no
    tie: one of its isolates."""
    registry = tmp_path / "long.csv"
    registry.write_text(
        "id,name,role,description,website,country,region,city\n"
        f'{LONG},{NAME},firm,"{OFFER}",{WEBSITE},AT,Upper Austria,Wels\n',
        encoding="utf-8",
    )
    members = tmp_path / "memberships.csv"
    members.write_text(f"organization,cluster,since\n{LONG},{CLUSTER},2020-01-01\n", encoding="utf-8")
    try:
        assert ingest.load(site.graph, [registry, members], source="long-name").counts()["rejected"] == 0
        matching.embed(site.graph, neo4j_settings)
        yield LONG
    finally:
        site.graph.run(FORGET, id=LONG)


def test_a_long_name_breaks_inside_a_phones_width(site: Site, long_name: str) -> None:
    """A compound of 37 letters in a firm's name stood past the card's edge, and widened the search page to
    489 px and the organization page (its web address too) to 705 px on a 390 px phone."""
    for driver in chromium():
        as_phone(driver)
        driver.get(f"{site.url}/?need={quote('payroll accounting and tax returns')}")
        wait_for_text(driver, "#results", "partners for")
        card = driver.find_element(By.CSS_SELECTOR, f'[data-partner="{long_name}"]')
        assert card.find_element(By.TAG_NAME, "h2").text.replace("\n", " ") == NAME
        assert driver.execute_script("return document.documentElement.scrollWidth") == PHONE_WIDTH
        title = card.find_element(By.TAG_NAME, "h2").rect
        assert title["x"] + title["width"] <= card.rect["x"] + card.rect["width"], (title, card.rect)
        use_key(driver, site, site.keys["food_manager"], f"/organizations/{long_name}")
        wait_for_text(driver, "#organization", "Website")
        assert driver.execute_script("return document.documentElement.scrollWidth") == PHONE_WIDTH


def test_an_isolates_long_name_stops_before_the_next_isolate(
    site: Site, browser: WebDriver, long_name: str
) -> None:
    """The isolates stand in rows under the drawing, each name written beside its dot: a long name ran over
    the next isolate's dot and name ("…für Bäckereibetriebe" over "Pichler Fleischwaren")."""
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    node = browser.find_element(By.CSS_SELECTOR, f'.network .node[data-id="{long_name}"]')
    assert node.find_element(By.TAG_NAME, "title").get_attribute("textContent").startswith(NAME)
    assert node.find_element(By.TAG_NAME, "text").get_attribute("textContent").endswith("…")
    boxes = browser.execute_script(
        "return [...document.querySelectorAll('.network .node.isolate.always')].map(g => {"
        "  const t = g.querySelector('text').getBoundingClientRect(), c = g.querySelector('.mark');"
        "  const d = c.getBoundingClientRect();"
        "  return {name: g.querySelector('text').textContent, text: [t.left, t.top, t.right, t.bottom],"
        "          dot: [d.left, d.top, d.right, d.bottom]}; })"
    )
    assert len(boxes) > 1, boxes

    def overlap(a: list[float], b: list[float]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    for one in boxes:
        for other in boxes:
            if one is not other:
                assert not overlap(one["text"], other["text"]), (one, other)
                assert not overlap(one["text"], other["dot"]), (one, other)
