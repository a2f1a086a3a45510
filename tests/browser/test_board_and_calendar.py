"""Issue 3, items 4 and 5 in a real Chromium: drag kanban cards (PL04, PL06), quick create (NS07),
and reschedule on the calendar (BK24, NS06). Each change is confirmed by a reload and in the
database, not only on the page."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

API_PATCH = "/api/v1/mini/deal/"


def _drag(page, source, target) -> None:
    """Press on ``source``, move in small steps (as a hand does) and release over ``target``."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 8, start["y"] + start["height"] / 2 + 8, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 30), steps=15)
    page.mouse.up()


def _patch_of(page):
    return page.expect_response(lambda r: API_PATCH in r.url and r.request.method == "PATCH")


def _card(page, stage: str, record_id: int):
    return page.locator(f'.sf-column-cards[data-stage="{stage}"] .sf-card[data-id="{record_id}"]')


@pytest.fixture
def errors_of():
    """``errors_of(page)``: the page's uncaught script errors, collected from now on."""
    def collect(page):
        found: list[str] = []
        page.on("pageerror", lambda exc: found.append(str(exc)))
        return found
    return collect


def test_pl04_drag_a_card_to_another_column_moves_its_stage(page_as, live, errors_of):
    deal = live.web.create("boss", "deal", {"title": "Drag me", "assignee": "boris"})
    page = page_as("boris")
    errors = errors_of(page)
    page.goto(f"{live.url}/mini/deal/board?pipeline=sales")

    with _patch_of(page) as patch:
        _drag(page, _card(page, "new", deal["id"]), page.locator('.sf-column-cards[data-stage="won"]'))
    assert patch.value.status == 200
    assert _card(page, "won", deal["id"]).is_visible()
    # The badge changes once the script has read the response body, a moment after it arrives.
    expect(page.locator('.sf-column[data-stage="won"] .sf-column-count')).to_have_text("1")

    page.reload()
    assert _card(page, "won", deal["id"]).is_visible()
    assert live.web.sf.records.get(live.web.sf.actor("boss"), "mini", "deal", deal["id"])["stage"] == "won"
    assert errors == []


def test_pl06_a_move_into_a_gated_stage_snaps_back_with_the_gates_message(page_as, live):
    deal = live.web.create("boss", "deal", {"title": "No client yet", "assignee": "boris"})
    page = page_as("boris")
    page.goto(f"{live.url}/mini/deal/board")

    with _patch_of(page) as patch:
        _drag(page, _card(page, "new", deal["id"]), page.locator('.sf-column-cards[data-stage="qualified"]'))
    assert patch.value.status == 409
    message = page.locator(".sf-board-message")
    message.wait_for(state="visible")
    assert message.inner_text() == "cannot move to 'Qualified': fill in Client first"
    _card(page, "new", deal["id"]).wait_for(state="visible")
    assert page.locator('.sf-column-cards[data-stage="qualified"] .sf-card').count() == 0

    page.reload()
    assert _card(page, "new", deal["id"]).is_visible()
    assert live.web.sf.records.get(live.web.sf.actor("boss"), "mini", "deal", deal["id"])["stage"] == "new"


def test_ns07_quick_create_on_the_board_adds_a_card_to_the_first_stage(page_as, live, errors_of):
    page = page_as("boris")
    errors = errors_of(page)
    page.goto(f"{live.url}/mini/deal/board")

    page.fill(".sf-quick-create input", "Typed in one line")
    page.press(".sf-quick-create input", "Enter")

    card = page.locator('.sf-column-cards[data-stage="new"] .sf-card', has_text="Typed in one line")
    card.wait_for(state="visible")
    expect(page.locator('.sf-column[data-stage="new"] .sf-column-count')).to_have_text("1")
    assert page.input_value(".sf-quick-create input") == ""
    items = live.web.sf.records.list(live.web.sf.actor("boss"), "mini", "deal").items
    assert [(r["title"], r["stage"], r["assignee"]) for r in items] == [("Typed in one line", "new", "boris")]
    page.reload()
    assert page.locator(".sf-card", has_text="Typed in one line").is_visible()
    assert errors == []


def _this_month(day: int) -> dt.date:
    return dt.date.today().replace(day=day)


def test_bk24_ns06_the_calendar_shows_events_and_a_drag_reschedules_one(page_as, live, errors_of):
    due, moved_to = _this_month(10), _this_month(17)
    deal = live.web.create("boss", "deal", {"title": "Court hearing", "due": due.isoformat(),
                                            "priority": "high", "assignee": "boris"})
    page = page_as("boris")
    errors = errors_of(page)
    page.goto(f"{live.url}/mini/deal/calendar?field=due")

    event = page.locator(f'td[data-date="{due.isoformat()}"] .fc-event', has_text="Court hearing")
    event.wait_for(state="visible")
    assert "rgb(255, 0, 0)" in event.evaluate("e => getComputedStyle(e).backgroundColor + e.style.cssText")

    with _patch_of(page) as patch:
        _drag(page, event, page.locator(f'td[data-date="{moved_to.isoformat()}"]'))
    assert patch.value.status == 200
    page.locator(f'td[data-date="{moved_to.isoformat()}"] .fc-event', has_text="Court hearing").wait_for()

    page.reload()
    page.locator(f'td[data-date="{moved_to.isoformat()}"] .fc-event', has_text="Court hearing").wait_for()
    record = live.web.sf.records.get(live.web.sf.actor("boss"), "mini", "deal", deal["id"])
    assert record["due"] == moved_to.isoformat()
    assert errors == []


def test_ns06_a_refused_reschedule_reverts_with_the_message(page_as, live):
    due = _this_month(10)
    deal = live.web.create("boss", "deal", {"title": "Stale", "due": due.isoformat(), "assignee": "boris"})
    page = page_as("boris")
    page.goto(f"{live.url}/mini/deal/calendar?field=due")
    event = page.locator(f'td[data-date="{due.isoformat()}"] .fc-event', has_text="Stale")
    event.wait_for(state="visible")
    # Someone else saves the record meanwhile: the page's version is stale, the PATCH is refused.
    live.web.sf.records.update(live.web.sf.actor("boss"), "mini", "deal", deal["id"], {"notes": "changed"})

    with _patch_of(page) as patch:
        _drag(page, event, page.locator(f'td[data-date="{_this_month(17).isoformat()}"]'))
    assert patch.value.status == 409
    message = page.locator(".sf-calendar-message")
    message.wait_for(state="visible")
    assert "version" in message.inner_text()
    page.locator(f'td[data-date="{due.isoformat()}"] .fc-event', has_text="Stale").wait_for()
    assert live.web.sf.records.get(live.web.sf.actor("boss"), "mini", "deal", deal["id"])["due"] == due.isoformat()


def test_ns07_quick_create_on_a_calendar_day(page_as, live):
    day = _this_month(12)
    page = page_as("boris")
    page.goto(f"{live.url}/mini/deal/calendar?field=due")
    page.locator(".fc-daygrid-body").wait_for()

    page.locator(f'td[data-date="{day.isoformat()}"] .fc-daygrid-day-frame').click()
    page.fill(".sf-calendar-quick input", "Call back")
    page.press(".sf-calendar-quick input", "Enter")

    page.locator(f'td[data-date="{day.isoformat()}"] .fc-event', has_text="Call back").wait_for()
    items = live.web.sf.records.list(live.web.sf.actor("boss"), "mini", "deal").items
    assert [(r["title"], r["due"], r["assignee"]) for r in items] == [("Call back", day.isoformat(), "boris")]
