"""The card (record) screen: ``/<app>/<entity>/<id>`` and ``/<app>/<entity>/new``.

GET shows the record in its layout (BK38) with the timeline (PL13) and the field history; POST
saves the posted form through the RecordService (create, or update with the version the card
was read at as ``expected_version``). A refused save shows the card again with what the user
entered: validation errors on their fields, a conflict message when someone else saved first
(nothing is overwritten), a stage gate's message when the move is refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.datastructures import FileStorage

from ...core.fields import FileKind
from ...core.record_title import title_value
from ...core.specs import FieldSpec, Right
from ...data.files import FileRefused, safe_filename
from ...data.record_context import RecordConflict, RecordNotFound
from ...data.record_values import RecordValidationError
from ...data.stages import StageMoveRefused
from ...security import AccessDenied
from ..extension import stageflow_engine
from ..field_faces import current_field_faces
from .card_form import add_uploads, read_card_form, submitted_values
from .card_layout import STAGE
from .card_page import CardAccess, card_access, card_view, form_values
from .card_timeline import history_rows, timeline_entries
from .context import ScreenContext, screen_context
from .navigation import card_url, list_url, new_card_url
from .rendering import render_screen
from .widgets import initial_values

CONFLICT_MESSAGE = lazy_gettext("Someone else changed this record while you were editing it. Your changes were not "
                    "saved; reload the record to see theirs, then apply yours again.")


def _uploader(engine, screen: ScreenContext):
    kind = engine.kinds.fields.get(FileKind.kind)

    def store(spec: FieldSpec, upload: FileStorage) -> int:
        data = upload.read()
        name = safe_filename(upload.filename or "file")
        content_type = upload.mimetype or "application/octet-stream"
        refusal = kind.refusal(spec, name, content_type, len(data))
        if refusal:
            raise ValueError(refusal)
        try:
            return engine.files.put(name, content_type, data, screen.actor.username, engine.clock()).id
        except FileRefused as exc:
            raise ValueError(str(exc)) from None
    return store


def _title(screen: ScreenContext, record: dict[str, Any], record_id: int | None) -> str:
    if record_id is None:
        return gettext("New %(entity)s", entity=screen.entity_label)
    title = title_value(screen.entity, record)
    return title if title is not None else gettext("%(entity)s #%(id)d", entity=screen.entity_label, id=record_id)


@dataclass
class Refused:
    """A save the card shows again: what was entered, errors per field, a message on top."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    alert: str | None = None
    status: int = 422


def _save(engine, screen: ScreenContext, access: CardAccess, record_id: int | None) -> dict[str, Any] | Refused:
    """Save the posted form: the saved record, or why it was refused."""
    specs = access.editable_specs(screen)
    faces = current_field_faces()
    values = read_card_form(request.form, specs, faces)
    errors = add_uploads(values, request.files, specs, _uploader(engine, screen), faces)
    submission = submitted_values(values, specs, faces)
    if STAGE in access.editable and request.form.get(STAGE):
        values[STAGE] = submission[STAGE] = request.form[STAGE]
    if record_id is None and request.form.get("_pipeline"):
        submission["pipeline"] = request.form["_pipeline"]
    if errors:
        return Refused(values, errors)
    actor, app, entity = screen.actor, screen.app_name, screen.entity_name
    try:
        if record_id is None:
            return engine.records.create(actor, app, entity, submission)
        version = request.form.get("_version", type=int)
        return engine.records.update(actor, app, entity, record_id, submission, expected_version=version)
    except RecordValidationError as exc:
        return Refused(values, exc.errors)
    except RecordConflict:
        return Refused(values, alert=str(CONFLICT_MESSAGE), status=409)
    except StageMoveRefused as exc:
        return Refused(values, {name: gettext("is needed for this stage") for name in exc.fields}, str(exc))
    except AccessDenied as exc:
        abort(403, description=str(exc))


def _load(engine, screen: ScreenContext, record_id: int) -> dict[str, Any]:
    try:
        return engine.records.get(screen.actor, screen.app_name, screen.entity_name, record_id)
    except RecordNotFound:
        abort(404, description=f"{screen.entity_name} #{record_id} does not exist")


def _render(engine, screen, record, record_id, values, errors=None, alert=None, status=200):
    access = card_access(engine, screen, record, record_id is None)
    pipeline = record.get("pipeline") or request.values.get("_pipeline") or request.args.get("pipeline")
    view = card_view(engine, screen, access, values, errors, pipeline)
    history = [] if record_id is None else engine.records.history(
        screen.actor, screen.app_name, screen.entity_name, record_id)
    timeline = [] if record_id is None else timeline_entries(engine, screen, record_id, history)
    return render_screen(
        "card.html", screen, card=view, record=record, record_id=record_id, alert=alert,
        title=_title(screen, record, record_id), can_save=bool(access.editable), pipeline=pipeline,
        version=request.form.get("_version") or record.get("version"), card_link=card_url,
        hide_robots=request.args.get("robots") == "0",
        timeline=timeline, history=history_rows(screen, history),
        list_link=list_url(screen.app_name, screen.entity_name),
        new_link=new_card_url(screen.app_name, screen.entity_name) if screen.can(Right.CREATE) else None,
        active_url=None), status


def _show_or_save(engine, screen: ScreenContext, record: dict[str, Any], record_id: int | None, saved: str):
    """GET shows the card; POST saves it, then goes to the saved card with the ``saved`` notice or
    shows the card again with why it was refused. ``record_id`` None: a new record."""
    if request.method != "POST":
        return _render(engine, screen, record, record_id, form_values(screen, record))
    access = card_access(engine, screen, record, record_id is None)
    outcome = _save(engine, screen, access, record_id)
    if isinstance(outcome, Refused):
        return _render(engine, screen, record, record_id, outcome.values, outcome.errors, outcome.alert,
                       outcome.status)
    flash(saved, "success")
    saved_id = outcome["id"] if record_id is None else record_id
    return redirect(card_url(screen.app_name, screen.entity_name, saved_id))


def register(bp: Blueprint) -> None:
    @bp.route("/<app>/<entity>/new", methods=["GET", "POST"], endpoint="new_card")
    def new_card(app: str, entity: str):
        screen = screen_context(app, entity)
        if not screen.can(Right.CREATE):
            abort(403, description=f"you may not create {screen.entity_label} records")
        record = initial_values(list(screen.entity.fields), current_field_faces())
        return _show_or_save(stageflow_engine(), screen, record, None, gettext("%(entity)s created", entity=screen.entity_label))

    @bp.route("/<app>/<entity>/<int:record_id>", methods=["GET", "POST"], endpoint="card_view")
    def show_card(app: str, entity: str, record_id: int):
        screen = screen_context(app, entity)
        engine = stageflow_engine()
        return _show_or_save(engine, screen, _load(engine, screen, record_id), record_id, gettext("Saved"))

    @bp.get("/<app>/<entity>/<int:record_id>/timeline", endpoint="card_timeline")
    def card_timeline(app: str, entity: str, record_id: int):
        """The timeline panel alone, for the card's script to refresh after a comment."""
        screen = screen_context(app, entity)
        engine = stageflow_engine()
        _load(engine, screen, record_id)
        history = engine.records.history(screen.actor, app, entity, record_id)
        entries = timeline_entries(engine, screen, record_id, history)
        return render_template("stageflow/card_timeline.html", timeline=entries, record_id=record_id,
                               screen=screen)
