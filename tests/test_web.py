"""The SMB partner search, the organization page and GraphiQL in a real browser (Debian Chromium, headless),
against the real API serving the demo region (``tests/utils/web.py``)."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from api.web.search import LABELS
from graph.query import Query
from tests.utils.web import (
    BAKERY,
    PHONE_WIDTH,
    WAIT_SECONDS,
    Site,
    as_phone,
    chromium,
    use_key,
    wait_for_text,
)

NEED = (
    "We want AI-based quality control for our bakery line: cameras above the conveyor that spot burnt "
    "or misshapen loaves before packaging."
)
VENDOR = "FN242542i"
VENDOR_NAME = "InspectAI Vision Systems GmbH"
FEEDBACK = Query(
    "test.web_feedback",
    "MATCH (:Organization {id: $seeker})-[f:SUGGESTION_FEEDBACK]->(:Organization {id: $partner}) "
    "RETURN f.accepted AS accepted, f.by AS by",
)
PRIVATE_NEED = "We quietly look for a glorbnik fermentation sensor for our sourdough starter."


def search(driver: WebDriver, need: str, town: str = "", km: str = "") -> None:
    """Type a search into the page's form and send it."""
    field = driver.find_element(By.ID, "need")
    field.clear()
    field.send_keys(need)
    for name, value in (("town", town), ("km", km)):
        element = driver.find_element(By.ID, name)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()


def card(driver: WebDriver, partner: str) -> str:
    wait_for_text(driver, "#results", "partners for")
    cards = driver.find_elements(By.CSS_SELECTOR, f'#results [data-partner="{partner}"]')
    assert cards, f"no card for {partner}; the results show:\n{driver.find_element(By.ID, 'results').text}"
    cards[0].find_element(By.TAG_NAME, "details").click()  # open "Why, in detail"
    return str(cards[0].text)


def test_a_guest_types_a_need_and_sees_the_vendor_with_its_reasons(site: Site, browser: WebDriver) -> None:
    use_key(browser, site, None)
    search(browser, NEED, town="Wels", km="60")
    shown = card(browser, VENDOR)
    assert VENDOR_NAME in shown
    assert "km away" in shown  # the distance from the town typed
    assert "YOUR WORDS" in shown.upper() and "machine-vision quality inspection" in shown  # matched sentences
    assert "Score" in shown and "how well what they offer fits what is sought" in shown
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-answer], #answer-help")  # a guest cannot answer


def test_why_in_detail_says_what_each_figure_means(site: Site, browser: WebDriver) -> None:
    """A card's "Why, in detail" read the ranking's own terms, as the API's explanations do ("role fit for a
    firm 0.90", "similarity 0.42; whole texts 0.43", "found through the text search"): a bakery owner could
    not tell what the figures meant. The card says it in words, each share of the score in %; the API's
    explanations keep the ranking's terms for those who tune it."""
    use_key(browser, site, None)
    search(browser, NEED, town="Wels", km="60")
    shown = card(browser, VENDOR)
    details = browser.find_element(By.CSS_SELECTOR, f'#results [data-partner="{VENDOR}"] .reasons').text
    for term in ("role fit", "similarity", "whole texts", "the text search", "proximity", " = "):
        assert term not in details, f"{term!r} in:\n{details}"
    parts = re.search(r"Score (\d\.\d\d), made of: ((?:\d+% [^,]+(?:, |$))+)", details, re.MULTILINE)
    assert parts, details
    shares = [int(p) for p in re.findall(r"(\d+)% ", parts[2])]
    assert sum(shares) in (99, 100, 101), parts[2]  # shares of the score, each rounded
    assert "% how well what they offer fits what is sought" in parts[2]
    assert re.search(r"Your words “.+” are (very much|much|somewhat|only a little) like theirs", details)
    assert re.search(r"What they offer fits your words \d+%: a real fit", details), details
    vendor = "They are a technology or service vendor: a kind of partner that suits you well (100% fit)"
    assert vendor in details
    assert "Found among" in details and "organizations whose descriptions match your words" in details
    assert "km away" in shown
    query = "query($need: String) { partnerSuggestions(need: $need) { explanation partner { id } } }"
    answer = httpx.post(
        f"{site.url}/graphql",
        json={"query": query, "variables": {"need": NEED}},
        headers={"Authorization": f"Bearer {site.keys['food_manager'].secret}"},
        timeout=60,
    ).json()
    api = [s for s in answer["data"]["partnerSuggestions"] if s["partner"]["id"] == VENDOR]
    assert api and "role fit for a" in " ".join(api[0]["explanation"]), answer
    # a manager reading a member's cards reads of the member: "suits it", never "what it look for"
    headers = {"Authorization": f"Bearer {site.keys['food_manager'].secret}"}
    manager = httpx.get(
        f"{site.url}/web/suggestions", params={"organization": BAKERY}, headers=headers, timeout=60
    ).text
    assert "a kind of partner that suits it" in manager and "what it look" not in manager, manager


