"""The current user's notification inbox: ``/notifications/``."""
from __future__ import annotations

from flask import Blueprint, abort


def register(bp: Blueprint) -> None:
    @bp.get("/notifications/", endpoint="inbox")
    def inbox():
        abort(404)
