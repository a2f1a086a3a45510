"""The metadata API: read and change an installed app's configuration while the server runs.

``/api/v1/_meta/apps`` lists the installed apps; ``/api/v1/_meta/apps/<app>`` reads the current
revision's documents (GET) or installs new ones (PUT); ``.../entities/<entity>/fields`` adds a
field (POST). Only platform administrators and the app's administrator roles may change an app.
Every change is validated in full and installed in one transaction by the installer: a refused
change answers 422 with every problem (path, pointer, code, message) and changes nothing. The
leading underscore keeps these URLs apart from the record routes (app names start with a letter).
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from ...core.problems import MetadataError
from ...core.specs import label_text
from ...data.schema_sync import SchemaChangeRefused
from ...metadata.editing import EditRefused, NoSuchEntity, bundle_with_documents, bundle_with_field, documents_of
from ...security.permissions import AccessDenied, may_configure
from ..extension import stageflow_engine
from .auth import current_actor
from .errors import ApiError
from .records import json_body

META = "/_meta/apps"


def _loaded(app: str):
    engine = stageflow_engine()
    if app not in engine.catalog.names():
        raise ApiError(404, f"there is no app {app!r}")
    return engine.catalog.get(app)


def _install(app: str, bundle) -> dict:
    engine = stageflow_engine()
    actor = current_actor()
    if not may_configure(actor, engine.catalog.get(app).spec):
        raise AccessDenied(f"{actor.username} may not change the configuration of app {app!r}")
    try:
        result = engine.install(bundle, actor=actor.username)
    except MetadataError as exc:
        problems = [{"path": p.path, "pointer": p.pointer or "/", "code": p.code.value, "message": p.message}
                    for p in exc.problems]
        raise ApiError(422, f"the metadata of {app!r} was refused: {len(problems)} problem(s); nothing changed",
                       problems=problems) from None
    except SchemaChangeRefused as exc:
        raise ApiError(409, f"{exc}; nothing changed") from None
    engine.catalog.refresh()
    return {"app": result.app, "revision": result.revision, "unchanged": result.unchanged}


def register(bp: Blueprint) -> None:
    @bp.get(META)
    def meta_apps():
        actor = current_actor()
        engine = stageflow_engine()
        items = []
        for name in engine.catalog.names():
            loaded = engine.catalog.get(name)
            if actor.unrestricted or actor.roles_in(name):
                items.append({"name": name, "label": label_text(loaded.spec.label, loaded.spec.default_locale, default=name),
                              "version": loaded.spec.version, "revision": loaded.revision,
                              "configurable": may_configure(actor, loaded.spec)})
        return jsonify(items=items)

    @bp.get(f"{META}/<app>")
    def meta_app(app: str):
        actor = current_actor()
        loaded = _loaded(app)
        if not may_configure(actor, loaded.spec):
            raise AccessDenied(f"{actor.username} may not read the configuration of app {app!r}")
        return jsonify(app=app, revision=loaded.revision, documents=documents_of(loaded.bundle))

    @bp.put(f"{META}/<app>")
    def meta_replace(app: str):
        body = json_body()
        loaded = _loaded(app)
        try:
            bundle = bundle_with_documents(loaded.bundle, app, body.get("documents"))
        except EditRefused as exc:
            raise ApiError(400, str(exc)) from None
        return jsonify(_install(app, bundle))

    @bp.post(f"{META}/<app>/entities/<entity>/fields")
    def meta_add_field(app: str, entity: str):
        field = json_body()
        loaded = _loaded(app)
        try:
            bundle = bundle_with_field(loaded.bundle, app, entity, field)
        except EditRefused as exc:
            raise ApiError(404 if isinstance(exc, NoSuchEntity) else 400, str(exc)) from None
        response = jsonify({**_install(app, bundle), "field": field["name"]})
        response.status_code = 201
        return response