def test_the_header_names_the_key_and_console_in_plain_words(site: Site, browser: WebDriver) -> None:
    """The header said "API key" and "GraphiQL": words of programmers, over a page for bakery owners and
    cluster managers. It says "Access key" and "Query console for developers"; the field's id and the
    console's address stay."""
    use_key(browser, site, None)
    header = browser.find_element(By.CSS_SELECTOR, "header.top").text
    assert "API" not in header and "GraphiQL" not in header, header
    assert browser.find_element(By.ID, "api-key").accessible_name == "Access key"
    console = browser.find_element(By.LINK_TEXT, "Query console for developers")
    assert console.get_attribute("href") == f"{site.url}/graphql"
    use_key(browser, site, None, f"/organizations/{BAKERY}")
    wait_for_text(browser, "#organization", "Enter your access key above")


def test_a_guests_card_names_no_link_to_a_page_that_asks_for_a_key(site: Site, browser: WebDriver) -> None:
    """Each card's name linked to the partner's page, which answers a guest "Enter your API key above to see
    organizations' profiles": every link a guest could follow led to a refusal. A member's still link."""
    use_key(browser, site, None)
    search(browser, NEED)
    wait_for_text(browser, "#results", "partners for")
    assert "open each partner's page" in browser.find_element(By.ID, "me").text
    titles = browser.find_elements(By.CSS_SELECTOR, "#results .card h2")
    assert titles and not browser.find_elements(By.CSS_SELECTOR, "#results .card h2 a"), titles[0].text
    use_key(browser, site, site.keys["bakery"])
    search(browser, NEED)
    wait_for_text(browser, "#results", "partners for")
    links = browser.find_elements(By.CSS_SELECTOR, "#results .card h2 a")
    assert len(links) == len(browser.find_elements(By.CSS_SELECTOR, "#results .card h2")), links


def test_the_score_has_a_stated_scale_and_a_weak_best_match_is_said(site: Site, browser: WebDriver) -> None:
    """A need that nothing in the graph meets filled ten cards scored about 0.30 (kind of partner and distance
    alone) with no hint that none of them fits, and no card said what a score of 0.30 means."""
    use_key(browser, site, None)
    search(browser, "purple elephants dancing on the moon", town="Wels")
    wait_for_text(browser, "#results", "partners for")
    assert browser.find_elements(By.CSS_SELECTOR, "#results .card")
    weak = browser.find_element(By.ID, "weak-match").text
    assert weak.startswith("No strong match.") and "Try other words" in weak, weak
    scale = browser.find_element(By.ID, "score-scale").text
    assert "runs from 0 to 1" in scale and "0.5 and more" in scale, scale
    search(browser, NEED, town="Wels")
    wait_for_text(browser, "#results", "partners for “We want AI-based")
    assert "runs from 0 to 1" in browser.find_element(By.ID, "score-scale").text
    assert not browser.find_elements(By.ID, "weak-match")  # a need the graph meets gets no hint


