"""What the browser tests share: the demo region served by the real API on a free port, by the server
``clusterkg serve`` runs (``api.server``), one key per kind of person, and a headless Debian Chromium driven
by selenium through the system chromedriver.

A missing browser fails the tests with the command that installs it; it never skips them.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

import ingest
import matching
from api.app import create_app
from api.auth import ApiRole, NewKey, create_key
from api.server import api_server
from graph import admin
from graph.db import Graph
from graph.server import free_port
from ingest import demo
from schema.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 90
TEST_REQUEST_TIMEOUT = 60.0
"""How long a test waits for a page to show something (suggestions run the model on shared, busy cores)."""

BAKERY = "FN100000a"
"""Bäckerei Brandstetter, a demo firm of the food cluster with a public need for camera quality control."""
DAIRY = "FN107919b"
"""Mühlviertler Käserei, another demo firm of the food cluster."""
FOOD_MANAGER = "M-FC"
"""The cluster organization that manages the demo's food cluster."""


@dataclass(frozen=True)
class Site:
    """The served demo region: its address, the graph behind it and the keys the tests use."""

    url: str
    graph: Graph
    keys: dict[str, NewKey]


def load_demo(graph: Graph, settings: Settings) -> None:
    """The demo region, loaded through ingest and embedded with the real model into an emptied graph."""
    admin.delete_data(graph)
    summary = ingest.load(graph, demo.paths())
    assert summary.counts()["added"] > 0, summary.counts()
    matching.embed(graph, settings)


def serve(graph: Graph, settings: Settings) -> Iterator[Site]:
    """Load the demo region and serve the real app in a thread until the generator closes."""
    load_demo(graph, settings)
    keys = {
        "bakery": create_key(graph, ApiRole.MEMBER, BAKERY),
        "dairy": create_key(graph, ApiRole.MEMBER, DAIRY),
        "food_manager": create_key(graph, ApiRole.CLUSTER_MANAGER, FOOD_MANAGER),
    }
    yield from serve_graph(graph, settings, keys)


def serve_graph(graph: Graph, settings: Settings, keys: dict[str, NewKey]) -> Iterator[Site]:
    """Serve the real app over what ``graph`` holds until the generator closes, then empty the graph."""
    # The request deadline is raised for the tests only: they share a few busy cores with other suites, and a
    # page that answers late must fail on what it shows, not on the API's 10 s deadline.
    served = settings.model_copy(update={"api_request_timeout": TEST_REQUEST_TIMEOUT})
    try:
        with run_app(served) as url:
            yield Site(url, graph, keys)
    finally:
        admin.delete_data(graph)


@contextmanager
def run_app(settings: Settings) -> Iterator[str]:
    """The real app for ``settings`` served as ``clusterkg serve`` serves it, in a thread, on a free port;
    yields its address."""
    port = free_port()
    server = api_server(create_app(settings), settings, host="127.0.0.1", port=port, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the API server did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def chromium(*extra: str) -> Iterator[WebDriver]:
    """A headless Chromium with a fresh profile and no background traffic; ``extra`` flags are appended."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"the browser tests need Debian's Chromium: {', '.join(missing)} missing; "
            "install them with `apt-get install -y chromium chromium-driver` (.ci/run does)"
        )
    profile = tempfile.mkdtemp(prefix="clusterkg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for get_log("browser")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
        *extra,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


PHONE_WIDTH = 375
"""A phone's width in CSS pixels (an iPhone SE to 13 mini). Headless Chromium keeps a window at least 500 px
wide, whatever ``--window-size`` asks, so a phone is emulated (:func:`as_phone`)."""


def as_phone(driver: WebDriver) -> None:
    """Make ``driver``'s pages lay out as on a phone :data:`PHONE_WIDTH` pixels wide, until it quits."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE_WIDTH, "height": 800, "deviceScaleFactor": 2, "mobile": True},
    )


def wait_for_text(driver: WebDriver, css: str, text: str, seconds: float = WAIT_SECONDS) -> None:
    """Wait until the element at ``css`` contains ``text`` (fails with what it showed instead)."""
    try:
        WebDriverWait(driver, seconds).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    except Exception as e:  # noqa: BLE001 - any timeout: say what the page showed
        shown = (
            driver.find_element(By.CSS_SELECTOR, css).text
            if driver.find_elements(By.CSS_SELECTOR, css)
            else ""
        )
        raise AssertionError(f"{css} never showed {text!r}; it shows:\n{shown[:2000]}") from e


def use_key(driver: WebDriver, site: Site, key: NewKey | None, path: str = "/") -> None:
    """Open ``path`` and enter ``key`` in the page's key field (None: forget any key)."""
    driver.get(site.url + path)
    if key is None:
        driver.find_element(By.ID, "forget-key").click()
    else:
        driver.find_element(By.ID, "api-key").send_keys(key.secret)
        driver.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    wait_for_text(driver, "#key-status", "key is in use" if key else "No key")
    # The page loaded its fragments with the tab's previous key too; wait until the last loads have landed.
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-fragment][aria-busy="true"]')
    )
