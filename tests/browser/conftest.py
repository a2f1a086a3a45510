"""Browser fixtures: the Flask app on a real HTTP port, driven by Debian's Chromium through Playwright.

``live`` serves the mini app (``tests/fixtures/valid/mini``, SQLite) on 127.0.0.1 with a random
port from a background thread; ``browser`` is one headless Chromium per test module;
``page_as("boris")`` opens a page logged in through the real login form. Chromium is
``/usr/bin/chromium`` (``STAGEFLOW_TEST_CHROMIUM`` overrides); when it is missing the tests skip
locally and fail under ``CI=true``, which installs it.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.web.conftest import PASSWORD, Web, make_web

CHROMIUM = os.environ.get("STAGEFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
# Quiet, deterministic Chromium: no first-run work, no background network, no GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-default-apps", "--disable-sync", "--metrics-recording-only"]
pytestmark = pytest.mark.browser


class LiveServer:
    """A real HTTP server around ``web.app`` in a daemon thread."""

    def __init__(self, web: Web):
        self.web = web
        self.server = make_server("127.0.0.1", 0, web.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in item.nodeid.replace("\\", "/") and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live(sqlite_url: str, tmp_path: Path, mini_bundle: Path) -> Iterator[LiveServer]:
    web = make_web(sqlite_url, tmp_path / "files", mini_bundle)
    with LiveServer(web) as server:
        yield server
    web.sf.close()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def page_as(browser, live: LiveServer):
    """``page_as(username, width=1280)``: a fresh browser context logged in as ``username``."""
    contexts = []

    def open_page(username: str | None = None, width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if username:
            log_in(page, live.url, username)
        return page

    yield open_page
    for context in contexts:
        context.close()
