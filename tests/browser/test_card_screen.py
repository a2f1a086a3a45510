"""Issue 3, items 3 and 6 in a real browser: the card screen and its timeline.

Chromium logs in through the form, creates and edits a record on its card (the link picker
searches the REST API), sees a validation error on its field, comments with a file and sees it
on the timeline, hides robot messages, and sees a field added through the metadata API on the
card of the running server.
"""
from __future__ import annotations

from decimal import Decimal

from stageflow.data.timeline import EntryKind, add_comment
from stageflow.storage.database import write_transaction


def open_card(page, url: str):
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_selector("#sf-card[data-ready='1']")
    return response


def saved_record_id(page) -> int:
    page.wait_for_url(lambda url: url.rstrip("/").rsplit("/", 1)[-1].isdigit())
    return int(page.url.rstrip("/").rsplit("/", 1)[-1])


def test_pl17_bk38_create_and_edit_a_record_through_the_card(page_as, live):
    acme = live.web.create("boss", "client", {"full_name": "Acme Ltd"})
    live.web.create("boss", "client", {"full_name": "Other Corp"})
    page = page_as("boss")
    open_card(page, f"{live.url}/mini/deal/new")
    page.fill("#sf-f-title", "Browser deal")
    page.fill("#sf-f-amount", "250.75")
    assert page.locator("[data-field=amount] .sf-currency").inner_text() == "RUB"
    # The link picker searches the client list through the REST API.
    page.click("[data-field=client] .select2-selection")
    page.fill(".select2-dropdown .select2-search__field", "Acm")
    page.wait_for_selector(".select2-results__option:has-text('Other Corp')", state="detached")
    page.click(".select2-results__option:has-text('Acme Ltd')")
    # A child table row added in the grid.
    page.click("[data-field=creditors] .sf-row-add")
    page.fill("input[name='creditors.0.creditor']", "Bank")
    page.fill("input[name='creditors.0.debt']", "40")
    page.click("button.sf-save")
    record_id = saved_record_id(page)
    saved = live.web.sf.records.get(live.web.sf.system, "mini", "deal", record_id)
    assert saved["title"] == "Browser deal" and saved["client"] == acme["id"]
    assert Decimal(str(saved["amount"])) == Decimal("250.75")
    assert [r["creditor"] for r in saved["creditors"]] == ["Bank"]

    page.wait_for_selector("#sf-card[data-ready='1']")
    page.fill("#sf-f-title", "Browser deal, edited")
    page.click("[data-field=creditors] .sf-row-remove")
    page.click("button.sf-save")
    page.wait_for_selector(".alert-success")
    saved = live.web.sf.records.get(live.web.sf.system, "mini", "deal", record_id)
    assert saved["title"] == "Browser deal, edited" and saved["version"] == 2 and saved["creditors"] == []
    page.click("a.sf-history-tab")
    history = page.locator("table.sf-history")
    history.wait_for()
    assert "Browser deal, edited" in history.inner_text()


def test_pl18_a_validation_error_shows_on_its_field(page_as, live):
    deal = live.web.create("boss", "deal", {"title": "Has a title", "assignee": "boris"})
    page = page_as("boss")
    open_card(page, f"{live.url}/mini/deal/{deal['id']}")
    page.fill("#sf-f-title", "")
    page.fill("#sf-f-quantity", "-3")
    page.click("button.sf-save")
    error = page.locator("[data-field=title].has-error .sf-field-error")
    error.wait_for()
    assert "required" in error.inner_text()
    assert page.locator("[data-field=quantity].has-error").is_visible()
    assert page.input_value("#sf-f-quantity") == "-3"
    assert live.web.sf.records.get(live.web.sf.system, "mini", "deal", deal["id"])["version"] == 1


def test_pl13_comment_with_a_file_shows_on_the_timeline(page_as, live):
    deal = live.web.create("boss", "deal", {"title": "Talk", "assignee": "boris"})
    page = page_as("boris")
    open_card(page, f"{live.url}/mini/deal/{deal['id']}")
    page.fill("#sf-comment-body", "Signed <b>copy</b> attached")
    page.set_input_files("#sf-comment-file", files=[
        {"name": "signed.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1 signed"}])
    page.click("button.sf-comment-post")
    entry = page.locator(".sf-entry-comment", has_text="Signed <b>copy</b> attached")
    entry.wait_for()
    link = entry.locator("a.sf-file-link")
    assert link.inner_text() == "signed.pdf"
    download = page.context.request.get(live.url + link.get_attribute("href"))
    assert download.status == 200 and download.body() == b"%PDF-1 signed"
    assert page.input_value("#sf-comment-body") == ""