def test_a_card_scoring_more_than_one_above_it_is_explained(site: Site, browser: WebDriver) -> None:
    """The summary said "best first" over cards scored 0.69, 0.53, 0.51, 0.51, 0.47, 0.47, 0.48, 0.46,
    0.52, 0.42: the ranking moves a partner much like a card above it down (for variety), and nothing on
    the page said so."""
    use_key(browser, site, None, "/?need=AI-based+quality+control+for+our+bakery+line&town=Wels&km=50")
    wait_for_text(browser, "#results", "partners for")
    metas = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#results .card .meta")]
    scores = [float(re.findall(r"score (\d\.\d\d)", meta)[0]) for meta in metas]
    assert scores != sorted(scores, reverse=True), f"the demo's search no longer moves a card down: {scores}"
    scale = browser.find_element(By.ID, "score-scale").text
    assert "a card may score more than one above it" in scale, scale


def test_a_filter_by_kind_of_partner_holds_on_every_card(site: Site, browser: WebDriver) -> None:
    use_key(browser, site, None)
    browser.find_element(By.CSS_SELECTOR, '#role option[value="university"]').click()
    search(browser, NEED)
    wait_for_text(browser, "#results", "partners for")
    metas = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#results .card .meta")]
    assert metas and all(m.startswith("University") for m in metas), metas
    browser.find_element(By.CSS_SELECTOR, '#role option[value=""]').click()


def test_a_distance_kind_or_need_the_search_cannot_take_is_said_in_words(site: Site) -> None:
    """The form's field is a number, but the fragment is an address anyone may call: `km=nan` passed the
    check (NaN is not <= 0) and then compared false with every distance, so the page said that no partner
    was found, as if the search had run. Each refusal names the field by its label and is tied to it."""
    for km in ("nan", "NaN", "inf", "-inf", "1e400", "0", "ten"):
        response = httpx.get(
            f"{site.url}/web/suggestions", params={"need": NEED, "town": "Wels", "km": km}, timeout=60
        )
        assert response.status_code == 400, (km, response.text)
        assert "“Within km” must be" in response.text and "No partner found" not in response.text, km
        assert 'data-field="km"' in response.text, km
    # the kind of partner is a list on the page; an address can name any
    kind = httpx.get(f"{site.url}/web/suggestions", params={"need": NEED, "role": "spaceship"}, timeout=60)
    assert kind.status_code == 400 and "“Kind of partner” has no choice &#39;spaceship&#39;" in kind.text
    assert 'data-field="role"' in kind.text
    long = httpx.get(f"{site.url}/web/suggestions", params={"need": "bread " * 1000}, timeout=60)
    assert long.status_code == 400, long.text  # it was a 500
    assert f"“{LABELS['need']}” holds 5,999 characters; say it in at most 5,000" in long.text
    near = httpx.get(
        f"{site.url}/web/suggestions", params={"need": NEED, "town": "Wels", "km": "60"}, timeout=60
    )
    assert near.status_code == 200 and "km away" in near.text
    # a list joined by commas is one sentence: a need of 4,900 characters quoted on every card
    chunk = httpx.get(f"{site.url}/web/suggestions", params={"need": "Bread, " * 700}, timeout=60)
    assert chunk.status_code == 200 and "Your words" in chunk.text, chunk.text[:300]
    quoted = re.findall(r"Your words</span> “([^”]*)”", chunk.text)
    assert quoted and all(len(q) <= 300 and q.endswith("…") for q in quoted), quoted[:1]


def test_a_region_the_form_does_not_offer_is_refused_naming_its_field(site: Site) -> None:
    """An address's region that no organization is in ran the search, and the page said "No partner found",
    as if the region held none, hiding the mistyped address."""
    unknown = httpx.get(f"{site.url}/web/suggestions", params={"need": NEED, "region": "XX"}, timeout=60)
    assert unknown.status_code == 400, unknown.text
    assert "“Region” has no choice &#39;XX&#39;; choose one from its list, or Anywhere" in unknown.text
    assert 'data-field="region"' in unknown.text and "No partner found" not in unknown.text
    for region in ("AT/upper-austria", "Upper Austria"):  # by id, as the form sends it, or by name
        known = httpx.get(f"{site.url}/web/suggestions", params={"need": NEED, "region": region}, timeout=60)
        assert known.status_code == 200 and "10 partners for" in known.text, (region, known.text[:300])


