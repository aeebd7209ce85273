"""The cluster dashboard and the shared report in a real browser (Debian Chromium, headless), on the demo
region served by the real API (``tests/utils/web.py``)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote

import httpx
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from typer.testing import CliRunner

from api.cli import app
from api.web.dashboard import BROKER_ROLES, STAGE_WORDS
from api.web.render import ROLE_WORDS, name_key
from graph.query import Query
from matching.insights import cluster_insights
from schema.days import latest_day
from schema.settings import Settings
from tests.utils.web import (
    PHONE_WIDTH,
    WAIT_SECONDS,
    Site,
    as_phone,
    chromium,
    use_key,
    wait_for_text,
)

CLUSTER = "FOOD"
BROKER = "TechTransfer Upper Austria"
"""The food cluster's best broker on the demo region: the regional technology-transfer agency."""


def test_the_dashboard_shows_the_known_broker_and_isolate(site: Site, browser: WebDriver) -> None:
    insights = cluster_insights(site.graph, CLUSTER, suppliers=0)
    assert insights.brokers[0].name == BROKER and insights.isolates, "the demo's food cluster changed"
    isolate = insights.isolates[0]
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    brokers = browser.find_element(By.ID, "brokers").text
    assert brokers.splitlines()[1].startswith(BROKER), brokers
    assert isolate.name in browser.find_element(By.CSS_SELECTOR, "#dashboard").text
    drawn = browser.find_element(By.CSS_SELECTOR, f'svg.network .node[data-id="{isolate.id}"]')
    assert "isolate" in (drawn.get_attribute("class") or "")
    broker = insights.brokers[0].id
    assert "broker" in (
        browser.find_element(By.CSS_SELECTOR, f'.node[data-id="{broker}"]').get_attribute("class") or ""
    )
    rows = browser.find_elements(By.CSS_SELECTOR, "#members tbody tr")
    assert len(rows) == insights.members
    browser.find_element(By.ID, "members-filter").send_keys("isolate")
    shown = [row.text for row in rows if row.is_displayed()]
    assert len(shown) == len(insights.isolates) and any(isolate.name in row for row in shown), shown


def test_the_periphery_is_explained_in_words_not_graph_theory(site: Site, browser: WebDriver) -> None:
    """The dashboard printed the API's rule ("outside the network's 2-core (coreness 1 …) … k-core (k =
    core.k)"), which no cluster manager can read."""
    insights = cluster_insights(site.graph, CLUSTER, suppliers=0)
    assert insights.peripheral, "the demo's food cluster has no periphery any more"
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#periphery", "losing one tie cuts them off")
    shown = browser.find_element(By.ID, "periphery").text
    assert "2-core" not in shown and "coreness" not in shown, shown
    assert insights.peripheral[0].name in shown


def test_the_trend_compares_with_the_date_the_manager_chose(site: Site, browser: WebDriver) -> None:
    then = cluster_insights(site.graph, CLUSTER, as_of=dt.date(2016, 1, 1), suppliers=0)
    now = cluster_insights(site.graph, CLUSTER, suppliers=0)
    assert then.members < now.members, "the demo's food cluster grew since 2016"
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}?since=2016-01-01")
    wait_for_text(browser, "#trend", "2016-01-01")
    members = browser.find_element(By.CSS_SELECTOR, "#trend tbody tr").text
    assert members == f"Members {then.members} {now.members} +{now.members - then.members}", members


def test_the_trend_shows_each_figure_as_its_key_figure_does(site: Site, browser: WebDriver) -> None:
    """The trend printed openness as 0.297 under a key figure of "30 %", and density as 0.0302 under
    0.030: a manager comparing the two read different numbers for one figure."""
    then = cluster_insights(site.graph, CLUSTER, as_of=dt.date(2016, 1, 1), suppliers=0)
    now = cluster_insights(site.graph, CLUSTER, suppliers=0)
    assert round(100 * then.external_share) != round(100 * now.external_share), "openness did not change"
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}?since=2016-01-01")
    wait_for_text(browser, "#trend", "2016-01-01")
    rows = {
        row.text.split(" ", 1)[0]: row.text for row in browser.find_elements(By.CSS_SELECTOR, "#trend tr")
    }
    points = round(100 * now.external_share) - round(100 * then.external_share)  # as the two shown differ
    assert rows["Openness"] == (
        f"Openness (share of ties leaving the cluster) {100 * then.external_share:.0f} % "
        f"{100 * now.external_share:.0f} % {points:+d} points"
    ), rows["Openness"]
    assert rows["Density"].startswith(f"Density {then.density:.3f} {now.density:.3f} "), rows["Density"]
    cards = browser.find_element(By.CSS_SELECTOR, "[aria-label='Key figures']").text
    assert f"{100 * now.external_share:.0f} %\nopenness" in cards and f"{now.density:.3f}\ndensity" in cards


