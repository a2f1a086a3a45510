"""Issue 3, item 7: the notification inbox screen (PL14): own notifications only, newest first,
mark one or all read."""
from __future__ import annotations

import datetime as dt
import re

from stageflow.data.notifications import unread_count
from stageflow.data.timeline import notify
from stageflow.storage import platform_tables as st

ENTRY = re.compile(r'<li class="list-group-item sf-notification( sf-unread)?" data-id="(\d+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
T0 = dt.datetime(2026, 12, 1, 9, 0)


def _notify(web, username: str, title: str, minutes: int, **more) -> int:
    with web.sf.db.begin() as conn:
        return notify(conn, username, title, now=T0 + dt.timedelta(minutes=minutes), **more)


def entries(response) -> list[tuple[int, bool]]:
    """(id, unread) of the listed notifications, in page order."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [(int(i), bool(unread)) for unread, i in ENTRY.findall(response.get_data(as_text=True))]


def test_pl14_inbox_lists_own_notifications_newest_first(sqlite_web):
    deal = sqlite_web.create("boss", "deal", {"title": "Inbox deal", "assignee": "boris"})
    first = _notify(sqlite_web, "boris", "Deal assigned", 0, app="mini", entity="deal", record_id=deal["id"])
    second = _notify(sqlite_web, "boris", "Report <script>alert(1)</script>", 5, body="line one\nline two")
    _notify(sqlite_web, "anna", "Only for Anna", 1)
    client = sqlite_web.browser("boris")
    response = client.get("/inbox/")
    html = response.get_data(as_text=True)
    assert entries(response) == [(second, True), (first, True)]
    assert "Only for Anna" not in html
    assert "Report &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert f'href="/mini/deal/{deal["id"]}"' in html  # a notification about a record links to its card
    assert '<span class="badge sf-unread-count">2</span>' in html
    # The navbar's inbox entry shows the unread count on every screen.
    assert 'Inbox <span class="badge sf-inbox-badge">2</span>' in client.get("/mini/deal/").get_data(as_text=True)


def test_pl14_mark_one_and_all_read(sqlite_web):
    ids = [_notify(sqlite_web, "boris", f"Note {i}", i) for i in range(3)]
    anna_note = _notify(sqlite_web, "anna", "Anna's", 0)
    client = sqlite_web.browser("boris")
    token = CSRF_META.search(client.get("/inbox/").get_data(as_text=True)).group(1)
    assert client.post(f"/inbox/{ids[1]}/read", data={"csrf_token": token}).status_code == 302
    assert entries(client.get("/inbox/")) == [(ids[2], True), (ids[1], False), (ids[0], True)]
    assert entries(client.get("/inbox/?unread=1")) == [(ids[2], True), (ids[0], True)]
    # Someone else's notification cannot be marked through this inbox.
    client.post(f"/inbox/{anna_note}/read", data={"csrf_token": token})
    with sqlite_web.sf.db.connect() as conn:
        assert unread_count(conn, "anna") == 1
    assert client.post("/inbox/read-all", data={"csrf_token": token}).status_code == 302
    response = client.get("/inbox/")
    assert entries(response) == [(ids[2], False), (ids[1], False), (ids[0], False)]
    assert "sf-inbox-badge" not in response.get_data(as_text=True)
    with sqlite_web.sf.db.connect() as conn:
        assert unread_count(conn, "boris") == 0 and unread_count(conn, "anna") == 1
        read_at = conn.execute(st.notifications.select().where(st.notifications.c.id == anna_note)).first().read_at
    assert read_at is None
    # Without the CSRF token nothing changes.
    assert sqlite_web.browser("anna").post("/inbox/read-all").status_code == 400


def test_pl14_inbox_needs_login(sqlite_web):
    response = sqlite_web.browser().get("/inbox/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert sqlite_web.browser().post("/inbox/read-all").status_code in (302, 400)
    assert "No notifications." in sqlite_web.browser("carl").get("/inbox/").get_data(as_text=True)
