"""The report as people see it: opened in headless Chromium (Debian's chromium and
chromium-driver, installed by .ci/run), served from loopback. Screenshots are kept under
reports/screenshots/ as CI artifacts."""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.report.conftest import ROOT, SECTIONS_SHOWN, Run

SCREENSHOTS = ROOT / "reports" / "screenshots"
# Flags that keep Chromium from calling home (it would on a closed network, and fail).
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,2400",
)
# Opens the first collapsed group of the Behaviors tree; 0 when all are open. One per
# call: opening a group renders the tree again.
OPEN_NEXT = """
window.__opened = window.__opened || new Set();
for (const title of document.querySelectorAll('.node[data-node-kind=group] > .node__title')) {
  const uid = title.getAttribute('data-uid');
  if (!window.__opened.has(uid)) { window.__opened.add(uid); title.click(); return 1; }
}
return 0;
"""


def _binaries() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = (
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def served(reported_run: Run) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(reported_run.out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium, driver = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    yield session
    session.quit()


def _requested_hosts(browser: WebDriver) -> set[str]:
    hosts = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("data:", "blob:")):
                hosts.add(urlsplit(url).hostname or url)
    return hosts


def _open_tree(browser: WebDriver) -> None:
    for _ in range(200):
        if browser.execute_script(OPEN_NEXT) == 0:
            return
    pytest.fail("the Behaviors tree kept growing")


def test_the_allure_report_shows_dataflows_sections_and_items_with_their_status(
    browser: WebDriver, served: str
) -> None:
    browser.get(f"{served}/allure-report/index.html#behaviors")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".node[data-node-kind=group]"))
    _open_tree(browser)
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "a.node__leaf")) == 87)
    groups = {e.text.split("\n")[0] for e in browser.find_elements(By.CSS_SELECTOR, ".node__name")}
    for flow, sections in SECTIONS_SHOWN.items():
        assert flow in groups
        assert set(sections) <= groups
    assert "Properties synchronized between a ZohoCRM Account and a Customerp Customer" in groups
    leaves = browser.find_elements(By.CSS_SELECTOR, "a.node__leaf")
    failed = [
        leaf.find_element(By.CSS_SELECTOR, ".node__name").text
        for leaf in leaves
        if leaf.find_elements(By.CSS_SELECTOR, ".status-icon_status_failed")
    ]
    passed = [
        leaf for leaf in leaves if leaf.find_elements(By.CSS_SELECTOR, ".status-icon_status_passed")
    ]
    assert failed == ["Phone is synchronized with phone as string"]
    assert len(passed) == 86
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "allure-behaviors.png"))
    assert _requested_hosts(browser) == {"127.0.0.1"}


def test_the_filled_in_checklist_shows_each_section_and_row_status(
    browser: WebDriver, served: str
) -> None:
    browser.get(f"{served}/checklist-status.html")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.CSS_SELECTOR, "section"))
    shown = {
        s.find_element(By.TAG_NAME, "h3").text: s.get_attribute("data-status")
        for s in browser.find_elements(By.CSS_SELECTOR, "section")
    }
    assert shown["ZohoCRM Account to Customerp Customer: failed"] == "failed"
    assert sum(1 for status in shown.values() if status == "passed") == 5
    failed_rows = [
        r.find_element(By.TAG_NAME, "td").text
        for r in browser.find_elements(By.CSS_SELECTOR, "tr.row[data-status=failed]")
    ]
    assert failed_rows == ["Phone -> phone as string\nadded by QA"] or failed_rows == [
        "Phone -> phone as string added by QA"
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "checklist-status.png"))
    assert _requested_hosts(browser) == {"127.0.0.1"}
