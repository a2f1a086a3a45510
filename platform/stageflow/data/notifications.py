"""The notification inbox beyond one entry: how many are unread, and marking them all read (PL14).

Adding, listing and marking one notification live in :mod:`.timeline`, next to the timeline
the automation writes with them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select

from ..storage import platform_tables as st
from .timeline import inbox, mark_read

__all__ = ["inbox", "mark_all_read", "mark_read", "unread_count"]


def unread_count(conn: Connection, username: str) -> int:
    n = st.notifications
    return conn.execute(select(func.count()).select_from(n).where(
        n.c.username == username, n.c.read_at.is_(None))).scalar_one()


def mark_all_read(conn: Connection, username: str, now: dt.datetime) -> int:
    """Mark every unread notification of ``username`` read; returns how many were."""
    n = st.notifications
    result = conn.execute(n.update().where(n.c.username == username, n.c.read_at.is_(None)).values(read_at=now))
    return result.rowcount
