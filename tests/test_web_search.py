"""The partner search as a person moves through it, in a real browser (Debian Chromium, headless) against the
real API serving the demo region: the back button, what a screen reader hears while and after it searches,
the titles of the pages and what an address that names nothing shows."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.test_web import NEED, search
from tests.utils.web import BAKERY, Site, use_key, wait_for_text

CLUSTER = "FOOD"
OTHER_NEED = "predictive maintenance for our CNC milling machines"
RECORD = """
window.heard = {announce: [], results: []};
for (const id of ["announce", "results"]) {
  const el = document.getElementById(id);
  new MutationObserver(() => window.heard[id].push(el.textContent.trim()))
    .observe(el, {childList: true, subtree: true, characterData: true});
}
"""


def test_the_back_button_returns_to_the_search_before(site: Site, browser: WebDriver) -> None:
    """Each search replaced the tab's address: back after a second search left the page altogether."""
    use_key(browser, site, None)
    search(browser, NEED)
    wait_for_text(browser, "#results", "partners for “We want AI-based")
    search(browser, OTHER_NEED)
    wait_for_text(browser, "#results", "partners for “predictive maintenance")
    browser.back()
    wait_for_text(browser, "#results", "partners for “We want AI-based")
    assert browser.find_element(By.ID, "need").get_attribute("value") == NEED
    assert "partners for “predictive" not in browser.find_element(By.ID, "results").text
    browser.forward()
    wait_for_text(browser, "#results", "partners for “predictive maintenance")
    assert browser.find_element(By.ID, "need").get_attribute("value") == OTHER_NEED


def test_a_search_says_it_runs_and_a_screen_reader_hears_its_summary(site: Site, browser: WebDriver) -> None:
    """Nothing showed while a search ran (seconds on a busy server: people pressed the button again), and
    the results were one live region, so a screen reader read all ten cards out at once."""
    use_key(browser, site, None)
    browser.execute_script(RECORD)
    search(browser, NEED)
    wait_for_text(browser, "#results", "partners for “We want AI-based")
    heard = browser.execute_script("return window.heard")
    assert heard["results"][0] == "Looking for partners…", heard["results"][:2]
    assert heard["announce"][0] == "Looking for partners…", heard["announce"]
    assert heard["announce"][-1].startswith("10 partners for “We want AI-based"), heard["announce"]
    assert browser.find_element(By.ID, "results").get_attribute("aria-live") is None
    # the summary of a pasted page quotes its start, cut as the cards cut their sentences
    search(browser, "Bread for the whole region, baked every night. " * 100)
    wait_for_text(browser, "#results", "partners for “Bread for")
    summary = browser.find_element(By.CSS_SELECTOR, "#results .summary").text
    assert len(summary) < 400 and "…”" in summary, summary[:500]


def test_an_organization_page_is_titled_by_it_and_an_unknown_one_keeps_a_heading(
    site: Site, browser: WebDriver
) -> None:
    """Every organization page and dashboard was titled "Organization" or "Cluster dashboard"; an address
    naming no organization showed one lower-case sentence, with no heading and no way on."""
    use_key(browser, site, site.keys["food_manager"], path=f"/organizations/{BAKERY}")
    wait_for_text(browser, "#organization h1", "Bäckerei Brandstetter")
    assert browser.title == "Bäckerei Brandstetter GmbH · clusterkg", browser.title
    browser.get(f"{site.url}/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    assert browser.title == f"{browser.find_element(By.TAG_NAME, 'h1').text} · clusterkg", browser.title
    for path, heading in (
        ("/organizations/NO-SUCH-ID", "Organization"),
        ("/clusters/NOPE", "Cluster dashboard"),
    ):
        browser.get(site.url + path)
        wait_for_text(browser, "main .error", "")
        assert [h.text for h in browser.find_elements(By.TAG_NAME, "h1")] == [heading]
        assert browser.find_elements(By.LINK_TEXT, "Go to the partner search"), path
