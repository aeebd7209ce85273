"""Pages with nothing to show, in a real browser (Debian Chromium, headless), on the demo region served by
the real API (``tests/utils/web.py``): a cluster whose member list is not loaded yet."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from graph.query import Query
from tests.utils.web import Site, use_key, wait_for_text

EMPTY = "H2"
EMPTY_CLUSTER = Query(
    "test.web_empty_cluster",
    """
    MATCH (m)-[:MANAGES]->(food:Cluster {id: $food})
    CREATE (m)-[:MANAGES]->(:Cluster {id: $id, name: $name, sector: 'hydrogen', region: food.region})
    """,
    write=True,
)
FORGET_CLUSTER = Query(
    "test.web_forget_empty_cluster", "MATCH (c:Cluster {id: $id}) DETACH DELETE c", write=True
)


def test_a_cluster_without_members_says_so_instead_of_empty_boxes(site: Site, browser: WebDriver) -> None:
    """A cluster whose member list was not loaded showed eight zeros, an empty frame where the network is
    drawn, a legend of nothing, tables of headers only, "No gap: every capability a member needs, a member
    offers" and a button to find suppliers for no gap."""
    site.graph.run(EMPTY_CLUSTER, food="FOOD", id=EMPTY, name="Hydrogen Cluster")
    try:
        use_key(browser, site, site.keys["food_manager"], f"/clusters/{EMPTY}")
        wait_for_text(browser, "#dashboard", "Hydrogen Cluster")
        said = browser.find_element(By.ID, "no-members").text
        assert said.startswith("No members.") and "data team" in said, said
        assert not browser.find_elements(By.CSS_SELECTOR, "#dashboard svg.network, #dashboard .legend")
        assert "No member to draw." in browser.find_element(By.ID, "dashboard").text
        assert browser.find_element(By.CSS_SELECTOR, "#members tbody").text == "No members."
        gaps = browser.find_element(By.ID, "gaps")
        assert "No members, so no needs to compare." in gaps.text and "No gap" not in gaps.text, gaps.text
        assert not gaps.find_elements(By.CSS_SELECTOR, "button[data-load]")
    finally:
        site.graph.run(FORGET_CLUSTER, id=EMPTY)
