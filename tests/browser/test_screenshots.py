"""The README's screenshots: list, card, kanban and calendar of each sample app (issue 3 proof),
and the builder.

A demo database (the three sample apps with their seed data, as ``make demo`` builds it) is
served on a real port; Chromium logs in as the demo administrator, checks that each screen
rendered (status 200, its main element visible, no script error) and saves it as
``<app>_<view>.png``, with ``home.png`` and ``phone_list.png`` (390 px wide, no sideways
scrolling). ``make screenshots`` runs this file with ``STAGEFLOW_SCREENSHOTS_DIR`` set to
``docs/screenshots``, the README's pictures; a plain test run checks the same screens and saves
them under pytest's temporary folder, so the suite leaves the checkout alone.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stageflow.demo import ADMIN, ensure_admin, load_sample_apps, settle_events
from stageflow.runtime import create_stageflow
from stageflow.web import create_app
from tests.browser.conftest import LiveServer, log_in
from tests.web.conftest import PASSWORD, Web

VIEWPORT = {"width": 1280, "height": 800}
TIMEZONE = "Europe/Moscow"  # the seeds' offset (+03:00): times show as the demo data states them
PHONE_WIDTH = 390


@dataclass(frozen=True)
class AppScreens:
    """What to show of one sample app: ``entity`` has a pipeline (list, card and kanban); the
    calendar shows ``calendar_entity`` by ``date_field`` colored by ``color_field``, opened on
    ``month``, a day in a month the seed data fills."""

    entity: str
    calendar_entity: str
    date_field: str
    color_field: str
    month: str


SCREENS = {
    "bankruptcy_crm": AppScreens("deal", "target_action", "starts_at", "action_type", "2026-11-01"),
    "it_service": AppScreens("service_request", "service_request", "due_at", "priority", "2026-03-01"),
    "production": AppScreens("order", "resource_booking", "starts_at", "status", "2026-06-01"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[LiveServer]:
    """The ``make demo`` database (SQLite under pytest's tmp dir) served on a random port."""
    folder = tmp_path_factory.mktemp("demo")
    sf = create_stageflow(f"sqlite:///{folder / 'demo.db'}", files_dir=folder / "files")
    loaded = list(load_sample_apps(sf))
    assert {a.app for a in loaded} == set(SCREENS) and all(a.records_added > 0 for a in loaded)
    settle_events(sf)
    ensure_admin(sf, PASSWORD)
    with LiveServer(Web(sf, create_app(sf, secret_key="screenshots-" * 4))) as server:
        yield server
    sf.close()


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory) -> Path:
    configured = os.environ.get("STAGEFLOW_SCREENSHOTS_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Camera:
    """A page logged in as the administrator, in English, that collects its uncaught script
    errors; it saves into ``folder``."""

    page: object
    errors: list[str]
    folder: Path


def _camera(browser, base_url: str, viewport: dict, folder: Path) -> Camera:
    context = browser.new_context(viewport=viewport, locale="en-US", timezone_id=TIMEZONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base_url, ADMIN)
    assert "/login" not in page.url, "the administrator could not log in"
    # The README speaks English: pick it in the navbar's language picker (the data stays Russian).
    picked = page.goto(f"{base_url}/lang/en")
    assert picked is not None and picked.ok, f"/lang/en: {picked.status if picked else 'no answer'}"
    return Camera(page, errors, folder)


@pytest.fixture(scope="module")
def camera(browser, demo, shots_dir) -> Iterator[Camera]:
    result = _camera(browser, demo.url, VIEWPORT, shots_dir)
    yield result
    result.page.context.close()


def _shoot(camera: Camera, url: str, main: str, name: str | None) -> None:
    """Open ``url``, wait for its ``main`` element, assert no script error, save ``name``.png."""
    camera.errors.clear()
    response = camera.page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response.status if response else 'no answer'}"
    camera.page.locator(main).first.wait_for(state="visible")
    camera.page.wait_for_load_state("networkidle")
    assert camera.errors == [], f"{url}: script errors {camera.errors}"
    if name:
        path = camera.folder / f"{name}.png"
        camera.page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000, f"{path.name} is nearly empty"


@pytest.mark.parametrize("app", sorted(SCREENS))
def test_screenshots_of_list_card_kanban_and_calendar(camera, demo, app):
    shown = SCREENS[app]
    sf = demo.web.sf
    spec = sf.catalog.get(app).spec.entities[shown.entity]
    base = f"{demo.url}/{app}/{shown.entity}"
    newest = sf.records.list(sf.system, app, shown.entity, sort="-id", limit=1).items[0]["id"]

    _shoot(camera, f"{base}/", ".sf-list tbody tr[data-id]", f"{app}_list")
    _shoot(camera, f"{base}/{newest}", "#sf-card", f"{app}_card")
    _shoot(camera, f"{base}/board?pipeline={spec.pipelines[0].name}", ".sf-board .sf-card", f"{app}_kanban")
    calendar = (f"{demo.url}/{app}/{shown.calendar_entity}/calendar?field={shown.date_field}"
                f"&color={shown.color_field}&date={shown.month}")
    _shoot(camera, calendar, ".sf-calendar .fc-event", f"{app}_calendar")
    expected = dt.date.fromisoformat(shown.month).strftime("%B %Y")  # e.g. "October 2026"
    assert camera.page.locator(".fc-toolbar-title").inner_text() == expected


def test_screenshot_of_the_builder_on_an_entity_a_pipeline_and_a_role(camera, demo):
    """The builder's workspace (PL24): the deal's fields table, the sales pipeline's stages, and
    the accountant role's rights matrix with the deal's field rules open."""
    _shoot(camera, f"{demo.url}/builder/bankruptcy_crm", ".sf-b-nav .sf-b-doc", None)
    camera.page.click(".sf-b-doc[data-path='entities/deal.json']")
    camera.page.locator(".sf-b-fields tr[data-field]").first.wait_for(state="visible")
    camera.page.screenshot(path=str(camera.folder / "builder_entity.png"))
    camera.page.click(".sf-b-doc[data-path='pipelines/deal_sales.json']")
    camera.page.locator(".sf-b-stages li").first.wait_for(state="visible")
    camera.page.screenshot(path=str(camera.folder / "builder_pipeline.png"))
    camera.page.click(".sf-b-doc[data-path='roles/accountant.json']")
    camera.page.click(".sf-b-rights tr[data-entity=deal] .sf-b-edit-entry")
    camera.page.locator(".sf-b-role-entry-editor .sf-b-form").first.wait_for(state="visible")
    camera.page.screenshot(path=str(camera.folder / "builder_role.png"))
    assert camera.errors == [], camera.errors


def test_screenshots_of_the_start_page_the_inbox_and_a_phone_width_list(camera, demo, browser):
    _shoot(camera, f"{demo.url}/", "h2:has-text('Bankruptcy CRM')", "home")
    _shoot(camera, f"{demo.url}/inbox/", ".sf-inbox", None)

    phone = _camera(browser, demo.url, {"width": PHONE_WIDTH, "height": 844}, camera.folder)
    try:
        _shoot(phone, f"{demo.url}/bankruptcy_crm/deal/", ".sf-list tbody tr[data-id]", "phone_list")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"the phone list scrolls sideways: {width} px wide"
    finally:
        phone.page.context.close()
