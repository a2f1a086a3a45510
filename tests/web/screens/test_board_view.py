"""Issue 3, item 4: the kanban board of a pipeline, served by ``/<app>/<entity>/board``.

Columns are the stages of the chosen pipeline (PL04), cards come through the RecordService
(record rules apply), a column loads a bounded page with "more", and the first column offers
one-line quick create (NS07). Dragging is proved in tests/browser/test_board_and_calendar.py.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from stageflow.web.screens import board_view
from tests.bundle_edit import EditableBundle
from tests.web.conftest import make_web


def _column(html: str, stage: str) -> str:
    """The HTML of one stage's column."""
    match = re.search(rf'<section class="sf-column[^"]*" data-stage="{stage}">(.*?)</section>', html, re.S)
    assert match, f"no column {stage!r}"
    return match.group(1)


def _card_ids(column_html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="sf-card" data-id="(\d+)"', column_html)]


def _count(column_html: str) -> int:
    return int(re.search(r'sf-column-count">(\d+)<', column_html).group(1))


@pytest.fixture
def client_id(sqlite_web) -> int:
    return sqlite_web.create("boss", "client", {"full_name": "Acme"})["id"]


def test_pl04_board_has_a_column_per_stage_in_order_with_its_cards(sqlite_web, client_id):
    new = sqlite_web.create("boss", "deal", {"title": "Fresh", "amount": "1000", "priority": "high",
                                             "assignee": "boris", "due": "2026-12-10"})
    other = sqlite_web.create("boss", "deal", {"title": "Second", "amount": "250.5"})
    qualified = sqlite_web.create("boss", "deal", {"title": "Qualified one", "client": client_id,
                                                   "stage": "qualified"})
    html = sqlite_web.browser("boss").get("/mini/deal/board").get_data(as_text=True)

    stages = re.findall(r'<section class="sf-column[^"]*" data-stage="([a-z_]+)"', html)
    assert stages == ["new", "qualified", "won", "refused"]  # the default pipeline: sales
    new_column = _column(html, "new")
    assert _card_ids(new_column) == [other["id"], new["id"]]  # newest first
    assert _count(new_column) == 2
    assert "1\u00a0250.50" in new_column  # the money sum of the column
    assert _card_ids(_column(html, "qualified")) == [qualified["id"]]
    assert _card_ids(_column(html, "won")) == [] and _count(_column(html, "won")) == 0
    assert 'class="sf-column sf-stage-won"' in html and 'class="sf-column sf-stage-lost"' in html
    assert "border-top-color: #cccccc" in new_column  # the stage's color
    card = new_column[new_column.index(f'data-id="{new["id"]}"'):]  # the last card of the column
    # The configured card fields (views.board.card_fields): amount, assignee, priority, due.
    assert "Fresh" in card and f'href="/mini/deal/{new["id"]}"' in card
    assert "1\u00a0000.00" in card and "Boris Seller" in card and "2026-12-10" in card  # the user's full name
    assert 'style="background-color: #ff0000">high<' in card  # the choice's color


def test_pl04_switching_pipelines_shows_the_other_pipelines_stages_and_records(sqlite_web):
    sale = sqlite_web.create("boss", "deal", {"title": "A sale"})
    claim = sqlite_web.create("boss", "deal", {"title": "A claim", "pipeline": "claims"})
    client = sqlite_web.browser("boss")

    sales = client.get("/mini/deal/board?pipeline=sales").get_data(as_text=True)
    claims = client.get("/mini/deal/board?pipeline=claims").get_data(as_text=True)

    assert re.findall(r'<section class="sf-column[^"]*" data-stage="([a-z_]+)"', claims) == ["received", "fixed"]
    assert _card_ids(_column(claims, "received")) == [claim["id"]]
    assert _card_ids(_column(sales, "new")) == [sale["id"]]
    # The view tabs offer one board per pipeline; the shown one is active.
    assert 'href="/mini/deal/board?pipeline=sales"' in claims
    assert '<li class="active"><a href="/mini/deal/board?pipeline=claims"' in claims
    assert 'data-pipeline="claims"' in claims


def test_board_shows_only_records_the_user_may_see(web):
    mine = web.create("boss", "deal", {"title": "Boris's deal", "assignee": "boris"})
    theirs = web.create("boss", "deal", {"title": "Carl's deal", "assignee": "carl"})

    html = web.browser("boris").get("/mini/deal/board").get_data(as_text=True)

    assert _card_ids(_column(html, "new")) == [mine["id"]]
    assert _count(_column(html, "new")) == 1
    assert "Carl&#39;s deal" not in html and "Carl's deal" not in html
    fragment = web.browser("boris").get(f"/mini/deal/board/cards?pipeline=sales&id={theirs['id']}")
    assert fragment.status_code == 404


def test_board_escapes_titles_and_field_values(sqlite_web):
    sqlite_web.create("boss", "deal", {"title": "<script>alert(1)</script>", "assignee": "boris"})

    html = sqlite_web.browser("boss").get("/mini/deal/board").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_board_requires_login(assert_needs_login):
    assert_needs_login("/mini/deal/board", "/mini/deal/board/cards?stage=new")


def test_unknown_pipeline_stage_or_an_entity_without_pipelines_is_404(sqlite_web):
    client = sqlite_web.browser("boss")
    assert client.get("/mini/deal/board?pipeline=nope").status_code == 404
    assert client.get("/mini/client/board").status_code == 404
    assert client.get("/mini/deal/board/cards?pipeline=sales&stage=nope").status_code == 404
    assert client.get("/mini/nope/board").status_code == 404
    assert client.get("/mini/deal/board/cards?pipeline=sales&stage=new&cursor=garbage").status_code == 400


def test_a_column_loads_a_bounded_page_and_more_brings_the_rest(sqlite_web, monkeypatch):
    monkeypatch.setattr(board_view, "COLUMN_PAGE", 2)
    ids = [sqlite_web.create("boss", "deal", {"title": f"Deal {i}", "amount": "10"})["id"] for i in range(3)]
    client = sqlite_web.browser("boss")

    column = _column(client.get("/mini/deal/board").get_data(as_text=True), "new")
    assert _card_ids(column) == [ids[2], ids[1]]
    assert _count(column) == 3  # the count is of all cards, not of the page
    assert "sf-column-total" not in column  # no partial money sum
    cursor = re.search(r'sf-column-more" data-cursor="([^"]+)"', column).group(1)

    rest = client.get(f"/mini/deal/board/cards?pipeline=sales&stage=new&cursor={cursor}").get_data(as_text=True)
    assert _card_ids(rest) == [ids[0]]
    assert "sf-column-more" not in rest


def test_ns07_quick_create_sits_in_the_first_column_and_makes_the_creator_responsible(sqlite_web):
    html = sqlite_web.browser("boris").get("/mini/deal/board").get_data(as_text=True)

    assert "sf-quick-create" in _column(html, "new")
    assert "sf-quick-create" not in _column(html, "qualified")
    assert 'data-title-field="title"' in html
    # The seller's record rule goes by "assignee": a quick-created deal is assigned to its
    # creator, so it stays on the creator's board.
    assert "data-defaults='{\"assignee\": \"boris\"}'" in html


def test_ns07_a_quick_created_record_gets_its_defaults_and_renders_as_a_card(sqlite_web):
    api = sqlite_web.api("boris")
    created = api.post("/api/v1/mini/deal/", json={"title": "From one line", "assignee": "boris",
                                                   "pipeline": "sales", "stage": "new"})
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert record["priority"] == "normal"  # the field's default, as for any new record

    fragment = sqlite_web.browser("boris").get(f"/mini/deal/board/cards?pipeline=sales&id={record['id']}")

    assert fragment.status_code == 200
    assert _card_ids(fragment.get_data(as_text=True)) == [record["id"]]
    assert "From one line" in fragment.get_data(as_text=True)


@pytest.fixture
def linked_board(sqlite_url: str, tmp_path: Path, mini_bundle: Path):
    """The mini app whose deal cards show the linked client, the assignee and the amount."""
    bundle = EditableBundle(mini_bundle, tmp_path / "mini")
    bundle.edit("entities/deal.json",
                lambda deal: deal["views"]["board"].update(card_fields=["client", "assignee", "amount"]))
    web = make_web(sqlite_url, tmp_path / "files", bundle.root)
    yield web
    web.sf.close()


def _card(column_html: str, record_id: int) -> str:
    start = column_html.index(f'data-id="{record_id}"')
    end = column_html.find('class="sf-card"', start)
    return column_html[start:end if end != -1 else None]


def test_cards_read_links_and_users_as_the_list_does_with_one_lookup_per_page(linked_board, monkeypatch):
    acme = linked_board.create("boss", "client", {"full_name": "Acme"})["id"]
    globex = linked_board.create("boss", "client", {"full_name": "Globex"})["id"]
    deals = [linked_board.create("boss", "deal", {"title": f"Deal {i}", "client": client, "assignee": "boris"})
             for i, client in enumerate((acme, globex, acme))]
    lookups = []
    list_records = linked_board.sf.records.list

    def counting_list(actor, app, entity, **kwargs):
        lookups.append(entity)
        return list_records(actor, app, entity, **kwargs)

    monkeypatch.setattr(linked_board.sf.records, "list", counting_list)
    client = linked_board.browser("boss")
    column = _column(client.get("/mini/deal/board").get_data(as_text=True), "new")

    for deal, title in zip(deals, ("Acme", "Globex", "Acme"), strict=True):
        card = _card(column, deal["id"])
        assert f'<span class="sf-card-value">{title}</span>' in card  # the linked title, not "#id"
        assert '<span class="sf-card-value">Boris Seller</span>' in card and ">boris<" not in card
    assert lookups.count("client") == 1  # one batched lookup for the page, not one per card

    lookups.clear()
    fragment = client.get(f"/mini/deal/board/cards?pipeline=sales&id={deals[1]['id']}").get_data(as_text=True)
    assert '<span class="sf-card-value">Globex</span>' in fragment and lookups.count("client") == 1


def test_a_column_without_amounts_shows_no_total(sqlite_web, client_id):
    sqlite_web.create("boss", "deal", {"title": "No amount"})
    for title, amount in (("Zero", "0"), ("Also no amount", None)):
        sqlite_web.create("boss", "deal", {"title": title, "amount": amount, "client": client_id,
                                           "stage": "qualified"})
    html = sqlite_web.browser("boss").get("/mini/deal/board").get_data(as_text=True)

    assert "sf-column-total" not in _column(html, "new")  # a card, but no amount on it
    assert "sf-column-total" not in _column(html, "won")  # no card at all
    assert re.search(r'sf-column-total[^"]*">0\.00<', _column(html, "qualified"))  # a real zero still counts