def test_a_wrong_key_is_said_to_be_refused_in_words_not_as_in_use(site: Site, browser: WebDriver) -> None:
    """The header said "A key is in use in this tab." while the panel below showed the API's "unknown or
    revoked API key": a person could not tell that the key they typed was the problem, nor what to do."""
    browser.get(site.url + "/")
    browser.find_element(By.ID, "api-key").send_keys("ckg_mistyped")
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    wait_for_text(browser, "#key-status", "This key was not accepted")
    wait_for_text(browser, "#me", "press Forget key to search as a guest")
    assert "revoked API key" not in browser.find_element(By.ID, "me").text
    use_key(browser, site, None)


def test_a_need_too_long_is_said_for_the_person_at_the_form(site: Site, browser: WebDriver) -> None:
    """A shared search address can carry more than the form's field takes; the answer spoke of "`need`", and
    then of "Your need", naming the field by no label as every other refusal does."""
    use_key(browser, site, None)
    assert browser.find_element(By.ID, "need").get_attribute("maxlength") == "5000"
    browser.get(f"{site.url}/?need={'bread%20' * 1000}")
    wait_for_text(browser, "#results", "holds 5,999 characters; say it in at most 5,000")
    label = browser.find_element(By.CSS_SELECTOR, "label[for=need]").text
    error = browser.find_element(By.CSS_SELECTOR, "#results .error")
    assert error.text.startswith(f"“{label}” holds 5,999 characters") and "`need`" not in error.text
    assert browser.find_element(By.ID, "need").get_attribute("aria-invalid") == "true"


def test_a_mistyped_address_is_a_page_with_a_way_back(site: Site, browser: WebDriver) -> None:
    """A browser showed FastAPI's `{"detail":"Not Found"}`; programs still get that JSON."""
    browser.get(site.url + "/organisations/FN100000a")
    wait_for_text(browser, "main", "There is no page at this address")
    browser.find_element(By.LINK_TEXT, "Go to the partner search").click()
    wait_for_text(browser, "h1", "Find partners")
    program = httpx.get(site.url + "/organisations/FN100000a", timeout=60)
    assert program.status_code == 404 and program.json() == {"detail": "Not Found"}


def test_a_message_of_the_api_starts_with_a_capital_on_the_page_and_not_in_the_api(
    site: Site, browser: WebDriver
) -> None:
    """The pages showed the API's messages as the API words them, "no organization with id …", a sentence
    of its own starting in lower case."""
    key = site.keys["bakery"]
    use_key(browser, site, key, "/organizations/NO-SUCH-ID")
    wait_for_text(browser, "#organization .error", "No organization with id 'NO-SUCH-ID'")
    answer = httpx.post(
        f"{site.url}/graphql",
        json={"query": '{ organization(id: "NO-SUCH-ID") { id } }'},
        headers={"Authorization": f"Bearer {key.secret}"},
        timeout=WAIT_SECONDS,
    )
    assert answer.json()["errors"][0]["message"] == "no organization with id 'NO-SUCH-ID'", answer.text


def test_a_member_accepts_a_suggestion_and_the_graph_has_the_feedback(site: Site, browser: WebDriver) -> None:
    use_key(browser, site, site.keys["bakery"])
    wait_for_text(browser, "#me", "Member key for")
    search(browser, NEED)
    card(browser, VENDOR)
    # what the buttons do is said before they are pressed (it was said only after: "Accepted: recorded.")
    told = browser.find_element(By.ID, "answer-help").text
    assert "a declined partner is not suggested again" in told and "Accept" in told, told
    browser.find_element(By.CSS_SELECTOR, f'[data-partner="{VENDOR}"] [data-answer="accept"]').click()
    wait_for_text(browser, f'[data-partner="{VENDOR}"] .answer-status', "Accepted")
    rows = site.graph.run(FEEDBACK, seeker=BAKERY, partner=VENDOR)
    assert rows == [{"accepted": True, "by": f"api-key:{site.keys['bakery'].id}"}]


