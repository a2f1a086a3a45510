"""The current user's notification inbox (PL14): ``/inbox/``, newest first, mark read.

The automation writes notifications; this screen only reads and marks them, through the
engine's inbox service (:class:`stageflow.data.notifications.Inbox`), which acts on the user's
own only.
"""
from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from ...security import Actor
from ..extension import current_actor_or_none, stageflow_engine
from .context import LoginRequired
from .rendering import render_screen

INBOX_SIZE = 100


def _actor() -> Actor:
    actor = current_actor_or_none()
    if actor is None:
        raise LoginRequired()
    return actor


def _record_url(item: dict) -> str | None:
    if item["app"] and item["entity"] and item["record_id"]:
        return url_for("stageflow_screens.card_view", app=item["app"], entity=item["entity"],
                       record_id=item["record_id"])
    return None


def show_inbox():
    actor = _actor()
    unread_only = request.args.get("unread") == "1"
    notifications = stageflow_engine().inbox
    items = notifications.items(actor, unread_only=unread_only, limit=INBOX_SIZE)
    unread = notifications.unread_count(actor)
    entries = [(item, _record_url(item)) for item in items]
    return render_screen("inbox.html", None, entries=entries, unread=unread, unread_only=unread_only)


def read_one(notification_id: int):
    stageflow_engine().inbox.mark_read(_actor(), notification_id)
    return redirect(url_for("stageflow_screens.inbox", **request.args))


def read_all():
    stageflow_engine().inbox.mark_all_read(_actor())
    return redirect(url_for("stageflow_screens.inbox"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/inbox/", "inbox", show_inbox, methods=["GET"])
    bp.add_url_rule("/inbox/<int:notification_id>/read", "inbox_read", read_one, methods=["POST"])
    bp.add_url_rule("/inbox/read-all", "inbox_read_all", read_all, methods=["POST"])
    bp.add_url_rule("/notifications/", "notifications", lambda: redirect(url_for("stageflow_screens.inbox")))
