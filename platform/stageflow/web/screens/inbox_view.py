"""The current user's notification inbox (PL14): ``/inbox/``, newest first, mark read.

The automation writes notifications (``sf_notification``); this screen only reads and marks
them, through :mod:`stageflow.data.notifications`, and only the user's own.
"""
from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from ...data.notifications import inbox, mark_all_read, mark_read, unread_count
from ...storage.database import read_connection, write_transaction
from ..menu import current_actor_or_none
from ..security import stageflow_engine
from .context import LoginRequired
from .rendering import render_screen

INBOX_SIZE = 100


def _username() -> str:
    actor = current_actor_or_none()
    if actor is None:
        raise LoginRequired()
    return actor.username


def _record_url(item: dict) -> str | None:
    if item["app"] and item["entity"] and item["record_id"]:
        return url_for("stageflow_screens.card_view", app=item["app"], entity=item["entity"],
                       record_id=item["record_id"])
    return None


def show_inbox():
    username = _username()
    unread_only = request.args.get("unread") == "1"
    with read_connection(stageflow_engine().db) as conn:
        items = inbox(conn, username, unread_only=unread_only, limit=INBOX_SIZE)
        unread = unread_count(conn, username)
    entries = [(item, _record_url(item)) for item in items]
    return render_screen("inbox.html", None, entries=entries, unread=unread, unread_only=unread_only)


def read_one(notification_id: int):
    username = _username()
    engine = stageflow_engine()
    with write_transaction(engine.db) as conn:
        mark_read(conn, username, notification_id, engine.clock())
    return redirect(url_for("stageflow_screens.inbox", **request.args))


def read_all():
    username = _username()
    engine = stageflow_engine()
    with write_transaction(engine.db) as conn:
        mark_all_read(conn, username, engine.clock())
    return redirect(url_for("stageflow_screens.inbox"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/inbox/", "inbox", show_inbox, methods=["GET"])
    bp.add_url_rule("/inbox/<int:notification_id>/read", "inbox_read", read_one, methods=["POST"])
    bp.add_url_rule("/inbox/read-all", "inbox_read_all", read_all, methods=["POST"])
    bp.add_url_rule("/notifications/", "notifications", lambda: redirect(url_for("stageflow_screens.inbox")))