def test_a_private_need_never_appears_on_another_keys_pages(site: Site, browser: WebDriver) -> None:
    use_key(browser, site, site.keys["bakery"])
    wait_for_text(browser, "#me", "Member key for")
    need = browser.find_element(By.ID, "own-need")
    need.clear()
    need.send_keys(PRIVATE_NEED)
    browser.find_element(By.CSS_SELECTOR, '#need-form input[value="PRIVATE"]').click()
    browser.find_element(By.CSS_SELECTOR, "#need-form button[type=submit]").click()
    wait_for_text(browser, "#need-status", "Saved")
    browser.get(f"{site.url}/organizations/{BAKERY}")  # the bakery itself reads its private need
    wait_for_text(browser, "#organization", PRIVATE_NEED)

    for key in (site.keys["dairy"], None):
        use_key(browser, site, key)
        search(browser, "a fermentation sensor for our sourdough starter")
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#results .summary, #results .error")
        )
        assert "quietly" not in browser.page_source
        browser.get(f"{site.url}/organizations/{BAKERY}")
        wait_for_text(browser, "#organization", "Bäckerei" if key else "Enter your access key")
        assert "quietly" not in browser.page_source


def test_the_organization_page_shows_profile_partners_clusters_and_suggests(
    site: Site, browser: WebDriver
) -> None:
    use_key(browser, site, site.keys["food_manager"], f"/organizations/{BAKERY}")
    wait_for_text(browser, "#organization", "Partners")
    page = browser.find_element(By.ID, "organization").text
    assert "Bäckerei Brandstetter" in page and "Upper Austria Food Cluster" in page
    browser.find_element(By.CSS_SELECTOR, "[data-load]").click()  # the food cluster's manager may ask
    wait_for_text(browser, "#organization-suggestions", "partners for")
    assert browser.find_elements(By.CSS_SELECTOR, "#organization-suggestions .card")
    assert not browser.find_elements(By.CSS_SELECTOR, "#organization-suggestions [data-answer]")


SLASHED = Query(
    "test.web_slashed",
    """
    MATCH (b:Organization {id: $bakery})
    MERGE (o:Organization {id: $id}) SET o.name = $name, o.role = 'firm'
    MERGE (b)-[:COLLABORATES_WITH {kind: 'joint_project', since: date('2024-01-01')}]->(o)
    """,
    write=True,
)
UNSLASHED = Query("test.web_unslashed", "MATCH (o:Organization {id: $id}) DETACH DELETE o", write=True)


@pytest.mark.parametrize("slashed", ["AT/FN-7/2", "AT/../FN-8/.."])
def test_an_organization_whose_id_holds_a_slash_has_a_page_its_links_reach(
    site: Site, browser: WebDriver, slashed: str
) -> None:
    """Registry ids such as ``AT/FN-7/2`` hold slashes: the links on the pages kept them (a path's
    separator), and the page's route took one segment, so the link led to a page that was not found. Kept
    as separators, an id's ``..`` segments were resolved by the browser (``AT/../FN-8/..`` led to the home
    page); each id is now one escaped segment."""
    site.graph.run(SLASHED, bakery=BAKERY, id=slashed, name="Schrägstrich Mühle GmbH")
    try:
        use_key(browser, site, site.keys["food_manager"], f"/organizations/{BAKERY}")
        wait_for_text(browser, "#organization", "Schrägstrich Mühle GmbH")
        browser.find_element(By.LINK_TEXT, "Schrägstrich Mühle GmbH").click()
        wait_for_text(browser, "#organization", "Partners")
        page = browser.find_element(By.ID, "organization").text
        assert "Schrägstrich Mühle GmbH" in page and "Bäckerei Brandstetter" in page
    finally:
        site.graph.run(UNSLASHED, id=slashed)


