"""Per-user screen preferences (the list's columns, saved filters), one JSON value per key.

Keys name what they configure, e.g. ``list.columns:<app>.<entity>``; a missing or unreadable
value reads as the caller's default, so a broken preference never breaks a screen.
:class:`UserSettings` keys every value by the actor, so one user never reads or changes
another's.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..security import Actor
from ..storage import platform_tables as st
from ..storage.database import read_connection, write_transaction

MAX_VALUE_CHARS = 100_000


def read_setting(conn: Connection, username: str, key: str, default: Any = None) -> Any:
    s = st.user_settings
    text = conn.execute(select(s.c.value).where(s.c.username == username, s.c.key == key)).scalar()
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def write_setting(conn: Connection, username: str, key: str, value: Any, now: dt.datetime) -> None:
    """Store ``value`` (JSON-serializable) under ``key``; ``None`` removes the setting."""
    s = st.user_settings
    where = (s.c.username == username, s.c.key == key)
    if value is None:
        conn.execute(s.delete().where(*where))
        return
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_VALUE_CHARS:
        raise ValueError(f"setting {key!r} is too large ({len(text)} characters, at most {MAX_VALUE_CHARS})")
    updated = conn.execute(s.update().where(*where).values(value=text, updated_at=now))
    if updated.rowcount == 0:
        conn.execute(s.insert(), {"username": username, "key": key, "value": text, "updated_at": now})


class UserSettings:
    """The actor's own settings: read with a default, write (``None`` removes)."""

    def __init__(self, db: Engine, clock: Callable[[], dt.datetime]):
        self.db, self.clock = db, clock

    def read(self, actor: Actor, key: str, default: Any = None) -> Any:
        with read_connection(self.db) as conn:
            return read_setting(conn, actor.username, key, default)

    def write(self, actor: Actor, key: str, value: Any) -> None:
        with write_transaction(self.db) as conn:
            write_setting(conn, actor.username, key, value, self.clock())
