"""The partner search as a person moves through it, in a real browser (Debian Chromium, headless) against the
real API serving the demo region: the back button, what a screen reader hears while and after it searches,
the titles of the pages and what an address that names nothing shows."""

from __future__ import annotations

from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from api.auth import ApiRole, create_key, revoke_key
from tests.test_web import NEED, search
from tests.utils.web import (
    BAKERY,
    DAIRY,
    PHONE_WIDTH,
    WAIT_SECONDS,
    Site,
    as_phone,
    chromium,
    use_key,
    wait_for_text,
)

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


FOCUS_CONTRAST = """
function lum(c) {
  const v = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(x => x / 255)
    .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}
function ground(el) {  // the colour the ring is drawn on: the nearest opaque background around the element
  for (el = el.parentElement; el; el = el.parentElement) {
    const c = getComputedStyle(el).backgroundColor, a = c.match(/[\\d.]+/g).map(Number);
    if (a.length < 4 || a[3] > 0.5) return c;
  }
  return "rgb(255, 255, 255)";
}
const el = document.activeElement, s = getComputedStyle(el);
const [a, b] = [lum(s.outlineColor), lum(ground(el))];
return [el.tagName + " " + (el.id || el.textContent.trim().slice(0, 30)), s.outlineStyle,
        (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
"""


def test_the_keyboard_focus_ring_stands_out_from_its_background(site: Site, browser: WebDriver) -> None:
    """The ring was amber (#f2a900) at 2.0:1 on white and 1.9:1 on the header: under the 3:1 that a keyboard
    user needs to see where they are (WCAG 1.4.11)."""
    use_key(browser, site, None)
    browser.get(site.url + "/?need=" + quote(NEED))  # a fresh page: Tab starts at the top, the skip link
    wait_for_text(browser, "#results", "partners for")
    seen = []
    for _ in range(20):  # the header, the form and the first cards
        browser.switch_to.active_element.send_keys(Keys.TAB)
        seen.append(browser.execute_script(FOCUS_CONTRAST))
    weak = [(name, style, round(ratio, 2)) for name, style, ratio in seen if style == "none" or ratio < 3]
    assert not weak, (weak, [name for name, _, _ in seen])


def test_on_a_phone_the_cards_stay_inside_the_page(site: Site) -> None:
    """A card was at least 340 px wide: at 375 px it ran past the page's right margin (13 px of its 24),
    and on a narrower phone past the screen, so the whole page scrolled sideways."""
    for driver in chromium():
        as_phone(driver)
        use_key(driver, site, None, "/?need=" + quote(NEED))
        wait_for_text(driver, "#results", "partners for")
        assert driver.execute_script("return innerWidth") == PHONE_WIDTH
        right, cards = driver.execute_script(
            "const main = document.getElementById('main');"
            "const pad = parseFloat(getComputedStyle(main).paddingRight);"
            "return [main.getBoundingClientRect().right - pad,"
            " [...document.querySelectorAll('#results .card')].map(c => c.getBoundingClientRect().right)];"
        )
        assert cards and all(edge <= right + 0.5 for edge in cards), (right, cards)
        assert driver.execute_script("return document.documentElement.scrollWidth") == PHONE_WIDTH


def test_a_member_saving_empty_needs_is_told_in_words(site: Site, browser: WebDriver) -> None:
    """Saving an empty field said "Not saved: `text` is empty" (the API's argument), and the field took
    more than the 5000 characters a need may hold, which the API then refused with "`text` is longer"."""
    use_key(browser, site, site.keys["dairy"])
    wait_for_text(browser, "#me", "Member key for")
    field = browser.find_element(By.ID, "own-need")
    assert field.get_attribute("maxlength") == "5000"
    field.clear()
    field.send_keys("   ")
    browser.find_element(By.CSS_SELECTOR, "#need-form button[type=submit]").click()
    wait_for_text(browser, "#need-status", "Not saved: write what your organization looks for first.")
    assert "`" not in browser.find_element(By.ID, "need-status").text
    assert field.get_attribute("aria-invalid") == "true"  # the field at fault, as a refused need's


