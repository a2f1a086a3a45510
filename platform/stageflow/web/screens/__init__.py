"""The generated screens: list, card, kanban board, calendar and the notification inbox.

Every route is generic (``/<app>/<entity>/...``) and looks the spec up per request, because
Flask refuses new routes once it has served a request while apps are installed at runtime.
Screens read and write only through the RecordService and the data services, so permissions,
validation and stage gates are the same as for the API. Interactive parts (drag on the board
and calendar, quick create, inline saves) call the REST API with the session and the
``X-CSRFToken`` header.
"""
from __future__ import annotations

from flask import Blueprint, current_app

from . import board_view, calendar_view, card_view, inbox_view, list_view
from .context import LoginRequired, login_redirect

SCREEN_MODULES = (list_view, card_view, board_view, calendar_view, inbox_view)


def create_screens_blueprint() -> Blueprint:
    blueprint = Blueprint("stageflow_screens", __name__, template_folder="templates",
                          static_folder="static", static_url_path="/sf-static")
    for module in SCREEN_MODULES:
        module.register(blueprint)

    @blueprint.errorhandler(LoginRequired)
    def to_login(_exc):
        return login_redirect(current_app.appbuilder)

    return blueprint
