"""PL21 and PL24 in a real browser: versions of an app in the builder.

Chromium publishes a change with a message, finds it in the versions panel with its author,
reads what changed (the new field, named), and rolls the app back to the version before: the
deal card stops showing the field at once, the record typed meanwhile stays, and the list of
versions says how the newest came to be.
"""
from __future__ import annotations

from tests.browser import test_builder
from tests.browser.test_builder import APP, add_field, open_workspace, wait_saved

live = test_builder.live  # the bankruptcy CRM served on a real port


def test_pl21_publish_with_a_message_compare_and_roll_back_in_the_builder(page_as, live):
    sf = live.web.sf
    page = page_as("boss")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    first = sf.catalog.get(APP).revision
    open_workspace(page, live.url, APP, "entities/deal.json")
    add_field(page, "court_case_no", "Court case no.", "string")
    wait_saved(page)
    page.click(".sf-b-open-publish")
    page.wait_for_selector(".sf-b-preview[data-ready='1']")
    page.fill("#sf-b-publish-message", "Deals get a court case number")
    page.click(".sf-b-publish-button")
    page.wait_for_selector(".sf-b-published")
    assert sf.catalog.get(APP).revision == first + 1
    deal = sf.records.create(sf.system, APP, "deal", {"title": "Typed meanwhile", "request_date": "2026-03-01",
                                                      "city": "msk", "court_case_no": "A40-1/2026"})

    card = page_as("boss")
    card.goto(f"{live.url}/{APP}/deal/{deal['id']}")
    card.wait_for_selector("#sf-card[data-ready='1']")
    assert card.locator("#sf-f-court_case_no").count() == 1

    # The versions panel: newest first, with its message and author.
    page.click(".sf-b-open-versions")
    page.wait_for_selector(".sf-b-versions[data-ready='1']")
    newest = page.locator(f".sf-b-version-table tr[data-revision='{first + 1}']")
    assert newest.locator(".sf-b-version-message").inner_text() == "Deals get a court case number"
    assert "boss" in newest.inner_text() and newest.locator(".sf-b-current").is_visible()

    # What changed: the field, by name.
    newest.locator(".sf-b-version-changes").click()
    page.wait_for_selector(".sf-b-version-diff[data-ready='1']")
    document = page.locator(".sf-b-diff-document[data-path='entities/deal.json']")
    assert "fields › court_case_no: added" in document.inner_text()

    # Roll back to the version before: a new version, the field gone from the screens.
    page.locator(f".sf-b-version-table tr[data-revision='{first}'] .sf-b-rollback").click()
    page.wait_for_selector(".sf-b-rolled-back")
    assert sf.catalog.get(APP).revision == first + 2
    page.wait_for_selector(f".sf-b-version-table tr[data-revision='{first + 2}'] .sf-b-current")
    assert page.locator(f".sf-b-version-table tr[data-revision='{first + 2}'] .sf-b-version-message").inner_text() \
        == f"Rolled back to revision {first}"
    page.goto(f"{live.url}/{APP}/deal/{deal['id']}")
    page.wait_for_selector("#sf-card[data-ready='1']")
    assert page.locator("#sf-f-court_case_no").count() == 0
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["title"] == "Typed meanwhile"
    assert errors == []
