"""The notification inbox (PL14): an actor's own notifications, how many are unread, marking them read.

Adding a notification, listing and marking one live in :mod:`.timeline`, next to the timeline
the automation writes with them; :class:`Inbox` is the door for people, and it only ever acts on
the actor's own notifications.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ..security import Actor
from ..storage import platform_tables as st
from ..storage.database import read_connection, write_transaction
from .timeline import inbox, mark_read

__all__ = ["Inbox", "inbox", "mark_all_read", "mark_read", "unread_count"]


def unread_count(conn: Connection, username: str) -> int:
    n = st.notifications
    return conn.execute(select(func.count()).select_from(n).where(
        n.c.username == username, n.c.read_at.is_(None))).scalar_one()


def mark_all_read(conn: Connection, username: str, now: dt.datetime) -> int:
    """Mark every unread notification of ``username`` read; returns how many were."""
    n = st.notifications
    result = conn.execute(n.update().where(n.c.username == username, n.c.read_at.is_(None)).values(read_at=now))
    return result.rowcount


class Inbox:
    """The actor's notifications: newest first, the unread count, marking read."""

    def __init__(self, db: Engine, clock: Callable[[], dt.datetime]):
        self.db, self.clock = db, clock

    def items(self, actor: Actor, unread_only: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        with read_connection(self.db) as conn:
            return inbox(conn, actor.username, unread_only=unread_only, limit=limit)

    def unread_count(self, actor: Actor) -> int:
        with read_connection(self.db) as conn:
            return unread_count(conn, actor.username)

    def mark_read(self, actor: Actor, notification_id: int) -> bool:
        """False when the notification is not the actor's, does not exist or is read already."""
        with write_transaction(self.db) as conn:
            return mark_read(conn, actor.username, notification_id, self.clock())

    def mark_all_read(self, actor: Actor) -> int:
        with write_transaction(self.db) as conn:
            return mark_all_read(conn, actor.username, self.clock())