def test_a_paste_longer_than_the_need_field_is_said_to_be_cut(site: Site, browser: WebDriver) -> None:
    """The field keeps 5000 characters (its maxlength) and dropped the rest of a longer paste silently: the
    search ran on the start of the text as if it were the whole."""
    use_key(browser, site, None)
    browser.find_element(By.ID, "need").click()
    browser.execute_cdp_cmd("Input.insertText", {"text": "Wir suchen einen Partner für Brot. " * 150})
    assert len(browser.find_element(By.ID, "need").get_attribute("value")) == 5000
    limit = browser.find_element(By.ID, "need-limit").text
    assert "at most 5,000 characters; the rest of what you typed or pasted was not kept" in limit, limit
    browser.find_element(By.ID, "need").send_keys(Keys.BACKSPACE)
    assert browser.find_element(By.ID, "need-limit").text == ""


def test_a_key_revoked_while_the_page_is_open_is_said_in_words(site: Site, browser: WebDriver) -> None:
    """Accept and Save needs showed the API's "unknown or revoked API key" while the header still said that
    a key was in use."""
    key = create_key(site.graph, ApiRole.MEMBER, DAIRY)
    use_key(browser, site, key)
    wait_for_text(browser, "#me", "Member key for")
    search(browser, NEED)
    wait_for_text(browser, "#results", "partners for")
    revoke_key(site.graph, key.id)
    browser.find_element(By.CSS_SELECTOR, '#results [data-answer="accept"]').click()
    wait_for_text(browser, "#results .answer-status", "Not recorded: this access key was not accepted")
    wait_for_text(browser, "#key-status", "This key was not accepted.")
    browser.find_element(By.CSS_SELECTOR, "#need-form button[type=submit]").click()
    wait_for_text(browser, "#need-status", "Not saved: this access key was not accepted")
    shown = browser.find_element(By.ID, "main").text
    assert "unknown or revoked API key" not in shown, shown


def test_forgetting_the_key_asks_the_search_again_as_a_guest(site: Site, browser: WebDriver) -> None:
    """Forgetting the key emptied the results for good, while putting a key in use asked the search again;
    a page that had its answer before the click showed nothing at all."""
    use_key(browser, site, site.keys["bakery"], "/?need=" + quote(NEED))
    wait_for_text(browser, "#results", "Accept")  # the member's own suggestions, to answer
    browser.find_element(By.ID, "forget-key").click()
    wait_for_text(browser, "#key-status", "No key")
    wait_for_text(browser, "#results", "partners for")
    assert not browser.find_elements(By.CSS_SELECTOR, "#results [data-answer]")  # a guest's, answered by none


def test_a_refused_need_names_its_field_by_its_label_and_marks_the_field(
    site: Site, browser: WebDriver
) -> None:
    """A need the API refuses showed its sentence, "`Need` holds the control character U+0007 …": it named the
    API's argument, which a person at the form never sees, and the field was not marked as the one at
    fault."""
    use_key(browser, site, None, "/?need=" + quote("Bread\x07 slicer for our bakery"))
    wait_for_text(browser, "#results", "holds the control character U+0007")
    label = browser.find_element(By.CSS_SELECTOR, "label[for=need]").text
    error = browser.find_element(By.CSS_SELECTOR, "#results .error")
    assert error.text.startswith(f"“{label}” holds") and "`" not in error.text, error.text
    field = browser.find_element(By.ID, "need")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby").split() == ["need-limit", error.get_attribute("id")]
    search(browser, "")  # no need at all, as a guest: said of the same field
    wait_for_text(browser, "#results", "Say in a few words what you are looking for.")
    assert field.get_attribute("aria-invalid") == "true"
    search(browser, NEED)  # a need the API takes: the field is no longer marked
    wait_for_text(browser, "#results", "partners for")
    assert field.get_attribute("aria-invalid") is None
    assert field.get_attribute("aria-describedby") == "need-limit"