def test_a_date_the_trend_cannot_use_is_said_beside_its_field_and_the_dashboard_stays(
    site: Site, browser: WebDriver
) -> None:
    """A malformed date, or one after today (2029 typed for 2019, which would draw the cluster as it is now
    and say "no change" on every line), replaced the whole dashboard with one sentence."""
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#trend", "Members")
    # The field offers each day the trend takes: a browser at UTC+14 may pick its today.
    assert browser.find_element(By.ID, "since").get_attribute("max") == latest_day().isoformat()
    default = browser.find_element(By.CSS_SELECTOR, "#trend thead").text
    later = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    for since, said in (
        ("2016-13-01", "The date to compare with must read YYYY-MM-DD, not '2016-13-01'"),
        (later, f"The date to compare with must be today or earlier, not {later}"),
    ):
        browser.get(f"{site.url}/clusters/{CLUSTER}?since={since}")
        wait_for_text(browser, "#since-error", said)
        shown = browser.find_element(By.ID, "dashboard").text
        assert "Member network" in shown and BROKER in shown, shown[:500]
        assert f"Trend since {since}" not in shown
        assert browser.find_element(By.CSS_SELECTOR, "#trend thead").text == default  # the trend it had
        field = browser.find_element(By.ID, "since")
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("aria-describedby") == "since-error"


def test_the_dashboard_refuses_a_member_key(site: Site, browser: WebDriver) -> None:
    """The refusal is said in words: it said "this needs a cluster_manager key", the role's code."""
    use_key(browser, site, site.keys["dairy"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "enter a cluster manager's key above (yours is a member key)")
    assert "cluster_manager" not in browser.find_element(By.ID, "dashboard").text


def contrast(rgb: str, background: str) -> float:
    """WCAG's contrast ratio of two CSS colours as a browser computes them ("rgb(0, 114, 178)")."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(rgb), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_each_kind_of_member_has_a_colour_of_3_to_1_and_a_shape(site: Site, browser: WebDriver) -> None:
    """The network told kinds of member apart by colour alone, and the vendors' orange, the research
    institutes' sky blue and the outside partners' grey stood at 2.0 to 2.3:1 on the white drawing. Each kind
    has a colour of at least 3:1 and a shape of its own, the same in the drawing and in the legend, which
    names it, the shape whole inside its swatch's 14 units; outside partners are hollow."""
    insights = cluster_insights(site.graph, CLUSTER, suppliers=0)
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    drawing = browser.find_element(By.CSS_SELECTOR, "svg.network")
    background = drawing.value_of_css_property("background-color")
    shapes = {}
    for item in browser.find_elements(By.CSS_SELECTOR, ".legend li[data-role]"):
        role, mark = item.get_attribute("data-role"), item.find_element(By.CSS_SELECTOR, ".mark")
        colour = mark.value_of_css_property("stroke" if role == "outside" else "fill")
        assert contrast(colour, background) >= 3, (role, colour, contrast(colour, background))
        shapes[role] = mark.get_attribute("data-shape")
        drawn = browser.execute_script(
            "const b = arguments[0].getBBox(); return [b.x, b.y, b.width, b.height]", mark
        )
        assert drawn[0] >= 0 and drawn[1] >= 0 and drawn[0] + drawn[2] <= 14 and drawn[1] + drawn[3] <= 14, (
            drawn
        )
        assert shapes[role].replace("-", " ") in item.text or role == "outside", item.text
    roles = set(ROLE_WORDS) - {"outside"}
    assert roles <= set(shapes) and len({shapes[r] for r in roles}) == len(roles), shapes
    for node in insights.nodes:
        g = browser.find_element(By.CSS_SELECTOR, f'.network .node[data-id="{node.id}"]')
        mark = g.find_element(By.CSS_SELECTOR, ".mark")
        assert mark.get_attribute("data-shape") == shapes[node.role], (node.name, node.role)
        fill = mark.value_of_css_property("fill")
        if node.outside:  # hollow: a white inside, an outline of 3:1 or more
            assert contrast(fill, background) == 1, (node.name, fill)
            assert contrast(mark.value_of_css_property("stroke"), background) >= 3, node.name
        else:
            assert contrast(fill, background) >= 3, (node.name, fill)


def test_the_members_stand_in_the_order_a_reader_looks_names_up(site: Site, browser: WebDriver) -> None:
    """The Members table sorted by letter code: "Mühlviertler Kräuterhof" before "Mühlviertler Käserei"
    ("r" before "ä"), as "Business" before "Bäckerei". Accents and case do not count (``name_key``)."""
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    names = [
        cell.get_attribute("textContent").strip()
        for cell in browser.find_elements(By.CSS_SELECTOR, "#members tbody tr td:first-child")
    ]
    assert len(names) > 20 and names == sorted(names, key=name_key), names
    dairy, herbs = names.index("Mühlviertler Käserei eGen"), names.index("Mühlviertler Kräuterhof")
    assert dairy < herbs, names
    isolates = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".isolate-name")]
    assert isolates == sorted(isolates, key=name_key), isolates


