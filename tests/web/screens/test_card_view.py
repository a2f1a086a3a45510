"""Issue 3, items 3 and 6: the card screen and its timeline, through the Flask test client.

The card shows a record in its metadata layout (BK38) with a widget per field kind (PL01),
saves through the RecordService (PL17), shows validation errors on their fields (PL18), refuses
a stale save and shows stage gates' messages; its timeline (PL13) lists comments, system and
robot entries and can leave robot and system entries out (NS08).
"""
from __future__ import annotations

import io
import re
from decimal import Decimal
from html import unescape

import pytest

from stageflow.data.timeline import EntryKind, add_comment
from stageflow.storage.database import write_transaction

CARD_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XSS = "<script>alert(1)</script>"


def csrf_of(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return CARD_CSRF.search(page.get_data(as_text=True)).group(1)


def field_block(html: str, name: str) -> str:
    """The markup of one field's form group on the card ('' when the card does not show it)."""
    match = re.search(rf'<div class="[^"]*sf-field[^"]*"\s+data-field="{name}".*?(?=<div class="[^"]*sf-field[^"]*"\s+'
                      rf'data-field=|</fieldset>)', html, re.S)
    return match.group(0) if match else ""


def post_card(client, path: str, data: dict, **kw):
    return client.post(path, data={"csrf_token": csrf_of(client, path), **data}, **kw)


def full_deal(web) -> dict:
    client = web.create("boss", "client", {"full_name": "Acme Ltd"})
    return web.create("boss", "deal", {
        "title": "Big deal", "client": client["id"], "amount": "1500.50", "assignee": "boris",
        "department": "sales", "priority": "high", "tags": ["vip"], "important": True, "due": "2026-11-23",
        "meeting_at": "2026-11-23T10:30:00Z", "estimate": "1h 30m", "quantity": 3, "rate": "0.1250",
        "notes": "line one\nline two", "site": "https://example.com/case", "documents": [
            {"text": "Passport", "done": True}, {"text": "Tax number", "done": False}],
        "creditors": [{"creditor": "Bank", "debt": "10.00"}]})


def test_bk38_pl01_card_lays_out_tabs_and_sections_with_a_widget_per_kind(sqlite_web):
    deal = full_deal(sqlite_web)
    html = sqlite_web.browser("boss").get(f"/mini/deal/{deal['id']}").get_data(as_text=True)
    # The layout's tab and section first, the fields it does not place in a trailing section.
    summary = html[html.index('data-section="summary"'):html.index('data-section="more"')]
    assert [m for m in re.findall(r'data-field="(\w+)"', summary)] == ["title", "client", "amount", "stage"]
    assert 'href="#sf-tab-main"' in html and ">Main<" in html and "<legend>More</legend>" in html
    assert 'type="date" id="sf-f-due" name="due" value="2026-11-23"' in field_block(html, "due")
    assert 'type="datetime-local" id="sf-f-meeting_at" name="meeting_at" value="2026-11-23T10:30:00"' in html
    assert 'value="1500.50"' in field_block(html, "amount") and "RUB" in field_block(html, "amount")
    assert '<option value="high" selected>high</option>' in field_block(html, "priority")
    tags = field_block(html, "tags")
    assert "multiple" in tags and '<option value="vip" selected>' in tags
    assert '<option value="boris" selected>Boris Seller</option>' in field_block(html, "assignee")
    assert '<option value="sales" selected>Sales</option>' in field_block(html, "department")
    client = field_block(html, "client")
    assert 'data-entity="client"' in client and f'<option value="{deal["client"]}" selected>Acme Ltd</option>' in client
    assert 'type="checkbox" id="sf-f-important" name="important" value="true" checked' in html
    assert 'name="documents.0.done" value="true" checked' in html and 'name="documents.1.text" value="Tax number"' in html
    assert 'name="creditors.0.creditor" value="Bank"' in html and "sf-row-add" in field_block(html, "creditors")
    assert 'value="1h 30m"' in field_block(html, "estimate")
    assert 'href="https://example.com/case"' in field_block(html, "site")
    assert "line one\nline two</textarea>" in html
    assert ">300.10<" in field_block(html, "vat")  # computed: shown, not editable
    assert 'name="vat"' not in html
    assert 'type="file" id="sf-f-scans" name="scans" multiple' in html


def test_pl01_card_links_phone_email_and_files(sqlite_web):
    client = sqlite_web.create("boss", "client", {"full_name": "Ann", "phone": "+7 912 345-67-89",
                                                  "email": "ann@example.com"})
    html = sqlite_web.browser("boss").get(f"/mini/client/{client['id']}").get_data(as_text=True)
    assert 'href="tel:+7912345-67-89"' in html and 'href="mailto:ann@example.com"' in html
    stored = sqlite_web.sf.files.put("scan.pdf", "application/pdf", b"%PDF-1", "boss")
    deal = sqlite_web.create("boss", "deal", {"title": "With a scan", "scans": [stored.id]})
    html = sqlite_web.browser("boss").get(f"/mini/deal/{deal['id']}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" class="sf-file-link">scan.pdf<', html).group(1)
    download = sqlite_web.browser("boss").get(unescape(link))
    assert download.status_code == 200 and download.data == b"%PDF-1"


def test_pl17_create_a_record_through_the_card_with_every_kind(web):
    client = web.create("boss", "client", {"full_name": "Acme"})
    browser = web.browser("boss")
    response = post_card(browser, "/mini/deal/new", {
        "title": "Made on the card", "client": str(client["id"]), "amount": "99.90", "assignee": "boris",
        "priority": "low", "tags": ["vip", "partner"], "important": "true", "due": "2026-12-01",
        "meeting_at": "2026-12-01T09:15", "estimate": "2h", "quantity": "4", "notes": "hello",
        "documents.0.text": "Passport", "documents.0.done": "true", "documents.1.text": "Visa",
        "creditors.0.creditor": "Bank", "creditors.0.debt": "12.5", "creditors.3.creditor": "Fund",
        "scans": (io.BytesIO(b"%PDF-1 card"), "contract.pdf", "application/pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    record_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    saved = web.sf.records.get(web.sf.actor("boss"), "mini", "deal", record_id)
    assert saved["title"] == "Made on the card" and saved["client"] == client["id"]
    assert Decimal(str(saved["amount"])) == Decimal("99.90") and saved["tags"] == ["vip", "partner"]
    assert saved["important"] is True and saved["due"] == "2026-12-01" and saved["meeting_at"] == "2026-12-01T09:15:00Z"
    assert saved["estimate"] == 7200 and saved["quantity"] == 4 and saved["stage"] == "new"
    assert saved["documents"] == [{"text": "Passport", "done": True}, {"text": "Visa", "done": False}]
    assert [(r["creditor"], str(r["debt"])) for r in saved["creditors"]] == [("Bank", "12.50"), ("Fund", "None")]
    assert len(saved["scans"]) == 1
    assert web.sf.files.read(saved["scans"][0])[1] == b"%PDF-1 card"


def test_pl17_update_through_the_card_and_see_it_in_the_history_tab(web):
    deal = web.create("boss", "deal", {"title": "Old title", "assignee": "boris", "tags": ["vip"]})
    browser = web.browser("boss")
    path = f"/mini/deal/{deal['id']}"
    response = post_card(browser, path, {"_version": "1", "title": "New title", "assignee": "boris",
                                         "priority": "normal", "stage": "new"})
    assert response.status_code == 302
    saved = web.sf.records.get(web.sf.actor("boss"), "mini", "deal", deal["id"])
    assert saved["title"] == "New title" and saved["version"] == 2 and saved["tags"] is None
    html = browser.get(path).get_data(as_text=True)
    history = html[html.index('class="table table-condensed sf-history"'):]
    rows = re.findall(r"<tr><td><time[^>]*>[^<]*</time></td>\s*<td>(\w+)</td><td>([^<]+)</td><td>([^<]*)</td><td>([^<]*)</td>",
                      history)
    assert ("boss", "Title", "Old title", "New title") in rows and ("boss", "Tags", "vip", "—") in rows


def test_pl18_validation_errors_show_on_their_fields_and_keep_what_was_entered(web):
    deal = web.create("boss", "deal", {"title": "Valid", "assignee": "boris"})
    browser = web.browser("boss")
    path = f"/mini/deal/{deal['id']}"
    response = post_card(browser, path, {"_version": "1", "title": "", "quantity": "-5", "notes": "keep me <b>",
                                         "site": "not a url", "stage": "new"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("title", "quantity", "site"):
        block = field_block(html, name)
        assert "has-error" in block and "sf-field-error" in block, name
    assert "is required" in field_block(html, "title")
    assert 'value="-5"' in field_block(html, "quantity") and "keep me &lt;b&gt;</textarea>" in html
    assert "has-error" not in field_block(html, "notes")
    assert web.sf.records.get(web.sf.actor("boss"), "mini", "deal", deal["id"])["version"] == 1


def test_pl18_a_stale_save_shows_a_conflict_and_overwrites_nothing(web):
    deal = web.create("boss", "deal", {"title": "Shared", "assignee": "boris"})
    browser = web.browser("boss")
    path = f"/mini/deal/{deal['id']}"
    token = csrf_of(browser, path)  # the card is read at version 1...
    web.sf.records.update(web.sf.actor("anna"), "mini", "deal", deal["id"], {"title": "Anna's title"})
    response = browser.post(path, data={"csrf_token": token, "_version": "1", "title": "Mine", "stage": "new"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this record" in html and 'value="Mine"' in field_block(html, "title")
    assert 'name="_version" value="1"' in html  # saving again conflicts again until reloaded
    assert web.sf.records.get(web.sf.actor("boss"), "mini", "deal", deal["id"])["title"] == "Anna's title"


def test_pl18_a_refused_stage_move_shows_the_gate_message(web):
    deal = web.create("boss", "deal", {"title": "No client yet", "assignee": "boris"})
    response = post_card(web.browser("boss"), f"/mini/deal/{deal['id']}",
                         {"_version": "1", "title": "No client yet", "stage": "qualified"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    alert = re.search(r'id="sf-card-alert"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "cannot move to &#39;Qualified&#39;: fill in Client first" in alert
    assert "has-error" in field_block(html, "client")
    assert '<option value="qualified" selected>' in field_block(html, "stage")
    assert web.sf.records.get(web.sf.actor("boss"), "mini", "deal", deal["id"])["stage"] == "new"


def test_pl17_hidden_fields_are_absent_and_read_only_fields_not_editable_per_role(web):
    deal = web.create("boss", "deal", {"title": "Won deal", "assignee": "boris", "amount": "10",
                                       "passport": "SECRET-123", "client": web.create("boss", "client", {
                                           "full_name": "C"})["id"]})
    web.sf.records.update(web.sf.actor("boss"), "mini", "deal", deal["id"], {"stage": "won"})
    path = f"/mini/deal/{deal['id']}"
    boss = web.browser("boss").get(path).get_data(as_text=True)
    assert "SECRET-123" in boss and 'name="amount"' in boss
    boris_client = web.browser("boris")
    boris = boris_client.get(path).get_data(as_text=True)
    assert "SECRET-123" not in boris and 'data-field="passport"' not in boris and ">Passport<" not in boris
    amount = field_block(boris, "amount")
    assert "sf-readonly" in amount and 'name="amount"' not in amount and "10.00" in amount
    # A crafted post cannot change what the card did not offer for editing.
    response = post_card(boris_client, path, {"_version": "2", "title": "Won deal!", "amount": "999",
                                              "passport": "X", "stage": "won"})
    assert response.status_code == 302
    saved = web.sf.records.get(web.sf.system, "mini", "deal", deal["id"])
    assert saved["title"] == "Won deal!" and str(saved["amount"]) == "10.00" and saved["passport"] == "SECRET-123"


def test_pl13_ns08_timeline_lists_comments_changes_and_robots_and_can_hide_them(web):
    deal = web.create("boss", "deal", {"title": "Talk", "assignee": "boris"})
    web.sf.records.update(web.sf.actor("boss"), "mini", "deal", deal["id"], {"title": "Talked"})
    stored = web.sf.files.put("minutes.txt", "text/plain", b"minutes", "boris")
    with write_transaction(web.sf.db) as conn:
        add_comment(conn, "mini", "deal", deal["id"], f"Called {XSS}", author="boris", files=[stored.id],
                    now=web.sf.clock())
        add_comment(conn, "mini", "deal", deal["id"], "Reminder sent", author=None, kind=EntryKind.ROBOT,
                    now=web.sf.clock())
    browser = web.browser("boris")
    html = browser.get(f"/mini/deal/{deal['id']}").get_data(as_text=True)
    panel = html[html.index('id="sf-timeline"'):]
    assert re.findall(r'data-kind="(\w+)"', panel) == ["system", "comment", "robot"]
    assert "Title</span>: Talk → Talked" in panel and "minutes.txt" in panel
    assert "Called &lt;script&gt;alert(1)&lt;/script&gt;" in panel and XSS not in html
    assert 'id="sf-hide-robots"' in panel and "sf-hideable" in panel
    hidden = browser.get(f"/mini/deal/{deal['id']}?robots=0").get_data(as_text=True)
    assert 'class="panel panel-default sf-timeline sf-hide-robots"' in hidden
    fragment = browser.get(f"/mini/deal/{deal['id']}/timeline").get_data(as_text=True)
    assert fragment.count('class="sf-entry ') == 3 and "<html" not in fragment


def test_escaping_user_values_render_as_text_everywhere_on_the_card(sqlite_web):
    client = sqlite_web.create("boss", "client", {"full_name": XSS})
    deal = sqlite_web.create("boss", "deal", {"title": XSS, "notes": XSS, "client": client["id"],
                                              "creditors": [{"creditor": XSS}], "documents": [{"text": XSS}]})
    sqlite_web.sf.records.update(sqlite_web.sf.actor("boss"), "mini", "deal", deal["id"], {"title": XSS + "!"})
    html = sqlite_web.browser("boss").get(f"/mini/deal/{deal['id']}").get_data(as_text=True)
    assert XSS not in html and "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6


def test_csrf_a_card_post_without_the_token_is_refused(sqlite_web):
    browser = sqlite_web.browser("boss")
    response = browser.post("/mini/deal/new", data={"title": "No token"})
    assert response.status_code == 400
    deal = sqlite_web.create("boss", "deal", {"title": "Kept"})
    assert browser.post(f"/mini/deal/{deal['id']}", data={"title": "Changed", "_version": "1"}).status_code == 400
    assert sqlite_web.sf.records.count(sqlite_web.sf.system, "mini", "deal") == 1
    assert sqlite_web.sf.records.get(sqlite_web.sf.system, "mini", "deal", deal["id"])["title"] == "Kept"


@pytest.mark.parametrize("path", ["/mini/deal/new", "/mini/deal/1", "/mini/deal/1/timeline"])
def test_login_required_for_the_card(sqlite_web, path):
    sqlite_web.create("boss", "deal", {"title": "Private"})
    response = sqlite_web.browser().get(path)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_an_invisible_or_missing_record_is_not_found_and_creating_needs_the_right(sqlite_web):
    deal = sqlite_web.create("boss", "deal", {"title": "Boris's", "assignee": "boris"})
    assert sqlite_web.browser("boris").get(f"/mini/deal/{deal['id']}").status_code == 200
    carl = sqlite_web.browser("carl")
    assert carl.get(f"/mini/deal/{deal['id']}").status_code == 404
    assert carl.get(f"/mini/deal/{deal['id']}/timeline").status_code == 404
    assert carl.post(f"/mini/deal/{deal['id']}", data={"csrf_token": csrf_of(carl, "/mini/deal/new"),
                                                       "title": "x"}).status_code == 404
    assert carl.get("/mini/deal/999999").status_code == 404
    assert carl.get("/mini/nothing/1").status_code == 404
    assert carl.get("/mini/client/new").status_code == 403  # sellers may only read clients


def test_pl17_a_new_card_in_another_pipeline_offers_its_stages_and_keeps_it(sqlite_web):
    browser = sqlite_web.browser("boss")
    html = browser.get("/mini/deal/new?pipeline=claims").get_data(as_text=True)
    stage = field_block(html, "stage")
    assert re.findall(r'<option value="(\w+)"', stage) == ["received", "fixed"]
    assert 'name="_pipeline" value="claims"' in html
    refused = post_card(browser, "/mini/deal/new?pipeline=claims", {"_pipeline": "claims", "title": ""})
    assert refused.status_code == 422 and 'name="_pipeline" value="claims"' in refused.get_data(as_text=True)
    created = post_card(browser, "/mini/deal/new?pipeline=claims", {"_pipeline": "claims", "title": "Claim",
                                                                    "stage": "received"})
    assert created.status_code == 302
    record_id = int(created.headers["Location"].rsplit("/", 1)[1])
    saved = sqlite_web.sf.records.get(sqlite_web.sf.system, "mini", "deal", record_id)
    assert (saved["pipeline"], saved["stage"]) == ("claims", "received")