def marked_by_its_error(browser: WebDriver, field_id: str) -> str:
    """The error the field ``field_id`` is marked invalid and described by (fails when it is not)."""
    field = browser.find_element(By.ID, field_id)
    error = browser.find_element(By.CSS_SELECTOR, "#results .error")
    assert field.get_attribute("aria-invalid") == "true", field_id
    assert error.get_attribute("id") in (field.get_attribute("aria-describedby") or "").split(), field_id
    return str(error.text)


def test_an_unknown_town_or_a_distance_the_search_refuses_names_and_marks_its_field(
    site: Site, browser: WebDriver
) -> None:
    """An unknown town said "No organization is located in 'Atlantis', so its position is unknown" and a
    distance of 0 "The distance must be more than 0 km": neither named the field to mend by the label the
    person sees, and neither field was marked as the one at fault."""
    use_key(browser, site, None)
    search(browser, NEED, town="Atlantis")
    wait_for_text(browser, "#results", "where no organization is located")
    said = marked_by_its_error(browser, "town")
    assert said.startswith("“Your town” holds 'Atlantis'"), said
    assert browser.find_element(By.CSS_SELECTOR, "label[for=town]").text.startswith("Your town")
    # the field takes whole km from 1 in the browser; an address (a bookmark, a link) can hold any
    browser.get(site.url + "/?need=" + quote(NEED) + "&town=Wels&km=0")
    wait_for_text(browser, "#results", "must be more than 0")
    said = marked_by_its_error(browser, "km")
    assert said.startswith("“Within km” must be"), said
    assert browser.find_element(By.CSS_SELECTOR, "label[for=km]").text.startswith("Within km")
    assert browser.find_element(By.ID, "town").get_attribute("aria-invalid") is None
    search(browser, NEED, town="Wels", km="60")  # a search that goes through: no field stays marked
    wait_for_text(browser, "#results", "partners for")
    for field_id in ("town", "km"):
        field = browser.find_element(By.ID, field_id)
        assert field.get_attribute("aria-invalid") is None, field_id
        assert field.get_attribute("aria-describedby") is None, field_id


def test_a_kind_or_region_an_address_names_and_the_lists_lack_is_refused_on_the_page(
    site: Site, browser: WebDriver
) -> None:
    """The page's lists showed their first choice, *Any kind* or *Anywhere*, for a kind of partner or a
    region they lack, and the search ran with it and dropped the one the address named without a word."""
    use_key(browser, site, None)
    for name, value, label in (("region", "XX", "Region"), ("role", "spaceship", "Kind of partner")):
        browser.get(f"{site.url}/?need={quote(NEED)}&{name}={value}")
        wait_for_text(browser, "#results", "has no choice")
        said = marked_by_its_error(browser, name)
        assert said.startswith(f"“{label}” has no choice '{value}'; choose one from its list"), said
    browser.get(f"{site.url}/?need={quote(NEED)}&region={quote('Upper Austria')}")  # a region by its name
    wait_for_text(browser, "#results", "partners for")
    assert Select(browser.find_element(By.ID, "region")).first_selected_option.text == "Upper Austria"


FETCHES = """
window.fetched = [];
const fetched = window.fetch;
window.fetch = function (url, options) { window.fetched.push(String(url)); return fetched(url, options); };
"""


