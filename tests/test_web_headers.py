"""The security headers on every kind of answer, and every page at work under its Content-Security-Policy in
a real browser (Debian Chromium, headless) with no violation of it, on the demo region served by the real API
(``tests/utils/web.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

import ingest
from graph.query import Query
from tests.utils.web import BAKERY, WAIT_SECONDS, Site, use_key, wait_for_text

NEED = "cameras above the conveyor that spot burnt or misshapen loaves before packaging"
WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolations.push(e.effectiveDirective + " " + (e.blockedURI || "inline") + ": " + e.sample);
});
"""
"""Run before any script of each page (through the DevTools protocol, which the policy does not govern)."""
FIXED = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


@pytest.fixture(scope="module")
def watched(browser: WebDriver) -> Iterator[WebDriver]:
    """The module's browser, recording each Content-Security-Policy violation of every page it opens."""
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    browser.get_log("browser")  # drop what earlier pages logged
    yield browser


def violations(driver: WebDriver) -> list[str]:
    """The violations the open page reported, as events and as console messages."""
    events = driver.execute_script("return window.cspViolations || null;")
    assert events is not None, "the violation watch did not run on this page"
    logged = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    return [*events, *logged]


def directives(policy: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in policy.split(";"))}


def test_every_kind_of_answer_carries_the_security_headers(site: Site) -> None:
    """Pages, fragments, static files, GraphiQL, JSON and the not-found page carried none of them."""
    key = {"Authorization": f"Bearer {site.keys['food_manager'].secret}"}
    html = {"Accept": "text/html"}
    answers = {
        "search page": httpx.get(f"{site.url}/", timeout=WAIT_SECONDS),
        "organization page": httpx.get(f"{site.url}/organizations/{BAKERY}", timeout=WAIT_SECONDS),
        "dashboard page": httpx.get(f"{site.url}/clusters/FOOD", timeout=WAIT_SECONDS),
        "fragment": httpx.get(f"{site.url}/web/organizations/{BAKERY}", headers=key, timeout=WAIT_SECONDS),
        "static file": httpx.get(f"{site.url}/static/app.js", timeout=WAIT_SECONDS),
        "GraphiQL": httpx.get(f"{site.url}/graphql", headers=html, timeout=WAIT_SECONDS),
        "GraphQL JSON": httpx.post(
            f"{site.url}/graphql", json={"query": "{ __typename }"}, timeout=WAIT_SECONDS
        ),
        "GraphQL body too large (413)": httpx.post(
            f"{site.url}/graphql", content=b"x" * 200_000, timeout=WAIT_SECONDS
        ),
        "not-found page": httpx.get(f"{site.url}/nowhere", headers=html, timeout=WAIT_SECONDS),
        "health": httpx.get(f"{site.url}/healthz", timeout=WAIT_SECONDS),
    }
    for kind, answer in answers.items():
        assert {name: answer.headers.get(name) for name in FIXED} == FIXED, kind
        policy = directives(answer.headers.get("content-security-policy", ""))
        assert policy.get("default-src") == "'self'" and policy.get("frame-ancestors") == "'none'", kind
        for directive in ("script-src", "style-src", "connect-src"):
            assert policy.get(directive, "").startswith("'self'"), (kind, directive)
            assert "unsafe" not in policy[directive] and "http" not in policy[directive], (kind, directive)
        on_graphql = kind.startswith("Graph")  # GraphiQL's stylesheet holds data: images; /graphql's policy
        assert policy.get("img-src") == ("'self' data:" if on_graphql else "'self'"), kind
    docs = httpx.get(f"{site.url}/docs", timeout=WAIT_SECONDS)  # Swagger UI, vendored: nothing from elsewhere
    assert docs.status_code == 200 and {name: docs.headers.get(name) for name in FIXED} == FIXED
    assert "https://" not in docs.text and "http://" not in docs.text, docs.text
    docs_policy = directives(docs.headers["content-security-policy"])
    assert docs_policy["frame-ancestors"] == "'none'"
    assert docs_policy["script-src"].startswith("'self' 'sha256-")
    assert not any("unsafe" in v or "http" in v for v in docs_policy.values()), docs_policy
    graphiql = directives(answers["GraphiQL"].headers["content-security-policy"])
    assert graphiql["script-src"].startswith("'self' 'sha256-"), graphiql  # its inline script, by hash
    assert answers["GraphiQL"].status_code == 200 and "<script>" in answers["GraphiQL"].text


