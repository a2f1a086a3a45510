"""Issue 3, item 5: the calendar over a date or datetime field, ``/<app>/<entity>/calendar``.

The page carries FullCalendar and the field/color choice; its events come from the JSON feed
``/calendar/events`` for the visible range, read through the RecordService (record rules
apply) and colored by a select field's choice colors (BK24, BK36, NS06). Dragging is proved in
tests/browser/test_board_and_calendar.py.
"""
from __future__ import annotations

from stageflow.web.screens.record_display import PALETTE

DECEMBER = "start=2026-11-30T00:00:00%2B03:00&end=2027-01-11T00:00:00%2B03:00"


def _events(client, query: str) -> list[dict]:
    response = client.get(f"/mini/deal/calendar/events?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_bk24_events_of_the_visible_range_colored_by_the_select_fields_choices(web):
    high = web.create("boss", "deal", {"title": "Hearing", "due": "2026-12-10", "priority": "high"})
    low = web.create("boss", "deal", {"title": "Call", "due": "2026-12-20", "priority": "low"})
    web.create("boss", "deal", {"title": "Next year", "due": "2027-02-01"})
    web.create("boss", "deal", {"title": "No date"})

    events = _events(web.browser("boss"), DECEMBER)  # due and priority: the entity's defaults

    assert [(e["id"], e["title"], e["start"], e["allDay"]) for e in events] == [
        (str(high["id"]), "Hearing", "2026-12-10", True), (str(low["id"]), "Call", "2026-12-20", True)]
    assert events[0]["backgroundColor"] == "#ff0000"  # the color the "high" choice declares
    assert events[1]["backgroundColor"] == PALETTE[0]  # "low" declares none: the first palette color
    assert events[0]["url"] == f"/mini/deal/{high['id']}"  # a click opens the card
    assert events[0]["extendedProps"]["version"] == high["version"]


def test_ns06_a_datetime_field_and_coloring_switched_off(sqlite_web):
    meeting = sqlite_web.create("boss", "deal", {"title": "Meeting", "meeting_at": "2026-12-11T10:00:00Z",
                                                 "priority": "high", "due": "2027-05-05"})
    sqlite_web.create("boss", "deal", {"title": "Later", "meeting_at": "2027-03-01T10:00:00Z"})
    client = sqlite_web.browser("boss")

    events = _events(client, f"field=meeting_at&color=&{DECEMBER}")

    assert [(e["id"], e["start"], e["allDay"]) for e in events] == [(str(meeting["id"]), "2026-12-11T10:00:00Z", False)]
    assert events[0]["backgroundColor"] == "#3a87ad"  # no color field: one color for all
    # A range ending before the meeting (the end is UTC 09:00 once its offset is applied).
    assert _events(client, "field=meeting_at&start=2026-12-11T00:00:00Z&end=2026-12-11T12:00:00%2B03:00") == []


def test_bk36_calendar_page_offers_date_fields_colors_and_a_legend(sqlite_web):
    html = sqlite_web.browser("boris").get("/mini/deal/calendar?field=meeting_at").get_data(as_text=True)

    assert 'data-field="meeting_at" data-kind="datetime"' in html
    assert '<option value="due">Due date</option><option value="meeting_at" selected>Meeting</option>' in html
    assert '<option value="priority" selected>Priority</option>' in html  # views.calendar.color_field
    assert 'style="background-color: #ff0000"></span>high</li>' in html
    assert 'data-can-move="true"' in html and "sf-calendar-quick" in html
    assert "vendor/fullcalendar/index.global.min.js" in html
    assert '<li class="active"><a href="/mini/deal/calendar"' in html


def test_calendar_shows_only_records_the_user_may_see(web):
    mine = web.create("boss", "deal", {"title": "Mine", "due": "2026-12-10", "assignee": "boris"})
    web.create("boss", "deal", {"title": "Carl's", "due": "2026-12-10", "assignee": "carl"})

    events = _events(web.browser("boris"), DECEMBER)

    assert [e["id"] for e in events] == [str(mine["id"])]


def test_calendar_titles_travel_as_json_text(sqlite_web):
    sqlite_web.create("boss", "deal", {"title": "<script>alert(1)</script>", "due": "2026-12-10"})

    events = _events(sqlite_web.browser("boss"), DECEMBER)

    # JSON text; FullCalendar sets it as text content, never as HTML.
    assert events[0]["title"] == "<script>alert(1)</script>"


def test_calendar_requires_login(assert_needs_login):
    assert_needs_login("/mini/deal/calendar", f"/mini/deal/calendar/events?{DECEMBER}")


def test_unknown_or_unfit_fields_are_404_and_a_bad_range_is_400(sqlite_web):
    client = sqlite_web.browser("boss")
    assert client.get("/mini/deal/calendar?field=nope").status_code == 404
    assert client.get("/mini/deal/calendar?field=title").status_code == 404  # not a date
    assert client.get("/mini/deal/calendar?color=title").status_code == 404  # not a select
    assert client.get("/mini/client/calendar").status_code == 404  # no date field at all
    response = client.get(f"/mini/deal/calendar/events?field=nope&{DECEMBER}")
    assert response.status_code == 404 and "nope" in response.get_json()["message"]
    response = client.get("/mini/deal/calendar/events?start=soon&end=2027-01-01")
    assert response.status_code == 400
    assert response.get_json()["message"] == "start: expected an ISO date or date-time, got 'soon'"
    response = client.get("/mini/deal/calendar/events?start=2027-01-01&end=2026-01-01")
    assert response.status_code == 400 and "end" in response.get_json()["message"]


def test_the_date_parameter_picks_the_day_the_calendar_opens_on(sqlite_web):
    client = sqlite_web.browser("boss")
    html = client.get("/mini/deal/calendar?field=due&date=2026-03-15").get_data(as_text=True)
    assert 'data-initial-date="2026-03-15"' in html
    assert '<input type="hidden" name="date" value="2026-03-15">' in html  # kept when the field changes
    assert 'data-initial-date=""' in client.get("/mini/deal/calendar").get_data(as_text=True)  # today
    response = client.get("/mini/deal/calendar?date=March")
    assert response.status_code == 400
    assert "date: expected an ISO date (YYYY-MM-DD), got &#39;March&#39;" in response.get_data(as_text=True)