def test_a_distance_the_browser_cannot_read_stops_the_search_naming_its_field(
    site: Site, browser: WebDriver
) -> None:
    """Typed into the number field *Within km*, "ten" reaches the script as an empty value (the browser's
    badInput): the search ran with no distance, or, pressed with the button, nothing happened but a bubble
    that goes, and nothing on the page said which field to mend. Opened from an address holding it, the
    page searched with the empty field, not with the address."""
    use_key(browser, site, None)
    browser.execute_script(FETCHES)
    address = browser.current_url
    search(browser, NEED, town="Wels", km="ten")
    wait_for_text(browser, "#results", "“Within km”")
    said = marked_by_its_error(browser, "km")
    assert said.startswith("“Within km” holds what the browser cannot read"), said
    assert not browser.find_elements(By.CSS_SELECTOR, "#results .card")
    assert browser.execute_script("return window.fetched") == [] and browser.current_url == address
    search(browser, NEED, town="Wels", km="")  # the field emptied: the search goes through, the mark goes
    wait_for_text(browser, "#results", "partners for")
    assert browser.find_elements(By.CSS_SELECTOR, "#results .card")
    km = browser.find_element(By.ID, "km")
    assert km.get_attribute("aria-invalid") is None and km.get_attribute("aria-describedby") is None
    # an address holding it (a link, a bookmark): the field shows empty, and the address is what is searched
    browser.get(f"{site.url}/?need={quote(NEED)}&town=Wels&km=ten")
    wait_for_text(browser, "#results", "“Within km”")
    said = marked_by_its_error(browser, "km")
    assert said.startswith("“Within km” must be a number, not 'ten'"), said


def searched(browser: WebDriver) -> None:
    """Wait until the search that a click started has filled the results."""
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, "results").get_attribute("aria-busy") == "false"
    )


def test_a_key_put_in_use_or_forgotten_asks_again_the_search_of_the_address(
    site: Site, browser: WebDriver
) -> None:
    """Opened from an address holding a distance the number field cannot hold (`?km=ten`, shown empty), the
    page said that *Within km* was refused; pressing *Use key* or *Forget key* asked the search again from
    the form, with no distance and no word about it."""
    use_key(browser, site, None, f"/?need={quote(NEED)}&town=Wels&km=ten")  # Forget key asks it again
    searched(browser)
    assert marked_by_its_error(browser, "km").startswith("“Within km” must be a number, not 'ten'")
    browser.find_element(By.ID, "api-key").send_keys(site.keys["bakery"].secret)
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    wait_for_text(browser, "#key-status", "key is in use")
    searched(browser)
    assert marked_by_its_error(browser, "km").startswith("“Within km” must be a number, not 'ten'")
    assert not browser.find_elements(By.CSS_SELECTOR, "#results .card")
    # typed into the field and never searched, what the browser cannot read still stops the search
    browser.find_element(By.ID, "km").send_keys("ten")
    browser.find_element(By.ID, "forget-key").click()
    wait_for_text(browser, "#results", "holds what the browser cannot read")
    marked_by_its_error(browser, "km")


def test_needs_the_api_refuses_name_their_field_by_its_label_and_mark_it(
    site: Site, browser: WebDriver
) -> None:
    """Saving needs holding a control character said "Not saved: `text` holds the control character …",
    naming the API's argument, which the person at the form never sees, and the field was not marked as
    the one at fault; so was a text over the 5,000 characters a need holds (set by a script, past the
    field's maxlength)."""
    use_key(browser, site, site.keys["dairy"])
    wait_for_text(browser, "#me", "Member key for")
    field = browser.find_element(By.ID, "own-need")
    recorded = field.get_attribute("value")
    label = browser.find_element(By.CSS_SELECTOR, "label[for=own-need]").text
    status = browser.find_element(By.ID, "need-status")
    save = browser.find_element(By.CSS_SELECTOR, "#need-form button[type=submit]")
    for text, said in (
        ("Cheese\x07 vats that clean themselves", "holds the control character U+0007 at character 7"),
        ("cheese " * 800, "is longer than 5,000 characters"),
    ):
        browser.execute_script("arguments[0].value = arguments[1]", field, text)
        save.click()
        wait_for_text(browser, "#need-status", said)
        assert status.text.startswith(f"Not saved: “{label}” {said}") and "`" not in status.text, status.text
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("aria-describedby").split() == ["own-need-limit", "need-status"]
    browser.execute_script("arguments[0].value = arguments[1]", field, recorded)  # the needs it had
    save.click()
    wait_for_text(browser, "#need-status", "Saved.")
    assert field.get_attribute("aria-invalid") is None
    assert field.get_attribute("aria-describedby") == "own-need-limit"
