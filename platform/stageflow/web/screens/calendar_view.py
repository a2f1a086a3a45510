"""The calendar over a date or datetime field: ``/<app>/<entity>/calendar?field=&color=&date=``.

The page is FullCalendar (static/calendar.js); its events come from
``/<app>/<entity>/calendar/events``: the records whose date falls in the visible range, read
through the RecordService with a ``between`` filter (record and field rules apply), colored by
the choice colors of a select field (BK24, BK36, NS06). ``date`` (an ISO date) is the day the
calendar opens on, today without it, so a link can point at a month that has records. Dragging
an event PATCHes the date through the REST API, so a refused change reverts with the service's
message.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from ...core.specs import FieldSpec, Right
from ...data import FilterError
from ...data.records import MAX_PAGE
from ..extension import stageflow_engine
from .context import ScreenContext, screen_context
from .navigation import DATE_KINDS, calendar_url, card_url
from .quick_create import quick_create_defaults
from .record_display import Choice, choices, record_title, title_field
from .rendering import render_screen

# System date fields a calendar may show when the metadata lists them; they are not draggable.
SYSTEM_DATES = ("created_at", "updated_at", "stage_changed_at")
DEFAULT_EVENT_COLOR = "#3a87ad"


@dataclass(frozen=True)
class DateField:
    name: str
    label: str
    kind: str  # "date" or "datetime"
    editable: bool


def date_fields(screen: ScreenContext) -> list[DateField]:
    """The fields the calendar may show: ``views.calendar.date_fields`` first, then every other
    date or datetime field of the entity."""
    configured = list((screen.entity.views.get("calendar") or {}).get("date_fields") or ())
    own = [f.name for f in screen.entity.fields if f.kind in DATE_KINDS]
    result = []
    for name in dict.fromkeys(configured + own):
        spec = screen.field(name)
        if spec is not None and spec.kind in DATE_KINDS:
            result.append(DateField(name, screen.field_label(spec), spec.kind, True))
        elif name in SYSTEM_DATES:
            result.append(DateField(name, name.replace("_", " ").capitalize(), "datetime", False))
    return result


def chosen_field(screen: ScreenContext, name: str | None) -> DateField:
    fields = date_fields(screen)
    if not fields:
        abort(404, description=f"{screen.entity_name} has no date field, so no calendar")
    if not name:
        return fields[0]
    for candidate in fields:
        if candidate.name == name:
            return candidate
    abort(404, description=f"{screen.entity_name} has no date field {name!r}")


def select_fields(screen: ScreenContext) -> list[FieldSpec]:
    return [f for f in screen.entity.fields if f.kind == "select"]


def color_field(screen: ScreenContext, name: str | None) -> FieldSpec | None:
    """The select field coloring the events: ``color``, else ``views.calendar.color_field``;
    ``color=`` (empty) turns coloring off."""
    if name is None:
        name = (screen.entity.views.get("calendar") or {}).get("color_field")
    if not name:
        return None
    spec = screen.field(name)
    if spec is None or spec.kind != "select":
        abort(404, description=f"{screen.entity_name} has no select field {name!r} to color by")
    return spec


def parse_moment(text: str | None, what: str) -> dt.datetime:
    """An ISO date or date-time (with or without an offset) as a naive UTC date-time."""
    try:
        moment = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        abort(400, description=f"{what}: expected an ISO date or date-time, got {text!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def initial_date(text: str | None) -> str | None:
    """The ISO day the calendar opens on, or None (today) when ``date`` is absent or empty."""
    if not (text or "").strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        abort(400, description=f"date: expected an ISO date (YYYY-MM-DD), got {text!r}")


def visible_range(field: DateField) -> list[str]:
    start = parse_moment(request.args.get("start"), "start")
    end = parse_moment(request.args.get("end"), "end")
    if end < start:
        abort(400, description="end: must not be before start")
    if field.kind == "date":
        return [start.date().isoformat(), end.date().isoformat()]
    return [start.isoformat(), end.isoformat()]


def event(screen: ScreenContext, field: DateField, record: dict[str, Any], color: FieldSpec | None,
          palette: dict[str, Choice]) -> dict[str, Any]:
    choice = palette.get(record.get(color.name)) if color is not None else None
    tint = choice.color if choice else DEFAULT_EVENT_COLOR
    return {"id": str(record["id"]), "title": record_title(screen.entity, record),
            "start": record[field.name], "allDay": field.kind == "date",
            "url": card_url(screen.app_name, screen.entity_name, record["id"]),
            "backgroundColor": tint, "borderColor": tint,
            "extendedProps": {"version": record["version"], "choice": choice.label if choice else None}}


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/calendar", endpoint="calendar_view")
    def calendar_view(app: str, entity: str):
        screen = screen_context(app, entity)
        field = chosen_field(screen, request.args.get("field"))
        color = color_field(screen, request.args.get("color"))
        opens_on = initial_date(request.args.get("date"))
        title = title_field(screen.entity)
        legend = choices(screen.app, color, screen.label) if color is not None else []
        return render_screen("calendar.html", screen, field=field, fields=date_fields(screen),
                             color=color, colors=select_fields(screen), legend=legend, opens_on=opens_on,
                             title_field=title.name if title else None,
                             can_create=screen.can(Right.CREATE) and title is not None and field.editable,
                             can_move=screen.can(Right.UPDATE) and field.editable,
                             quick_defaults=quick_create_defaults(screen),
                             active_url=calendar_url(app, entity))

    @bp.get("/<app>/<entity>/calendar/events", endpoint="calendar_events")
    def calendar_events(app: str, entity: str):
        """FullCalendar's event feed: ``start`` and ``end`` bound the visible range."""
        screen = screen_context(app, entity)
        try:
            field = chosen_field(screen, request.args.get("field"))
            color = color_field(screen, request.args.get("color"))
            where = {"field": field.name, "op": "between", "value": visible_range(field)}
            page = stageflow_engine().records.list(screen.actor, app, entity, where=where,
                                                   sort=field.name, limit=MAX_PAGE)
        except FilterError as exc:
            return jsonify(message=str(exc)), 400
        except HTTPException as exc:  # a feed answers JSON, also when it refuses
            return jsonify(message=exc.description), exc.code
        palette = {c.value: c for c in choices(screen.app, color, screen.label)} if color is not None else {}
        return jsonify([event(screen, field, r, color, palette) for r in page.items
                        if r.get(field.name) is not None])