def test_ns08_the_timeline_toggle_hides_robot_and_system_messages(page_as, live):
    sf = live.web.sf
    deal = live.web.create("boss", "deal", {"title": "Watched", "assignee": "boris"})
    sf.records.update(sf.actor("boss"), "mini", "deal", deal["id"], {"title": "Watched closely"})
    with write_transaction(sf.db) as conn:
        add_comment(conn, "mini", "deal", deal["id"], "A person wrote", author="boris", now=sf.clock())
        add_comment(conn, "mini", "deal", deal["id"], "Robot reminder", author=None, kind=EntryKind.ROBOT,
                    now=sf.clock())
    page = page_as("boris")
    open_card(page, f"{live.url}/mini/deal/{deal['id']}")
    robot = page.locator(".sf-entry-robot", has_text="Robot reminder")
    change = page.locator(".sf-entry-system", has_text="Watched closely")
    person = page.locator(".sf-entry-comment", has_text="A person wrote")
    assert robot.is_visible() and change.is_visible() and person.is_visible()
    page.check("#sf-hide-robots")
    robot.wait_for(state="hidden")
    assert not change.is_visible() and person.is_visible()
    open_card(page, page.url)  # the choice is remembered
    assert page.is_checked("#sf-hide-robots") and not robot.is_visible()
    page.uncheck("#sf-hide-robots")
    robot.wait_for(state="visible")


def test_pl17_a_field_added_through_the_metadata_api_shows_on_the_card_without_restart(page_as, live):
    deal = live.web.create("boss", "deal", {"title": "Before the change"})
    page = page_as("boss")
    open_card(page, f"{live.url}/mini/deal/{deal['id']}")
    assert page.locator("[data-field=budget_code]").count() == 0
    status = page.evaluate("""() => Stageflow.api("POST", "/api/v1/_meta/apps/mini/entities/deal/fields",
        {name: "budget_code", kind: "string", label: {en: "Budget code", ru: "Код бюджета"}})
        .then(() => 201, (error) => error.status + " " + error.message)""")
    assert status == 201
    open_card(page, f"{live.url}/mini/deal/{deal['id']}")
    assert page.locator("[data-field=budget_code] label").inner_text().strip() == "Budget code"
    page.fill("#sf-f-budget_code", "B-7")
    page.click("button.sf-save")
    page.wait_for_selector(".alert-success")
    assert live.web.sf.records.get(live.web.sf.system, "mini", "deal", deal["id"])["budget_code"] == "B-7"


def test_pl01_saving_an_untouched_card_with_every_kind_changes_nothing(page_as, live):
    """Every widget sends back the value it was given: a save without edits is no change."""
    sf = live.web.sf
    client = live.web.create("boss", "client", {"full_name": "Acme"})
    stored = sf.files.put("scan.pdf", "application/pdf", b"%PDF-1", "boss")
    deal = live.web.create("boss", "deal", {
        "title": "Untouched", "client": client["id"], "amount": "1500.50", "assignee": "boris",
        "department": "sales", "priority": "high", "tags": ["vip", "partner"], "important": True,
        "due": "2026-11-23", "meeting_at": "2026-11-23T10:30:05Z", "estimate": "1h 30m", "quantity": 3,
        "rate": "0.1250", "notes": "two\nlines", "site": "https://example.com/a?b=1", "scans": [stored.id],
        "documents": [{"text": "Passport", "done": True}, {"text": "Tax number", "done": False}],
        "creditors": [{"creditor": "Bank", "debt": "10.00"}, {"creditor": "Fund", "debt": None}]})
    page = page_as("boss")
    open_card(page, f"{live.url}/mini/deal/{deal['id']}")
    page.click("button.sf-save")
    page.wait_for_selector(".alert-success")
    after = sf.records.get(sf.system, "mini", "deal", deal["id"])
    assert after["version"] == 1, sf.records.history(sf.system, "mini", "deal", deal["id"])
    assert after == sf.records.get(sf.system, "mini", "deal", deal["id"]) and after["scans"] == [stored.id]
