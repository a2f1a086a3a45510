"""The builder's API: drafts of app metadata, live checks, preview and publish (PL24).

Under ``/api/v1/_meta``, beside the metadata API. An admin's edits collect in the app's draft
(saving an invalid document is allowed: it is work in progress, answered with every problem of
the draft); ``.../draft/check`` validates a document as if it were saved, storing nothing, while
the admin types; ``.../draft/preview`` tells what publishing would change and ``.../draft/publish``
installs the draft through the installer, refused with 409 when the app changed since the draft
was opened. Every change goes through :class:`~stageflow.data.drafts.DraftService`; who may do
what is decided there.
"""
from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from flask import Blueprint, jsonify, request

from ...core.problems import MetadataError, Problem
from ...data.drafts import AppExists, Draft, DraftConflict, DraftPreview, NoDraft
from ...data.schema_sync import SchemaChangeRefused
from ...data.versions import MESSAGE_MAX_LENGTH
from ...metadata.editing import EditRefused
from ...metadata.form_schemas import builder_forms
from ..extension import stageflow_engine
from .auth import current_actor
from .errors import ApiError
from .metadata_api import META
from .records import json_body

DRAFTS = "/_meta/drafts"
DRAFT = f"{META}/<app>/draft"


def problems_json(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"path": p.path, "pointer": p.pointer or "/", "code": p.code.value, "message": p.message}
            for p in problems]


def _draft_json(draft: Draft, problems: list[Problem]) -> dict[str, Any]:
    engine = stageflow_engine()
    installed = engine.catalog.get(draft.app).revision if draft.app in engine.catalog.names() else 0
    return {"app": draft.app, "base_revision": draft.base_revision, "installed_revision": installed,
            "documents": draft.documents, "problems": problems_json(problems),
            "updated_at": draft.updated_at.isoformat(), "updated_by": draft.updated_by}


def _preview_json(preview: DraftPreview) -> dict[str, Any]:
    body = asdict(preview)
    body["problems"] = problems_json(preview.problems)
    return body


def _base_revision(body: dict[str, Any] | None) -> int | None:
    """The draft revision the editor last read, from the body or the ``base_revision`` query."""
    value = (body or {}).get("base_revision", request.args.get("base_revision"))
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise ApiError(400, "base_revision must be a revision number", {"base_revision": "not a number"})
    return int(value)


def version_message(body: dict[str, Any]) -> str | None:
    """The optional ``message`` of a publish or rollback: text of at most a short paragraph."""
    message = body.get("message")
    if message is None:
        return None
    if not isinstance(message, str):
        raise ApiError(400, "message must be text", {"message": "not a string"})
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ApiError(400, f"message is longer than {MESSAGE_MAX_LENGTH} characters", {"message": "too long"})
    return message.strip() or None


def _edited(app: str, edit) -> dict[str, Any]:
    """Run one edit of the draft; answer with the draft and every problem it has now."""
    engine, actor = stageflow_engine(), current_actor()
    try:
        draft = edit(engine.drafts, actor)
    except DraftConflict as exc:
        raise ApiError(409, f"{exc}; reload the draft", current_revision=exc.current) from None
    except EditRefused as exc:
        raise ApiError(400, str(exc)) from None
    return _draft_json(draft, engine.drafts.validate(actor, app))


def register(bp: Blueprint) -> None:
    @bp.get("/_meta/forms")
    def meta_forms():
        current_actor()
        engine = stageflow_engine()
        return jsonify(builder_forms(engine.schemas, engine.kinds))

    @bp.get(DRAFTS)
    def drafts_list():
        actor = current_actor()
        drafted = stageflow_engine().drafts.drafted_apps(actor)
        return jsonify(items=[{"app": app, "base_revision": base} for app, base in sorted(drafted.items())],
                       may_create=actor.unrestricted)

    @bp.post(DRAFTS)
    def drafts_create():
        manifest = json_body().get("manifest")
        engine, actor = stageflow_engine(), current_actor()
        try:
            draft = engine.drafts.create(actor, manifest)
        except AppExists as exc:
            raise ApiError(409, str(exc)) from None
        except EditRefused as exc:
            raise ApiError(400, str(exc)) from None
        response = jsonify(_draft_json(draft, engine.drafts.validate(actor, draft.app)))
        response.status_code = 201
        return response

    @bp.get(DRAFT)
    def draft_open(app: str):
        return jsonify(_edited(app, lambda drafts, actor: drafts.open(actor, app)))

    @bp.delete(DRAFT)
    def draft_discard(app: str):
        stageflow_engine().drafts.discard(current_actor(), app)
        return "", 204

    @bp.put(f"{DRAFT}/documents/<path:path>")
    def draft_put_document(app: str, path: str):
        body = json_body()
        if "document" not in body:
            raise ApiError(400, "the body must hold the document under 'document'", {"document": "missing"})
        base = _base_revision(body)
        return jsonify(_edited(app, lambda drafts, actor: drafts.put_document(
            actor, app, path, body["document"], base_revision=base)))

    @bp.delete(f"{DRAFT}/documents/<path:path>")
    def draft_remove_document(app: str, path: str):
        base = _base_revision(None)
        return jsonify(_edited(app, lambda drafts, actor: drafts.remove_document(actor, app, path, base_revision=base)))

    @bp.post(f"{DRAFT}/check")
    def draft_check(app: str):
        body = json_body()
        path = body.get("path")
        if not isinstance(path, str) or "document" not in body:
            raise ApiError(400, "the body must hold 'path' (a bundle path) and 'document'")
        started = time.perf_counter()
        try:
            problems = stageflow_engine().drafts.check(current_actor(), app, path, body["document"])
        except EditRefused as exc:
            raise ApiError(400, str(exc)) from None
        return jsonify(problems=problems_json(problems),
                       elapsed_ms=round((time.perf_counter() - started) * 1000, 1))

    @bp.get(f"{DRAFT}/preview")
    def draft_preview(app: str):
        return jsonify(_preview_json(stageflow_engine().drafts.preview(current_actor(), app)))

    @bp.post(f"{DRAFT}/publish")
    def draft_publish(app: str):
        body = json_body()
        base = _base_revision(body)
        if base is None:
            raise ApiError(400, "publish needs the draft's base_revision", {"base_revision": "missing"})
        engine = stageflow_engine()
        try:
            result = engine.drafts.publish(current_actor(), app, base, version_message(body))
        except DraftConflict as exc:
            raise ApiError(409, f"{exc}; nothing was published, the draft is kept",
                           current_revision=exc.current) from None
        except NoDraft as exc:
            raise ApiError(404, str(exc)) from None
        except MetadataError as exc:
            raise ApiError(422, f"the draft of {app!r} has {len(exc.problems)} problem(s); nothing was published",
                           problems=problems_json(exc.problems)) from None
        except SchemaChangeRefused as exc:
            raise ApiError(409, f"{exc}; nothing was published") from None
        return jsonify(app=result.app, revision=result.revision, unchanged=result.unchanged)