WEBSITE = Query(
    "test.web_website",
    "MATCH (o:Organization {id: $id}) WITH o, o.website AS was SET o.website = $website RETURN was",
    write=True,
)


def test_a_website_is_a_link_to_the_web_and_never_to_a_script(site: Site) -> None:
    """The organization page showed the website as plain text, so a person copied it by hand; a link made of
    any stored text would run a ``javascript:`` website a registry or an upsert wrote."""
    key = site.keys["food_manager"].secret

    def panel() -> str:
        answer = httpx.get(
            f"{site.url}/web/organizations/{BAKERY}", headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        return answer.text

    assert '<a href="https://www.brandstetter-brot.at" rel="noopener noreferrer nofollow">' in panel()
    was = site.graph.run(WEBSITE, id=BAKERY, website="javascript:alert(document.cookie)")[0]["was"]
    try:
        shown = panel()
        assert "javascript:alert(document.cookie)" in shown and 'href="javascript:' not in shown, shown
    finally:
        site.graph.run(WEBSITE, id=BAKERY, website=was)


def test_graphiql_keeps_the_api_key_for_no_one_after(site: Site, browser: WebDriver) -> None:
    """A key typed into GraphiQL's headers answers the queries of that page and is not kept in the
    browser's localStorage for whoever opens it next (strawberry's page asked GraphiQL to keep headers)."""
    secret = site.keys["food_manager"].secret
    browser.get(f"{site.url}/graphql")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".CodeMirror"))
    browser.find_element(By.XPATH, "//button[normalize-space()='Headers']").click()
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(
            "var e = document.querySelectorAll('.graphiql-editor-tool .CodeMirror');"
            "return e.length && e[e.length - 1].CodeMirror ? true : false;"
        )
    )
    browser.execute_script(
        "var e = document.querySelectorAll('.graphiql-editor-tool .CodeMirror');"
        "e[e.length - 1].CodeMirror.setValue(arguments[0]);",
        '{"Authorization": "Bearer ' + secret + '"}',
    )
    time.sleep(1.0)  # GraphiQL writes its storage on change, debounced
    kept = browser.execute_script(
        "var all = {}; for (var i = 0; i < localStorage.length; i++) {"
        " var k = localStorage.key(i); all[k] = localStorage.getItem(k); } return all;"
    )
    assert kept, "GraphiQL kept nothing at all: the page did not run"
    assert not any(secret in str(value) for value in kept.values()), kept


def test_graphiql_renders_with_the_network_off(site: Site) -> None:
    """GraphiQL loads every file from the app with the network off, and names its language (strawberry's
    page named none, so a screen reader guessed it)."""
    for driver in chromium("--proxy-server=127.0.0.1:9"):
        driver.get(f"{site.url}/graphql")
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-editors, .graphiql-query-editor")
        )
        time.sleep(0.5)
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        )
        assert loaded and all(url.startswith(site.url) for url in loaded), loaded
        assert "Loading..." not in driver.find_element(By.ID, "graphiql").text
        assert driver.execute_script("return document.documentElement.lang") == "en"


def test_graphiql_fits_a_phone(site: Site) -> None:
    """Strawberry's GraphiQL page names no viewport, so a phone laid it out 980 px wide and shrank it to a
    third; the query and its answer stood side by side, a few letters wide each."""
    for driver in chromium():
        as_phone(driver)
        driver.get(f"{site.url}/graphql")
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-editors, .graphiql-response")
        )
        assert driver.execute_script("return innerWidth") == PHONE_WIDTH
        assert driver.execute_script("return document.documentElement.scrollWidth") == PHONE_WIDTH
        widths = driver.execute_script(
            "return ['.graphiql-editors', '.graphiql-response']"
            ".map(s => document.querySelector(s).getBoundingClientRect().width)"
        )
        assert all(width > PHONE_WIDTH / 2 for width in widths), widths
