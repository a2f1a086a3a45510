"""The list screen of an entity: ``/<app>/<entity>/``."""
from __future__ import annotations

from flask import Blueprint

from ..security import stageflow_engine
from .context import screen_context
from .navigation import list_url
from .rendering import render_screen


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/", endpoint="list_view")
    def list_view(app: str, entity: str):
        screen = screen_context(app, entity)
        page = stageflow_engine().records.list(screen.actor, app, entity, limit=50)
        return render_screen("list.html", screen, page=page, active_url=list_url(app, entity))
