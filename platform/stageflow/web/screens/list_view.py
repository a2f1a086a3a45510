"""The list screen of an entity: ``/<app>/<entity>/``, its export and the user's list settings.

Rows come from ``RecordService.list`` (keyset pages, so deep pages stay fast), the total from
``RecordService.count``; filters, search and sort are URL parameters (see :mod:`.list_query`).
Bulk delete, assign and stage moves run in the browser against the REST API's bulk endpoint;
when it refuses, record by record, each refusal shown (``static/list.js``).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, redirect, request

from ...core.specs import Right
from ...core.system_fields import queryable_fields
from ...data.filters import FilterError
from ..extension import stageflow_engine
from . import list_settings
from .context import ScreenContext, screen_context
from .list_columns import CellText, Column, choose_columns, default_column_names, offered_columns
from .list_export import export_rows, to_csv, to_xlsx
from .list_filters import filter_controls
from .list_query import ListQuery, ListQueryError, parse_list_query, reversed_sort, row_cursor
from .navigation import card_url, list_url
from .quick_create import quick_create_defaults
from .rendering import render_screen

DEFAULT_PAGE_SIZE = 50
# Lists and files have no order; booleans are left out until keyset cursors can hold them.
UNSORTABLE_KINDS = frozenset({"multiselect", "checklist", "file", "child_table", "boolean"})
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class ListSetup:
    """Everything about a list that does not depend on the page: columns, filters, sort."""

    screen: ScreenContext
    offered: dict[str, Column]
    columns: list[Column]
    filterable: set[str]
    cells: CellText
    query: ListQuery


def list_setup(screen: ScreenContext) -> ListSetup:
    policy = stageflow_engine().catalog.context(screen.app_name, screen.entity_name).policy(screen.actor)
    never_filter = policy.ever_hidden() if policy.has_field_rules else set()
    always_hidden = policy.hidden_fields({}) if policy.has_field_rules else set()
    offered = offered_columns(screen, always_hidden)
    saved = list_settings.saved_columns(screen.actor, screen.app_name, screen.entity_name)
    columns = choose_columns(offered, saved, default_column_names(screen))
    filterable = {n for n in queryable_fields(screen.entity) if n not in never_filter}
    list_view = (screen.entity.views or {}).get("list", {})
    default_sort = list_view.get("sort") or ("sort_order,label" if screen.entity.is_handbook else "-id")
    page_size = int(list_view.get("page_size") or DEFAULT_PAGE_SIZE)
    try:
        query = parse_list_query(request.args, {n: f for n, f in queryable_fields(screen.entity).items()
                                                if n in filterable}, default_sort, page_size)
    except ListQueryError as exc:
        abort(400, description=str(exc))
    return ListSetup(screen, offered, columns, filterable, CellText(screen), query)


def _page(setup: ListSetup):
    """The rows to show and the cursors of the neighbouring pages."""
    screen, query = setup.screen, setup.query
    records = stageflow_engine().records
    common = dict(where=query.where, search=query.search, limit=query.limit)
    if query.before:
        page = records.list(screen.actor, screen.app_name, screen.entity_name, sort=reversed_sort(query.sort),
                            after=query.before, **common)
        items = list(reversed(page.items))
        has_previous, has_next = page.next_cursor is not None, True
    else:
        page = records.list(screen.actor, screen.app_name, screen.entity_name, sort=query.sort,
                            after=query.cursor, **common)
        items = page.items
        has_previous, has_next = query.cursor is not None, page.next_cursor is not None
    previous_cursor = row_cursor(query.sort, items[0]) if has_previous and items else None
    next_cursor = row_cursor(query.sort, items[-1]) if has_next and items else None
    total = records.count(screen.actor, screen.app_name, screen.entity_name, where=query.where,
                          search=query.search)
    return items, previous_cursor, next_cursor, total


def _bulk_options(screen: ScreenContext, setup: ListSetup) -> dict:
    user_fields = [c for c in setup.offered.values() if c.kind == "user" and screen.entity.has_field(c.name)]
    several = len(screen.entity.pipelines) > 1
    stages = []
    for pipeline in screen.entity.pipelines:
        for stage in pipeline.stages:
            label = screen.label(stage.label, stage.name)
            shown = f"{screen.label(pipeline.label, pipeline.name)}: {label}" if several else label
            stages.append((pipeline.name, stage.name, shown, label))
    users = sorted(setup.cells.users.items(), key=lambda item: item[1].lower())
    return {"user_fields": user_fields if screen.can(Right.UPDATE) else [], "users": users,
            "stages": stages if screen.can(Right.UPDATE) else [], "can_delete": screen.can(Right.DELETE)}


def render_list(app: str, entity: str):
    screen = screen_context(app, entity)
    setup = list_setup(screen)
    base = list_url(app, entity)
    error, status = None, 200
    try:
        items, previous_cursor, next_cursor, total = _page(setup)
    except FilterError as exc:
        items, previous_cursor, next_cursor, total, error, status = [], None, None, 0, str(exc), 400
    setup.cells.load_link_titles(stageflow_engine().records, setup.columns, items)
    rows = [(item, card_url(app, entity, item["id"]), [setup.cells.text(c, item.get(c.name)) for c in setup.columns])
            for item in items]
    chosen = [c.name for c in setup.columns]
    others = [c for c in setup.offered.values() if c.name not in chosen]
    return render_screen(
        "list.html", screen, active_url=base, base_url=base, query=setup.query, columns=setup.columns,
        other_columns=others, rows=rows, total=total, error=error,
        sortable={c.name for c in setup.columns if c.name in setup.filterable and c.kind not in UNSORTABLE_KINDS},
        previous_url=setup.query.link(base, cursor=None, before=previous_cursor) if previous_cursor else None,
        next_url=setup.query.link(base, cursor=next_cursor, before=None) if next_cursor else None,
        first_url=setup.query.link(base, cursor=None, before=None),
        filters=filter_controls(setup.columns, setup.cells, setup.filterable),
        saved_filters=list_settings.saved_filters(screen.actor, app, entity),
        can_export=screen.can(Right.EXPORT), can_create=screen.can(Right.CREATE),
        quick_create=quick_create_defaults(screen) if screen.can(Right.CREATE) and screen.entity.title_field else None,
        bulk=_bulk_options(screen, setup)), status


def export_list(app: str, entity: str, kind: str):
    screen = screen_context(app, entity)
    if kind not in EXPORT_TYPES:
        abort(404)
    if not screen.can(Right.EXPORT):
        abort(403, description="you may not export this list")
    setup = list_setup(screen)
    items = export_rows(stageflow_engine().records, screen.actor, app, entity, setup.query, setup.cells,
                        setup.columns)
    try:
        if kind == "csv":
            body = to_csv(setup.columns, setup.cells, items)
        else:
            body = to_xlsx(setup.columns, setup.cells, items, screen.entity_label_plural)
    except FilterError as exc:
        abort(400, description=str(exc))
    filename = f"{app}-{entity}.{kind}"
    return Response(body, mimetype=EXPORT_TYPES[kind],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def save_list_columns(app: str, entity: str):
    screen = screen_context(app, entity)
    setup = list_setup(screen)
    names = [n for n in request.form.getlist("column") if n in setup.offered]
    list_settings.save_columns(screen.actor, app, entity, None if "reset" in request.form else names)
    return redirect(setup.query.link(list_url(app, entity), cursor=None, before=None))


def save_list_filter(app: str, entity: str):
    screen = screen_context(app, entity)
    name = request.form.get("name", "")
    if request.form.get("action") == "delete":
        list_settings.delete_filter(screen.actor, app, entity, name)
        return redirect(list_url(app, entity))
    query = list_setup(screen).query.filter_query()
    try:
        list_settings.save_filter(screen.actor, app, entity, name, query)
    except list_settings.SettingError as exc:
        flash(str(exc), "danger")
    return redirect(f"{list_url(app, entity)}?{query}" if query else list_url(app, entity))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/<app>/<entity>/", "list_view", render_list, methods=["GET"])
    bp.add_url_rule("/<app>/<entity>/export.<kind>", "list_export", export_list, methods=["GET"])
    bp.add_url_rule("/<app>/<entity>/list/columns", "list_columns", save_list_columns, methods=["POST"])
    bp.add_url_rule("/<app>/<entity>/list/filters", "list_filters", save_list_filter, methods=["POST"])