def test_the_network_links_each_member_to_its_page(site: Site, browser: WebDriver) -> None:
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    link = browser.find_element(By.CSS_SELECTOR, "svg.network a")
    target = link.get_dom_attribute("href")
    assert target.startswith("/organizations/")
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", link)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: "/organizations/" in d.current_url)
    assert browser.current_url == site.url + target
    wait_for_text(browser, "#organization", "Partners")


def test_the_network_is_a_named_group_whose_links_a_keyboard_reaches(site: Site, browser: WebDriver) -> None:
    """The drawing was role="img": assistive technology shows an img as one picture and hides what it
    holds, so the links to the members' pages were neither listed nor named to a screen reader."""
    insights = cluster_insights(site.graph, CLUSTER, suppliers=0)
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    drawing = browser.find_element(By.CSS_SELECTOR, "svg.network")
    assert drawing.aria_role == "group", drawing.aria_role
    assert drawing.accessible_name == f"Member network of {insights.name}", drawing.accessible_name
    # textContent: a <desc> is never drawn, and selenium's text of one inside a scrolling box is empty
    described = browser.find_element(By.ID, drawing.get_attribute("aria-describedby") or "").get_attribute(
        "textContent"
    )
    assert "the Members table below lists every member" in " ".join(described.split()), described
    browser.execute_script("document.querySelector('#stage summary').focus()")  # just before the drawing
    ActionChains(browser).send_keys(Keys.TAB).perform()
    link = browser.switch_to.active_element
    node = link.find_element(By.CSS_SELECTOR, ".node").get_attribute("data-id")
    name = next(n.name for n in insights.nodes if n.id == node)
    assert link.tag_name == "a" and link.aria_role == "link", (link.tag_name, link.aria_role)
    assert link.accessible_name.startswith(name), (link.accessible_name, name)
    # the focused member is marked and named in the drawing as on hover (its link has the focus, not its node)
    node = link.find_element(By.CSS_SELECTOR, ".node")
    circle = node.find_element(By.CSS_SELECTOR, ".mark")
    assert circle.value_of_css_property("stroke-width") == "3px"
    assert node.find_element(By.TAG_NAME, "text").is_displayed()


SLASHED_CLUSTER = Query(
    "test.web_slashed_cluster",
    """
    MATCH (food:Cluster {id: $food})
    CREATE (c:Cluster {id: $id, name: $name, sector: food.sector, region: food.region, stage: food.stage})
    WITH food, c
    CALL { WITH food, c MATCH (m)-[:MANAGES]->(food) CREATE (m)-[:MANAGES]->(c) }
    CALL { WITH food, c MATCH (o)-[r:MEMBER_OF]->(food) CREATE (o)-[n:MEMBER_OF]->(c) SET n = properties(r) }
    """,
    write=True,
)
UNSLASHED_CLUSTER = Query(
    "test.web_unslashed_cluster", "MATCH (c:Cluster {id: $id}) DETACH DELETE c", write=True
)


