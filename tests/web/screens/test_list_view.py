"""Issue 3, item 2: the list screen (PL17 list view, PL18 permissions, PL20 export of a list).

Columns from metadata and per-user choice, filters by field kind, search, sort, keyset pages
both ways, saved filters, CSV/XLSX export of the current filter (field rules applied, no
formulas), escaping, login and read rights.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests.bundle_edit import EditableBundle
from tests.web.conftest import make_web

ROW_ID = re.compile(r'<tr data-id="(\d+)"')
HEADER = re.compile(r'<th data-column="([a-z_]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
NEXT = re.compile(r'href="([^"]+)" class="sf-next"')
PREVIOUS = re.compile(r'href="([^"]+)" class="sf-previous"')


def row_ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [int(i) for i in ROW_ID.findall(response.get_data(as_text=True))]


def link(pattern: re.Pattern, response) -> str | None:
    found = pattern.search(response.get_data(as_text=True))
    return found.group(1).replace("&amp;", "&") if found else None


def csrf(client, url: str = "/mini/deal/") -> str:
    return CSRF_META.search(client.get(url).get_data(as_text=True)).group(1)


@pytest.fixture
def deals(sqlite_web):
    """Five deals with distinct values of every filtered kind; returns their ids by short name."""
    rows = {
        "alpha": {"title": "Alpha supply", "amount": "100", "priority": "high", "assignee": "boris",
                  "important": True, "due": "2026-01-10", "quantity": 5, "notes": "call back"},
        "beta": {"title": "Beta service", "amount": "250", "priority": "low", "assignee": "carl",
                 "important": False, "due": "2026-02-20", "quantity": 1},
        "gamma": {"title": "Gamma supply", "amount": "75", "priority": "normal", "assignee": "anna",
                  "due": "2026-03-05", "quantity": 9, "tags": ["vip"]},
        "delta": {"title": "Delta audit", "amount": "500", "priority": "high", "assignee": "boris",
                  "important": True, "quantity": 2},
        "omega": {"title": "Omega <script>alert(1)</script>", "amount": "10", "priority": "low"},
    }
    return {name: sqlite_web.create("boss", "deal", values)["id"] for name, values in rows.items()}


def test_pl17_list_columns_come_from_metadata(sqlite_web, deals):
    client = sqlite_web.browser("boss")
    html = client.get("/mini/deal/").get_data(as_text=True)
    # deal.json: views.list.columns
    assert HEADER.findall(html) == ["title", "client", "amount", "assignee", "priority", "stage", "due"]
    assert "Boris Seller" in html  # a user field shows the person's name
    # client.json has no list setting: the title field first, then the first plain fields.
    html = client.get("/mini/client/").get_data(as_text=True)
    assert HEADER.findall(html) == ["full_name", "phone", "email", "city"]
    # A handbook lists its items in their own order, labels in the app's language.
    html = client.get("/mini/city/").get_data(as_text=True)
    assert html.index("Moscow") < html.index("Kazan")


def test_pl17_link_columns_show_the_linked_records_title(sqlite_web):
    acme = sqlite_web.create("boss", "client", {"full_name": "Acme <b>Ltd</b>"})["id"]
    sqlite_web.create("boss", "deal", {"title": "Linked", "client": acme})
    client = sqlite_web.browser("boss")
    html = client.get("/mini/deal/").get_data(as_text=True)
    assert '<td data-column="client">Acme &lt;b&gt;Ltd&lt;/b&gt;</td>' in html
    rows = _sheet_rows(client.get("/mini/deal/export.xlsx").data)
    assert rows[1][:3] == [rows[1][0], "Linked", "Acme <b>Ltd</b>"]


def test_pl17_filters_by_field_kind(sqlite_web, deals):
    client = sqlite_web.browser("boss")
    d = deals

    def ids(query: str) -> set[int]:
        return set(row_ids(client.get(f"/mini/deal/?{query}")))

    assert ids("title__contains=supply") == {d["alpha"], d["gamma"]}
    assert ids("priority__in=high&priority__in=normal") == {d["alpha"], d["gamma"], d["delta"]}
    assert ids("assignee__in=boris") == {d["alpha"], d["delta"]}
    assert ids("due__gte=2026-02-01&due__lte=2026-03-31") == {d["beta"], d["gamma"]}
    assert ids("amount__gte=80&amount__lte=300") == {d["alpha"], d["beta"]}
    assert ids("important__eq=true") == {d["alpha"], d["delta"]}
    assert ids("due__is_empty=1") == {d["delta"], d["omega"]}
    assert ids("tags__contains=vip") == {d["gamma"]}
    assert ids("stage__in=new") == set(d.values())
    # Blank form inputs are ignored, the filter panel shows what is applied.
    assert ids("title__contains=&priority__in=low") == {d["beta"], d["omega"]}
    html = client.get("/mini/deal/?priority__in=low").get_data(as_text=True)
    assert '<option value="low" selected>' in html
    assert '<span class="sf-total" data-total="2">2</span>' in html


def test_pl17_bad_filters_answer_400_naming_the_problem(sqlite_web, deals):
    client = sqlite_web.browser("boss")
    response = client.get("/mini/deal/?nosuch__contains=x")
    assert response.status_code == 400
    assert "nosuch" in response.get_data(as_text=True)
    response = client.get("/mini/deal/?amount__contains=12")
    assert response.status_code == 400
    assert "contains" in response.get_data(as_text=True)


def test_pl17_full_text_search(sqlite_web, deals):
    client = sqlite_web.browser("boss")
    assert set(row_ids(client.get("/mini/deal/?q=supply"))) == {deals["alpha"], deals["gamma"]}
    assert row_ids(client.get("/mini/deal/?q=call+back")) == [deals["alpha"]]  # notes are searchable
    assert row_ids(client.get("/mini/deal/?q=nothing-like-this")) == []


def test_pl17_sort_by_clicking_a_header(sqlite_web, deals):
    client = sqlite_web.browser("boss")
    by_amount = [deals[n] for n in ("omega", "gamma", "alpha", "beta", "delta")]
    first = client.get("/mini/deal/")
    assert row_ids(first) == sorted(deals.values(), reverse=True)  # the metadata's sort: -id
    header = re.search(r'href="([^"]+)" data-sort="amount"', first.get_data(as_text=True)).group(1)
    ascending = client.get(header.replace("&amp;", "&"))
    assert row_ids(ascending) == by_amount
    again = re.search(r'href="([^"]+)" data-sort="amount"', ascending.get_data(as_text=True)).group(1)
    assert "sort=-amount" in again
    assert row_ids(client.get(again.replace("&amp;", "&"))) == by_amount[::-1]


def test_pl17_keyset_pages_forward_and_back(web):
    for i in range(7):
        web.create("boss", "deal", {"title": f"Deal {i}", "amount": str(100 - i % 3)})
    client = web.browser("boss")
    seen, pages = [], []
    response = client.get("/mini/deal/?sort=amount&limit=3&title__contains=Deal")
    while True:
        ids = row_ids(response)
        pages.append(ids)
        seen += ids
        assert '<span class="sf-total" data-total="7">7</span>' in response.get_data(as_text=True)
        url = link(NEXT, response)
        if url is None:
            break
        assert "cursor=" in url and "title__contains=Deal" in url
        response = client.get(url)
    assert len(pages) == 3 and len(seen) == 7 and len(set(seen)) == 7
    api_order = [r["id"] for r in web.api("boss").get("/api/v1/mini/deal/?sort=amount&limit=50").get_json()["items"]]
    assert seen == api_order
    # Back from the last page: the pages come back in the same order, with the same rows.
    back = client.get(link(PREVIOUS, response))
    assert row_ids(back) == pages[1]
    back = client.get(link(PREVIOUS, back))
    assert row_ids(back) == pages[0]
    assert link(PREVIOUS, back) is None and link(NEXT, back) is not None


def test_pl17_columns_chosen_and_reordered_are_saved_per_user(sqlite_web, deals):
    boss, anna = sqlite_web.browser("boss"), sqlite_web.browser("anna")
    token = csrf(boss)
    response = boss.post("/mini/deal/list/columns", data={"csrf_token": token,
                                                          "column": ["amount", "title", "quantity", "nosuch"]})
    assert response.status_code == 302
    assert HEADER.findall(boss.get("/mini/deal/").get_data(as_text=True)) == ["amount", "title", "quantity"]
    # Another user keeps the metadata's columns.
    assert HEADER.findall(anna.get("/mini/deal/").get_data(as_text=True))[0] == "title"
    boss.post("/mini/deal/list/columns", data={"csrf_token": token, "reset": "1"})
    assert HEADER.findall(boss.get("/mini/deal/").get_data(as_text=True))[:2] == ["title", "client"]
    # Without the CSRF token nothing is stored.
    assert boss.post("/mini/deal/list/columns", data={"column": ["amount"]}).status_code == 400


def test_pl17_saved_filters_per_user(sqlite_web, deals):
    boss = sqlite_web.browser("boss")
    token = csrf(boss)
    response = boss.post("/mini/deal/list/filters?priority__in=high&q=Alpha",
                         data={"csrf_token": token, "name": "Hot <b>deals</b>", "action": "save"})
    assert response.status_code == 302
    html = boss.get("/mini/deal/").get_data(as_text=True)
    saved = re.search(r'<a href="([^"]+)" data-saved-filter="([^"]+)">([^<]+)</a>', html)
    assert saved.group(3) == "Hot &lt;b&gt;deals&lt;/b&gt;"
    assert row_ids(boss.get(saved.group(1).replace("&amp;", "&"))) == [deals["alpha"]]
    assert "data-saved-filter" not in sqlite_web.browser("anna").get("/mini/deal/").get_data(as_text=True)
    boss.post("/mini/deal/list/filters", data={"csrf_token": token, "name": "Hot <b>deals</b>", "action": "delete"})
    assert "data-saved-filter" not in boss.get("/mini/deal/").get_data(as_text=True)


def _sheet_rows(body: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_pl17_pl20_export_csv_and_xlsx_of_the_current_filter(sqlite_web, deals):
    sqlite_web.create("boss", "deal", {"title": "=HYPERLINK(\"http://x\")", "amount": "1", "priority": "high"})
    client = sqlite_web.browser("boss")
    response = client.get("/mini/deal/export.xlsx?priority__in=high&sort=amount")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _sheet_rows(response.data)
    assert rows[0] == ["ID", "Title", "Client", "Amount", "Assignee", "Priority", "Stage", "Due date"]
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "Alpha supply", "Delta audit"]
    assert rows[2][3] == 100 and rows[2][4] == "Boris Seller" and rows[2][6] == "New"
    response = client.get("/mini/deal/export.csv?title__contains=supply&sort=-amount")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:2] == ["ID", "Title"]
    assert [(int(r[0]), r[1], r[3]) for r in table[1:]] == [(deals["alpha"], "Alpha supply", "100.00"),
                                                            (deals["gamma"], "Gamma supply", "75.00")]


def test_pl18_export_needs_the_export_right(sqlite_web, deals):
    assert sqlite_web.browser("boris").get("/mini/deal/export.csv").status_code == 403
    assert "data-export" not in sqlite_web.browser("boris").get("/mini/deal/").get_data(as_text=True)
    assert sqlite_web.browser("boss").get("/mini/deal/export.pdf").status_code == 404


def test_pl18_hidden_fields_absent_from_list_and_export(db_url, tmp_path, mini_bundle):
    """A seller may not see ``passport`` on won deals: not in the list and not in the export."""
    bundle = EditableBundle(mini_bundle, tmp_path / "mini-export")
    bundle.edit("roles/seller.json", lambda role: role["entities"]["deal"]["rights"].append("export"))
    web = make_web(db_url, tmp_path / "files", bundle.root)
    try:
        won = web.create("boss", "deal", {"title": "Won deal", "passport": "PASSPORT-WON", "assignee": "boris",
                                          "stage": "won"})
        web.create("boss", "deal", {"title": "Open deal", "passport": "PASSPORT-OPEN", "assignee": "boris"})
        client = web.browser("boris")
        columns = {"csrf_token": csrf(client), "column": ["title", "passport", "stage"]}
        assert client.post("/mini/deal/list/columns", data=columns).status_code == 302
        html = client.get("/mini/deal/").get_data(as_text=True)
        assert "PASSPORT-OPEN" in html and "PASSPORT-WON" not in html
        assert 'data-sort="passport"' not in html and 'data-sort="title"' in html  # no sorting by it either
        rows = _sheet_rows(client.get("/mini/deal/export.xlsx?sort=id").data)
        assert rows[0] == ["ID", "Title", "Passport", "Stage"]
        assert rows[1] == [won["id"], "Won deal", None, "Won"]  # an empty cell
        assert rows[2][2] == "PASSPORT-OPEN"
        text = client.get("/mini/deal/export.csv").data.decode("utf-8-sig")
        assert "PASSPORT-WON" not in text and "PASSPORT-OPEN" in text
        # A field hidden on some records cannot be used to filter (it would reveal the value).
        assert client.get("/mini/deal/?passport__contains=WON").status_code == 400
    finally:
        web.sf.close()


def test_list_escapes_user_values(sqlite_web, deals):
    html = sqlite_web.browser("boss").get("/mini/deal/?q=Omega").get_data(as_text=True)
    assert "Omega &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_pl18_list_needs_login_and_the_read_right(sqlite_web, tmp_path, mini_bundle):
    response = sqlite_web.browser().get("/mini/deal/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert sqlite_web.browser().get("/mini/deal/export.csv").status_code == 302
    bundle = EditableBundle(mini_bundle, tmp_path / "mini-visit")
    bundle.edit("app.json", lambda app: app.update(version="1.1.0"))
    bundle.write("entities/visit.json", {"schema_version": 1, "name": "visit", "label": "Visit",
                                         "fields": [{"name": "place", "kind": "string", "label": "Place"}]})
    sqlite_web.sf.install(bundle.root)
    assert sqlite_web.browser("boss").get("/mini/visit/").status_code == 200
    boris = sqlite_web.browser("boris")
    assert boris.get("/mini/visit/").status_code == 404
    assert boris.get("/mini/visit/export.csv").status_code == 404
    assert boris.get("/mini/nosuch/").status_code == 404
    # Read-only rights: no quick create, no bulk actions; with create and update rights, both.
    read_only = boris.get("/mini/client/").get_data(as_text=True)
    assert "sf-quick-create" not in read_only and "data-bulk=" not in read_only
    deals = boris.get("/mini/deal/").get_data(as_text=True)
    assert 'class="sf-quick-create"' in deals and 'data-bulk="stage"' in deals
    assert 'data-bulk="delete"' not in deals  # sellers may not delete deals
