"""The record timeline (PL13) and the notification inbox (PL14).

Comments, system events and robot messages live in ``sf_comment``; field changes and stage
moves come from ``sf_history``. Robot and system messages can be hidden so people's
conversation stays readable. Notifications with the same key are coalesced while unread, so a
burst of identical events never multiplies them (BK27, NS08).
"""
from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from ..storage import platform_tables as st


class EntryKind(StrEnum):
    COMMENT = "comment"
    SYSTEM = "system"
    ROBOT = "robot"


def add_comment(conn: Connection, app: str, entity: str, record_id: int, body: str, *, author: str | None,
                kind: EntryKind = EntryKind.COMMENT, files: list[int] | None = None,
                now: dt.datetime) -> int:
    if not body or not body.strip():
        raise ValueError("a comment needs text")
    if len(body) > 100_000:
        raise ValueError("a comment is limited to 100,000 characters")
    return conn.execute(st.comments.insert(), {
        "app": app, "entity": entity, "record_id": record_id, "kind": kind.value, "author": author,
        "body": body, "files": json.dumps(files) if files else None, "created_at": now,
    }).inserted_primary_key[0]


def comments_of(conn: Connection, app: str, entity: str, record_id: int,
                include_robots: bool = True) -> list[dict[str, Any]]:
    c = st.comments
    query = select(c).where(c.c.app == app, c.c.entity == entity, c.c.record_id == record_id)
    if not include_robots:
        query = query.where(c.c.kind == EntryKind.COMMENT.value)
    rows = conn.execute(query.order_by(c.c.id)).mappings().all()
    return [{"id": r["id"], "kind": r["kind"], "author": r["author"], "body": r["body"],
             "files": json.loads(r["files"]) if r["files"] else [],
             "at": r["created_at"].isoformat() + "Z"} for r in rows]


def notify(conn: Connection, username: str, title: str, *, body: str | None = None, app: str | None = None,
           entity: str | None = None, record_id: int | None = None, key: str | None = None,
           now: dt.datetime) -> int:
    """Put a notification in a user's inbox; an unread one with the same key is bumped instead."""
    n = st.notifications
    dedupe = (key or f"{app}:{entity}:{record_id}:{title}")[:200]
    existing = conn.execute(select(n.c.id, n.c.count).where(
        n.c.username == username, n.c.dedupe_key == dedupe, n.c.read_at.is_(None))).first()
    if existing is not None:
        conn.execute(n.update().where(n.c.id == existing.id).values(count=existing.count + 1, updated_at=now))
        return existing.id
    return conn.execute(n.insert(), {
        "username": username, "app": app, "entity": entity, "record_id": record_id, "title": title[:300],
        "body": body, "dedupe_key": dedupe, "count": 1, "created_at": now, "updated_at": now,
    }).inserted_primary_key[0]


def inbox(conn: Connection, username: str, unread_only: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    n = st.notifications
    query = select(n).where(n.c.username == username)
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    rows = conn.execute(query.order_by(n.c.id.desc()).limit(limit)).mappings().all()
    return [{"id": r["id"], "title": r["title"], "body": r["body"], "app": r["app"], "entity": r["entity"],
             "record_id": r["record_id"], "count": r["count"], "read": r["read_at"] is not None,
             "at": r["updated_at"].isoformat() + "Z"} for r in rows]


def mark_read(conn: Connection, username: str, notification_id: int, now: dt.datetime) -> bool:
    n = st.notifications
    result = conn.execute(n.update().where(n.c.id == notification_id, n.c.username == username,
                                           n.c.read_at.is_(None)).values(read_at=now))
    return result.rowcount == 1