def test_a_cluster_whose_id_holds_a_slash_has_a_dashboard_and_gaps(site: Site, browser: WebDriver) -> None:
    """Cluster ids such as ``AT/OÖ/FOOD`` hold slashes: the links keep them (a path's separator), and the
    dashboard's routes took one segment, so the pages and fragments of such a cluster were not found."""
    slashed, name = "AT/OÖ/FOOD-2", "Lebensmittel-Cluster Zwei"
    site.graph.run(SLASHED_CLUSTER, food=CLUSTER, id=slashed, name=name)
    try:
        key = site.keys["food_manager"]
        headers = {"Authorization": f"Bearer {key.secret}"}
        for path, shown in (
            (f"/clusters/{slashed}", "/web/clusters/AT%2FO%C3%96%2FFOOD-2"),
            (f"/web/clusters/{slashed}", "Member network"),
            (f"/web/gaps/{slashed}", "Could supply it"),
        ):
            answer = httpx.get(site.url + path, headers=headers, timeout=WAIT_SECONDS)
            assert answer.status_code == 200 and shown in answer.text, (path, answer.status_code, answer.text)
        assert "not searched yet" not in answer.text
        use_key(browser, site, key)
        wait_for_text(browser, "#me", name)
        browser.find_element(By.LINK_TEXT, name).click()
        wait_for_text(browser, "#dashboard", "Member network")
        assert name in browser.find_element(By.CSS_SELECTOR, "#dashboard h1").text
        browser.find_element(By.CSS_SELECTOR, "#gaps button[data-load]").click()
        wait_for_text(browser, "#gaps", "Could supply it")  # "Looking for outside suppliers…" first
    finally:
        site.graph.run(UNSLASHED_CLUSTER, id=slashed)


def test_a_cluster_whose_id_ends_in_gaps_has_its_own_dashboard(site: Site, browser: WebDriver) -> None:
    """The gaps fragment was ``/web/clusters/ID/gaps``, so the dashboard of a cluster ``X/gaps`` was read as
    the gaps of ``X``. Now the gaps are ``/web/gaps/ID``: beside ``X``, ``X/gaps`` has its own dashboard and
    its own gaps, reached from the manager's links."""
    shorter, longer = ("AT/OÖ/FOOD-3", "Lebensmittel-Cluster Drei"), ("AT/OÖ/FOOD-3/gaps", "Lücken-Cluster")
    for cluster_id, name in (shorter, longer):
        site.graph.run(SLASHED_CLUSTER, food=CLUSTER, id=cluster_id, name=name)
    try:
        key = site.keys["food_manager"]
        headers = {"Authorization": f"Bearer {key.secret}"}
        for path, shown in (
            (f"/web/clusters/{longer[0]}", longer[1]),
            (f"/web/clusters/{shorter[0]}", shorter[1]),
            (f"/web/gaps/{longer[0]}", "Could supply it"),
            (f"/web/gaps/{shorter[0]}", "Could supply it"),
        ):
            answer = httpx.get(site.url + path, headers=headers, timeout=WAIT_SECONDS)
            assert answer.status_code == 200 and shown in answer.text, (path, answer.status_code, answer.text)
        for cluster_id, name in (longer, shorter):
            use_key(browser, site, key)
            wait_for_text(browser, "#me", name)
            browser.find_element(By.LINK_TEXT, name).click()
            wait_for_text(browser, "#dashboard", "Member network")
            assert name in browser.find_element(By.CSS_SELECTOR, "#dashboard h1").text
            button = browser.find_element(By.CSS_SELECTOR, "#gaps button[data-load]")
            assert button.get_dom_attribute("data-load").endswith(quote(cluster_id, safe=""))
            button.click()
            wait_for_text(browser, "#gaps", "Could supply it")  # "Looking for outside suppliers…" first
    finally:
        for cluster_id, _ in (shorter, longer):
            site.graph.run(UNSLASHED_CLUSTER, id=cluster_id)


