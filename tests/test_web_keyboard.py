"""The pages' buttons pressed from the keyboard and named for a screen reader, in a real browser (Debian
Chromium, headless) against the real API serving the demo region: where the focus goes, and what each button
is called."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.utils.web import WAIT_SECONDS, Site, use_key, wait_for_text

GRAPHQL_POSTS = """
window.posted = 0;
const fetched = window.fetch;
window.fetch = function (url, options) {
  if (String(url).endsWith("/graphql")) window.posted += 1;
  return fetched(url, options);
};
"""


def test_an_answer_pressed_from_the_keyboard_keeps_the_focus_on_its_button(
    site: Site, browser: WebDriver
) -> None:
    """*Decline* pressed with Enter disabled the card's buttons, and a disabled button drops its focus to the
    page itself: a screen reader said nothing of where the person was, and the next Tab started over."""
    use_key(browser, site, site.keys["dairy"])
    browser.find_element(By.ID, "need").send_keys("cold chain temperature monitoring")
    browser.find_element(By.ID, "km").send_keys(Keys.ENTER)  # Enter in a field sends the form
    wait_for_text(browser, "#results", "partners for")
    browser.execute_script(GRAPHQL_POSTS)
    card = browser.find_element(By.CSS_SELECTOR, "#results [data-partner]")
    decline = card.find_element(By.CSS_SELECTOR, '[data-answer="decline"]')
    decline.send_keys(Keys.ENTER)
    wait_for_text(browser, "#results .answer-status", "Declined: it will not be suggested again.")
    assert browser.switch_to.active_element == decline, browser.switch_to.active_element.tag_name
    assert decline.get_attribute("aria-disabled") == "true"
    decline.send_keys(Keys.ENTER)  # answered: pressed again, it asks nothing
    card.find_element(By.CSS_SELECTOR, '[data-answer="accept"]').send_keys(Keys.ENTER)
    assert browser.execute_script("return window.posted") == 1
    assert card.find_element(By.CSS_SELECTOR, ".answer-status").text.startswith("Declined")


def test_each_answer_button_is_named_with_its_partner(site: Site, browser: WebDriver) -> None:
    """Every card's buttons were named "Accept" and "Decline" alone: a screen reader listing the page's
    buttons read ten of each, with nothing to say which partner each answers."""
    use_key(browser, site, site.keys["bakery"])
    browser.find_element(By.ID, "need").send_keys("cameras that spot burnt loaves on our bakery line")
    browser.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    wait_for_text(browser, "#results", "partners for")
    cards = browser.find_elements(By.CSS_SELECTOR, "#results [data-partner]")
    assert len(cards) > 1
    for card in cards:
        partner = card.find_element(By.CSS_SELECTOR, "h2").text
        for answer, word in (("accept", "Accept"), ("decline", "Decline")):
            button = card.find_element(By.CSS_SELECTOR, f'[data-answer="{answer}"]')
            assert button.accessible_name == f"{word} {partner}", button.accessible_name
            assert button.text == word  # the name starts with what is seen (and said to voice control)


def test_finding_suppliers_for_the_gaps_from_the_keyboard_keeps_the_focus_in_the_gaps(
    site: Site, browser: WebDriver
) -> None:
    """*Find outside suppliers for the gaps* is replaced by the suppliers it finds: pressed with Enter, its
    focus dropped to the page itself, and the next Tab started again from the top of the dashboard."""
    use_key(browser, site, site.keys["food_manager"], "/clusters/FOOD")
    wait_for_text(browser, "#gaps", "not searched yet")
    browser.find_element(By.CSS_SELECTOR, "#gaps button[data-load]").send_keys(Keys.ENTER)
    wait_for_text(browser, "#gaps", "Could supply it")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, "gaps").get_attribute("aria-busy") == "false"
    )
    gaps = browser.find_element(By.ID, "gaps")
    assert browser.switch_to.active_element == gaps, browser.switch_to.active_element.tag_name
    assert "not searched yet" not in gaps.text
    browser.switch_to.active_element.send_keys(Keys.TAB)  # on to the first supplier or member linked
    assert browser.execute_script("return document.getElementById('gaps').contains(document.activeElement)")
