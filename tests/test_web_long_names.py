"""Long words on a phone, in a real browser (Debian Chromium, headless), on the demo region served by the
real API (``tests/utils/web.py``): a registry's German firm name holds compounds wider than a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By

import ingest
import matching
from graph.query import Query
from schema.settings import Settings
from tests.utils.web import PHONE_WIDTH, Site, as_phone, chromium, use_key, wait_for_text

LONG = "FN-LONG-1"
NAME = "Oberösterreichische Lebensmittelqualitätsprüfungsgesellschaft für Großbäckereiwarenhersteller mbH"
OFFER = "Payroll accounting and tax returns for craft businesses, Lohnverrechnungsdienstleistungen inclusive."
WEBSITE = "https://www.lebensmittelqualitaetspruefungsgesellschaft-fuer-baeckereien.at/kontakt/qualitaet"
FORGET = Query("test.web_forget_long_name", "MATCH (o:Organization {id: $id}) DETACH DELETE o", write=True)


@pytest.fixture
def long_name(site: Site, neo4j_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A firm whose name, text and website hold words wider than a phone, loaded and embedded into the demo
    region for one test (it offers nothing another test searches for)."""
    registry = tmp_path / "long.csv"
    registry.write_text(
        "id,name,role,description,website,country,region,city\n"
        f'{LONG},{NAME},firm,"{OFFER}",{WEBSITE},AT,Upper Austria,Wels\n',
        encoding="utf-8",
    )
    try:
        assert ingest.load(site.graph, [registry], source="long-name").counts()["rejected"] == 0
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
