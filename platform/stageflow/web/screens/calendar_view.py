"""The calendar over a date or datetime field: ``/<app>/<entity>/calendar?field=``."""
from __future__ import annotations

from flask import Blueprint, abort


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/calendar", endpoint="calendar_view")
    def calendar_view(app: str, entity: str):
        abort(404)