def test_the_pages_work_under_their_policy_with_no_violation(site: Site, watched: WebDriver) -> None:
    """Search, organization, dashboard with its network, and GraphiQL, each used as a person would."""
    use_key(watched, site, None)
    field = watched.find_element(By.ID, "need")
    field.clear()
    field.send_keys(NEED)
    watched.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    wait_for_text(watched, "#results", "partners for")
    assert watched.find_elements(By.CSS_SELECTOR, "#results .card")
    assert violations(watched) == []

    use_key(watched, site, site.keys["food_manager"], f"/organizations/{BAKERY}")
    wait_for_text(watched, "#organization", "Partners")
    watched.find_element(By.CSS_SELECTOR, "[data-load]").click()
    wait_for_text(watched, "#organization-suggestions", "partners for")
    assert violations(watched) == []

    watched.get(f"{site.url}/clusters/FOOD")
    wait_for_text(watched, "#dashboard", "Member network")
    assert len(watched.find_elements(By.CSS_SELECTOR, ".legend li")) >= 4
    watched.find_element(By.ID, "members-filter").send_keys("broker")
    wait_for_text(watched, "#members-count", "shown")
    watched.find_element(By.CSS_SELECTOR, "#gaps button[data-load]").click()
    WebDriverWait(watched, WAIT_SECONDS).until(
        lambda d: "not searched yet" not in d.find_element(By.ID, "gaps").text
    )
    assert violations(watched) == []
    node = watched.find_element(By.CSS_SELECTOR, "svg.network a")
    watched.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", node)
    wait_for_text(watched, "#organization", "Partners")
    assert violations(watched) == []


def test_graphiql_answers_a_query_under_its_policy_with_no_violation(site: Site, watched: WebDriver) -> None:
    """Strawberry's page runs an inline script and style: without their hashes in the policy it stays at
    "Loading...", and its stylesheet's fonts and marks are ``data:`` URLs."""
    headers = json.dumps({"Authorization": f"Bearer {site.keys['food_manager'].secret}"})
    query = f'{{ organization(id: "{BAKERY}") {{ name }} }}'
    watched.get(f"{site.url}/graphql?{urlencode({'q': query, 'headers': headers}, quote_via=quote)}")
    WebDriverWait(watched, WAIT_SECONDS).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-execute-button")
    )
    watched.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait_for_text(watched, ".graphiql-response", "Bäckerei Brandstetter")
    assert violations(watched) == []


def test_the_policy_is_in_force_in_the_browser(site: Site, watched: WebDriver) -> None:
    """An inline handler written into a page (what an injection would write) is refused and reported."""
    use_key(watched, site, None)
    ran = watched.execute_async_script(
        "var done = arguments[0];"
        "document.getElementById('results').innerHTML ="
        '  \'<img src="/static/none.png" onerror="window.injected = true">\';'
        "setTimeout(function () { done(window.injected === true); }, 1000);"
    )
    assert ran is False
    assert any("script-src" in v for v in violations(watched))


def test_swagger_ui_runs_from_the_app_alone_under_its_policy(site: Site, watched: WebDriver) -> None:
    """FastAPI's page loads Swagger UI from a CDN: with no internet it stays blank, and its policy had to
    allow the CDN and any inline script."""
    watched.get(f"{site.url}/docs")
    wait_for_text(watched, "#swagger-ui", "/healthz")
    loaded = watched.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
    )
    assert loaded and all(url.startswith(site.url) for url in loaded), loaded
    assert violations(watched) == []


FORGET_SPOOF = Query(
    "test.web.forget_spoof", "MATCH (o:Organization {id: 'BIDI-1'}) DETACH DELETE o", write=True
)


def test_a_name_turning_the_text_direction_shows_the_control_as_its_code(site: Site, tmp_path: Path) -> None:
    """U+202E (right-to-left override) in a name would show the rest of its line reversed on every page that
    names the organization; the pages show the control as its code, while a form gives back what was typed."""
    registry = tmp_path / "organizations.csv"
    registry.write_text("id,name,role,city\nBIDI-1,Safe Supplies GmbH\u202e 99.0 erocs,vendor,Wels\n", "utf8")
    ingest.load(site.graph, [registry])
    try:
        key = {"Authorization": f"Bearer {site.keys['food_manager'].secret}"}
        page = httpx.get(f"{site.url}/web/organizations/BIDI-1", headers=key, timeout=WAIT_SECONDS)
        assert page.status_code == 200, page.text[:300]
        assert "Safe Supplies GmbH[U+202E] 99.0 erocs" in page.text and "\u202e" not in page.text
        typed = httpx.get(f"{site.url}/", params={"need": "bread\u202e ovens"}, timeout=WAIT_SECONDS)
        assert typed.status_code == 200 and "bread\u202e ovens</textarea>" in typed.text
    finally:
        site.graph.run(FORGET_SPOOF)
