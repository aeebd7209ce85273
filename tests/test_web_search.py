"""The partner search as a person moves through it, in a real browser (Debian Chromium, headless) against the
real API serving the demo region: the back button."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.test_web import NEED, search
from tests.utils.web import Site, use_key, wait_for_text

OTHER_NEED = "predictive maintenance for our CNC milling machines"


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