def test_the_report_opens_with_the_network_off(site: Site, neo4j_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    flags = ["--neo4j-uri", neo4j_settings.neo4j_uri, "--neo4j-password", neo4j_settings.neo4j_password]
    result = CliRunner().invoke(app, [*flags, "report", CLUSTER, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
    for driver in chromium("--proxy-server=127.0.0.1:9"):
        driver.get(out.as_uri())
        wait_for_text(driver, "main", "Member network")
        assert driver.find_elements(By.CSS_SELECTOR, "svg.network .node")
        assert BROKER in driver.find_element(By.ID, "brokers").text
        loaded = driver.execute_script("return performance.getEntriesByType('resource').length")
        assert loaded == 0


def test_the_reports_network_holds_no_stop_for_the_keyboard_and_names_each_member(
    site: Site, neo4j_settings: Settings, tmp_path: Path, browser: WebDriver
) -> None:
    """The report's nodes lead nowhere (a file links nowhere), yet each was a Tab stop with no role and no
    name: a keyboard user went through every member of the drawing, one unnamed stop after another."""
    insights = cluster_insights(site.graph, CLUSTER, suppliers=0)
    out = tmp_path / "report.html"
    flags = ["--neo4j-uri", neo4j_settings.neo4j_uri, "--neo4j-password", neo4j_settings.neo4j_password]
    result = CliRunner().invoke(app, [*flags, "report", CLUSTER, "--out", str(out)])
    assert result.exit_code == 0, result.output
    browser.get(out.as_uri())
    wait_for_text(browser, "main", "Member network")
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg.network .node")
    assert len(nodes) == len(insights.nodes)
    assert not browser.find_elements(By.CSS_SELECTOR, "svg.network [tabindex], svg.network a")
    browser.execute_script("document.querySelector('#stage summary').focus()")  # just before the drawing
    ActionChains(browser).send_keys(Keys.TAB).perform()
    after = browser.switch_to.active_element
    assert after.get_attribute("aria-label") == "Brokers table", after.get_attribute("outerHTML")[:200]
    names = {n.id: n.name for n in insights.nodes}
    for node in nodes:  # still named to assistive technology, by the member, as the dashboard's links are
        name = names[node.get_attribute("data-id")]
        assert node.accessible_name.startswith(name), (node.accessible_name, name)


def test_the_stage_and_betweenness_are_explained_in_plain_words(site: Site, browser: WebDriver) -> None:
    """The dashboard showed the stage as the API's rule ("mature: 30 members, average degree 2.13; 3 (10%)
    joined after … (< 20%); external share 0.41 -> 0.44 (< +0.10)") and a bare "Betweenness" column."""
    insights = cluster_insights(site.graph, CLUSTER, suppliers=0)
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#stage", "How the stage is worked out")
    shown = browser.find_element(By.ID, "stage").text
    assert f"Stage: {insights.stage.computed}, that is {STAGE_WORDS[insights.stage.computed]}." in shown
    browser.find_element(By.CSS_SELECTOR, "#stage summary").click()
    rules = browser.find_element(By.ID, "stage").text
    assert all(words in rules for words in STAGE_WORDS.values()), rules
    assert insights.stage.rule in rules  # the text GraphQL and the CLI state, unchanged
    help_text = browser.find_element(By.ID, "betweenness-help").text
    assert "shortest chains of ties between two other members" in help_text and "5 in 100" in help_text


def test_the_brokers_roles_communities_and_anchors_are_explained_in_words(
    site: Site, browser: WebDriver
) -> None:
    """The brokers table said "gatekeeper" and "coordinator", the members table a "Community" of 0, 1 … 8
    (an isolate's cell blank), and the composition "Anchors:", with no word of what any of them means."""
    insights = cluster_insights(site.graph, CLUSTER, suppliers=0)
    roles = {b.dominant_role for b in insights.brokers if b.dominant_role}
    assert roles, "the demo's food cluster has no broker with a role"
    use_key(browser, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
    wait_for_text(browser, "#dashboard", "Member network")
    explained = browser.find_element(By.ID, "broker-roles").text
    assert all(f"{role}: {BROKER_ROLES[role]}" in explained for role in roles), explained
    assert "work more with each other" in browser.find_element(By.ID, "community-help").text
    cells = {
        row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[2].text
        for row in browser.find_elements(By.CSS_SELECTOR, "#members tbody tr")
    }
    for node in (n for n in insights.nodes if not n.outside):
        shown = "none" if node.community is None else str(node.community + 1)
        assert cells[node.name] == shown, (node.name, node.community, cells[node.name])
    assert (
        "Anchors (its universities and research institutes)" in browser.find_element(By.ID, "dashboard").text
    )


def test_a_wide_table_at_phone_width_takes_focus_and_scrolls_with_the_arrow_keys(site: Site) -> None:
    """At 375 px the tables scrolled inside themselves, but a keyboard could not reach the scrolling box: the
    trend table holds no link, and Tab went from the members filter to the first member's link."""
    for driver in chromium():
        as_phone(driver)
        use_key(driver, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
        assert driver.execute_script("return innerWidth") == PHONE_WIDTH
        wait_for_text(driver, "#dashboard", "Member network")
        box = driver.find_element(By.CSS_SELECTOR, ".scroll:has(#members)")
        assert box.get_attribute("role") == "region" and box.get_attribute("aria-label") == "Members table"
        assert driver.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", box)
        driver.find_element(By.ID, "members-filter").click()
        ActionChains(driver).send_keys(Keys.TAB).perform()
        assert driver.switch_to.active_element == box
        outline = driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", box)
        assert outline not in ("", "none"), outline  # the focus is visible
        ActionChains(driver).send_keys(Keys.ARROW_RIGHT * 5).perform()
        WebDriverWait(driver, 10).until(  # the keys scroll smoothly: not at once
            lambda d, box=box: d.execute_script("return arguments[0].scrollLeft", box) > 0,
            "the arrow keys did not scroll the members table",
        )
        labels = [b.get_attribute("aria-label") for b in driver.find_elements(By.CSS_SELECTOR, ".scroll")]
        assert {"Brokers table", "Trend table", "Members table"} <= set(labels), labels
        assert all(
            b.get_attribute("tabindex") == "0" for b in driver.find_elements(By.CSS_SELECTOR, ".scroll")
        )


def test_the_networks_names_stay_readable_on_a_phone(site: Site) -> None:
    """At 375 px the drawing shrank to the screen, and the names beside its nodes stood 4 px high. It now
    keeps 800 px and scrolls sideways inside its own box, the page a phone's width."""
    for driver in chromium():
        as_phone(driver)
        use_key(driver, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
        wait_for_text(driver, "#dashboard", "Member network")
        assert driver.execute_script("return document.documentElement.scrollWidth") == PHONE_WIDTH
        box = driver.find_element(By.CSS_SELECTOR, ".network-box")
        assert driver.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", box)
        heights = driver.execute_script(
            "return [...document.querySelectorAll('.network .node.always text')]"
            ".map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 9, heights


def test_the_gaps_table_is_readable_on_a_phone(site: Site) -> None:
    """At 375 px the gaps table squeezed its three columns into the phone's width: its third column's header,
    "Could supply it (outside the cluster)", stood six lines tall in a column a word wide. Each cell is
    now at least half the phone wide, inside the screen, and says which column it is."""
    for driver in chromium():
        as_phone(driver)
        use_key(driver, site, site.keys["food_manager"], f"/clusters/{CLUSTER}")
        wait_for_text(driver, "#gaps", "not searched yet")
        driver.find_element(By.CSS_SELECTOR, "#gaps button[data-load]").click()
        WebDriverWait(driver, WAIT_SECONDS).until(  # "Looking for outside suppliers…", then the suppliers
            lambda d: (
                "not searched yet" not in d.find_element(By.ID, "gaps").text
                and d.find_element(By.ID, "gaps").get_attribute("aria-busy") == "false"
            )
        )
        assert driver.execute_script("return document.documentElement.scrollWidth") == PHONE_WIDTH
        columns = [
            th.get_attribute("textContent") for th in driver.find_elements(By.CSS_SELECTOR, "#gaps th")
        ]
        assert columns[2] == "Could supply it (outside the cluster)", columns
        rows = driver.find_elements(By.CSS_SELECTOR, "#gaps tbody tr")
        assert len(rows) > 1, "the demo's food cluster has no gaps to show"
        for row in rows:
            for column, cell in zip(columns, row.find_elements(By.TAG_NAME, "td"), strict=True):
                box = cell.rect
                assert box["width"] >= PHONE_WIDTH / 2 and box["x"] + box["width"] <= PHONE_WIDTH, (
                    column,
                    box,
                )
                header = driver.find_elements(By.XPATH, f"//*[@id='gaps']//th[normalize-space()='{column}']")
                said = driver.execute_script(
                    "return getComputedStyle(arguments[0], '::before').content", cell
                ).strip('"')
                assert said == column or (header and header[0].is_displayed()), (column, said)
                if header and header[0].is_displayed():
                    assert header[0].rect["height"] < 3 * 24, header[0].rect  # two lines at most
