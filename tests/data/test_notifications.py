"""PL14: the inbox service acts on the actor's own notifications only."""
from __future__ import annotations

from stageflow.data.timeline import notify
from stageflow.storage.database import write_transaction


def _notify(sf, username: str, title: str, **more) -> int:
    with write_transaction(sf.db) as conn:
        return notify(conn, username, title, now=sf.clock(), **more)


def test_the_inbox_lists_and_counts_the_actors_own_notifications(sf):
    first = _notify(sf, "boris", "Deal assigned", app="mini", entity="deal", record_id=1)
    _notify(sf, "boris", "Deal assigned", app="mini", entity="deal", record_id=1)  # coalesced while unread
    second = _notify(sf, "boris", "Report ready")
    _notify(sf, "anna", "Only for Anna")
    boris = sf.actor("boris")
    assert [(n["id"], n["count"]) for n in sf.inbox.items(boris)] == [(second, 1), (first, 2)]
    assert [n["id"] for n in sf.inbox.items(boris, limit=1)] == [second]
    assert sf.inbox.unread_count(boris) == 2 and sf.inbox.unread_count(sf.actor("anna")) == 1


def test_one_user_cannot_mark_anothers_notification_read(sf):
    annas = _notify(sf, "anna", "Only for Anna")
    boris_note = _notify(sf, "boris", "For Boris")
    boris, anna = sf.actor("boris"), sf.actor("anna")
    assert sf.inbox.mark_read(boris, annas) is False
    assert sf.inbox.unread_count(anna) == 1
    assert sf.inbox.mark_read(boris, boris_note) is True
    assert sf.inbox.mark_read(boris, boris_note) is False  # read already
    assert [n["read"] for n in sf.inbox.items(boris)] == [True]
    assert sf.inbox.items(boris, unread_only=True) == []


def test_mark_all_read_touches_only_the_actors_inbox(sf):
    for title in ("One", "Two"):
        _notify(sf, "boris", title)
    _notify(sf, "anna", "Anna's")
    assert sf.inbox.mark_all_read(sf.actor("boris")) == 2
    assert sf.inbox.unread_count(sf.actor("boris")) == 0
    assert sf.inbox.unread_count(sf.actor("anna")) == 1
