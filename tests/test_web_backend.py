"""The pages when their database is gone or hangs, in a real browser: the real app served under uvicorn with
its Neo4j address pointing where no server listens (a stopped Neo4j, as the driver meets it)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from api.web.pages import CHOICES_WAIT_SECONDS
from graph.server import free_port
from schema.settings import Settings
from tests.utils.web import run_app, wait_for_text

NEED = "cameras that spot burnt loaves on our bakery line"
OPERATOR_WORDS = ("bolt://", "NEO4J_URI", "clusterkg neo4j start", "query ", '{"')


def stopped(settings: Settings, **limits: float) -> Iterator[str]:
    """The app with no Neo4j at its address, under ``limits`` (settings' fields)."""
    gone = settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}", **limits})
    with run_app(gone) as url:
        yield url


@pytest.fixture(scope="module")
def down(neo4j_settings: Settings) -> Iterator[str]:
    """Neo4j stopped: a query finds no server within the API's retries (0.5 s here)."""
    yield from stopped(neo4j_settings, api_graph_retry_seconds=0.5)


@pytest.fixture(scope="module")
def down_by_default(neo4j_settings: Settings) -> Iterator[str]:
    """Neo4j stopped, under the API's own retries (``api_graph_retry_seconds``, 2 s: 1.6 s of pauses)."""
    yield from stopped(neo4j_settings)


@pytest.fixture(scope="module")
def down_under_load(neo4j_settings: Settings) -> Iterator[str]:
    """Neo4j stopped, with the driver's retries (3.2 s of pauses) outlasting the 2 s the search page waits for
    its towns, as the default retries do on a loaded machine."""
    yield from stopped(neo4j_settings, api_graph_retry_seconds=4.0)


@pytest.fixture(scope="module")
def hanging(neo4j_settings: Settings) -> Iterator[str]:
    """A database that does not answer within a request's time: the driver retries (30 s) past the request's
    limit (4 s), so the server's own limit answers."""
    yield from stopped(neo4j_settings, api_graph_retry_seconds=30.0, api_request_timeout=4.0)


def search(browser: WebDriver, url: str) -> str:
    browser.get(url + "/")
    browser.find_element(By.ID, "need").send_keys(NEED)
    browser.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    wait_for_text(browser, "#results", "Please try again in a few minutes")
    return str(browser.find_element(By.ID, "results").text)


def test_with_neo4j_stopped_the_search_page_opens_and_says_so_in_words(down: str, browser: WebDriver) -> None:
    """The search page answered the API's JSON ({"data":null,"errors":[...]}) with status 503, and a search
    or an organization page showed the operator's message: the server's bolt address, the failed query's
    name and the command that starts Neo4j."""
    browser.get(down + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Find partners"
    notice = browser.find_element(By.ID, "unavailable").text
    assert "cannot reach their database" in notice, notice
    shown = search(browser, down)
    assert "cannot reach their database" in shown, shown
    browser.get(down + "/organizations/FN100000a")
    wait_for_text(browser, "#organization", "Please try again")
    page = str(browser.find_element(By.TAG_NAME, "body").text)
    for words in OPERATOR_WORDS:
        assert words not in page + shown + notice, (words, page, shown, notice)


def test_a_database_that_hangs_is_said_in_words_not_as_json(hanging: str, browser: WebDriver) -> None:
    """The search page waited for its choices until the request's limit and answered JSON; a search showed
    the limit's JSON answer as text."""
    browser.get(hanging + "/")
    assert "slow to answer" in browser.find_element(By.ID, "unavailable").text
    shown = search(browser, hanging)
    assert "took too long to answer" in shown and "{" not in shown, shown


@pytest.fixture
def hanging_afresh(neo4j_settings: Settings) -> Iterator[str]:
    """A database that no request has yet waited for (the driver's verdict marks it gone, and pages then
    say so at once), whose retries (6 s) outlast the 2 s a page waits for the form's choices."""
    yield from stopped(neo4j_settings, api_graph_retry_seconds=6.0, api_request_timeout=4.0)


def test_a_region_the_hanging_database_cannot_check_is_said_in_words(hanging_afresh: str) -> None:
    """A search limited to a region waits for the form's choices to check it; a database that hangs must
    not turn that wait into the server's error."""
    params = {"need": NEED, "region": "AT/upper-austria"}
    answer = httpx.get(hanging_afresh + "/web/suggestions", params=params, timeout=60)
    assert answer.status_code == 504, answer.text
    assert "the region could not be checked, so the search did not run" in answer.text, answer.text


def test_once_neo4j_is_known_down_the_search_page_answers_at_once(
    down_by_default: str, browser: WebDriver
) -> None:
    """Every load of the search page asked Neo4j for its towns again and waited out the driver's retries,
    1.6 s, before it said that the database is gone, while the other pages answered at once."""
    # A search finds Neo4j gone after the retries (the first load of the search page may give up on its
    # towns first, after CHOICES_WAIT_SECONDS, on a busy machine).
    assert "cannot reach their database" in search(browser, down_by_default)
    for _ in range(3):
        browser.get(down_by_default + "/")
        assert "cannot reach their database" in browser.find_element(By.ID, "unavailable").text
        answered = browser.execute_script(
            "const t = performance.getEntriesByType('navigation')[0]; return t.responseEnd - t.requestStart"
        )
        assert answered < 1000, f"the search page took {answered:.0f} ms to answer"


def answered_ms(browser: WebDriver) -> float:
    """How long the page just loaded took to answer, from its request to the end of its response."""
    return float(
        browser.execute_script(
            "const t = performance.getEntriesByType('navigation')[0]; return t.responseEnd - t.requestStart"
        )
    )


def test_a_search_page_that_gave_up_on_its_towns_keeps_no_one_waiting_after(
    down_under_load: str, browser: WebDriver
) -> None:
    """On a loaded machine the driver's retries outlast the 2 s the search page waits for its towns: the
    page said that the database is slow, its read was dropped before the driver found Neo4j gone, and every
    load after it waited the 2 s again, each one starting a read that found nothing out either."""
    browser.get(down_under_load + "/")
    assert "slow to answer" in browser.find_element(By.ID, "unavailable").text
    assert answered_ms(browser) >= CHOICES_WAIT_SECONDS * 1000 * 0.9  # the retries outlasted the wait
    said = []
    deadline = time.monotonic() + 30
    while "cannot reach their database" not in said[-1:] and time.monotonic() < deadline:
        browser.get(down_under_load + "/")
        notice = browser.find_element(By.ID, "unavailable").text
        said.append("cannot reach their database" if "cannot reach their database" in notice else notice)
        answered = answered_ms(browser)
        assert answered < 1000, f"load {len(said) + 1} of the search page took {answered:.0f} ms: {said}"
        time.sleep(0.2)
    # the read the first load gave up on went on to the driver's verdict: Neo4j is known gone
    assert said[-1] == "cannot reach their database", said
