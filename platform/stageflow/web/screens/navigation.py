"""The views an entity offers (list, a kanban per pipeline, a calendar per date field) and their URLs.

One place knows the URL scheme of the screens, so the menu, the view tabs and links between
screens agree. The screen routes are generic: ``/<app>/<entity>/`` and below.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext

from .context import ScreenContext

DATE_KINDS = frozenset({"date", "datetime"})


@dataclass(frozen=True)
class ViewLink:
    kind: str  # "list", "board" or "calendar"
    label: str
    url: str


def list_url(app: str, entity: str, **query) -> str:
    return url_for("stageflow_screens.list_view", app=app, entity=entity, **query)


def card_url(app: str, entity: str, record_id: int) -> str:
    return url_for("stageflow_screens.card_view", app=app, entity=entity, record_id=record_id)


def new_card_url(app: str, entity: str, **query) -> str:
    return url_for("stageflow_screens.new_card", app=app, entity=entity, **query)


def board_url(app: str, entity: str, pipeline: str | None = None) -> str:
    query = {"pipeline": pipeline} if pipeline else {}
    return url_for("stageflow_screens.board_view", app=app, entity=entity, **query)


def calendar_url(app: str, entity: str, field: str | None = None) -> str:
    query = {"field": field} if field else {}
    return url_for("stageflow_screens.calendar_view", app=app, entity=entity, **query)


def date_fields(screen: ScreenContext) -> list:
    return [f for f in screen.entity.fields if f.kind in DATE_KINDS]


def entity_views(screen: ScreenContext) -> list[ViewLink]:
    app, entity = screen.app_name, screen.entity_name
    views = [ViewLink("list", gettext("List"), list_url(app, entity))]
    for pipeline in screen.entity.pipelines:
        views.append(ViewLink("board", screen.label(pipeline.label, pipeline.name), board_url(app, entity, pipeline.name)))
    if date_fields(screen):
        views.append(ViewLink("calendar", gettext("Calendar"), calendar_url(app, entity)))
    return views
