"""The OpenAPI 3.0 document of the REST API, generated per request from the installed apps.

``GET /api/v1/openapi.json`` describes every entity of every installed app (or of the apps
named in ``?app=``): one component schema per entity, the list/create/get/replace/update/
delete paths with their parameters and error responses, history, comments, attachments,
files, notifications and the JWT login. ``GET /api/v1/docs`` shows it in Swagger UI, served
from Flask-AppBuilder's bundled assets (no CDN).
"""
from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template_string,
    request,
    url_for,
)

from ...core.specs import EntitySpec, label_text
from ..extension import current_actor_or_none, stageflow_engine
from . import openapi_paths as paths
from .auth import current_actor
from .errors import ApiError
from .openapi_schemas import entity_schema

API_VERSION = "1"


def _components() -> dict[str, Any]:
    error = {"type": "object", "required": ["message"], "properties": {
        "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "field name -> what is wrong with it"},
        "fields": {"type": "array", "items": {"type": "string"}},
        "current_version": {"type": "integer", "nullable": True},
    }}
    described = {400: "Bad request: a malformed filter, cursor, parameter or body",
                 401: "Login required, or the access token is not valid",
                 403: "The caller's roles do not grant this",
                 404: "No such app, entity or record (or one the caller may not see)",
                 409: "The record changed meanwhile (stale version) or the stage move was refused",
                 413: "The file is too large",
                 422: "Invalid values; errors names each failing field"}
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                       "description": "access_token from POST /api/v1/security/login"}},
        "schemas": {"Error": error, **paths.shared_schemas()},
        "responses": {str(code): {"description": text, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for code, text in described.items()},
    }


def schema_name(app: str, entity: str) -> str:
    return f"{app}.{entity}"


def build_document(engine, apps: list[str] | None = None, server_url: str = "/") -> dict[str, Any]:
    """The whole document for the named installed apps (all when None)."""
    names = [n for n in engine.catalog.names() if apps is None or n in apps]
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Stageflow REST API", "version": API_VERSION,
                 "description": "Records of every installed app. Errors are JSON: "
                                "{\"message\", \"errors\": {field: message}}."},
        "servers": [{"url": server_url.rstrip("/") or "/"}],
        "security": [{"bearer": []}],
        "tags": [],
        "paths": paths.global_paths(),
        "components": _components(),
    }
    for app_name in names:
        spec = engine.catalog.get(app_name).spec
        locale = spec.default_locale
        for entity in spec.entities.values():
            name = schema_name(app_name, entity.name)
            doc["components"]["schemas"][name] = entity_schema(engine.kinds, entity, locale)
            tag = f"{app_name}.{entity.name}"
            doc["tags"].append({"name": tag, "description": _entity_title(spec, entity, locale)})
            doc["paths"].update(paths.entity_paths(engine.kinds, app_name, entity, name, tag, locale))
    return doc


def _entity_title(spec, entity: EntitySpec, locale: str) -> str:
    app_label = label_text(spec.label, locale, default=spec.name)
    return f"{app_label}: {label_text(entity.label, locale, default=entity.name)}"


SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stageflow API</title>
<link rel="stylesheet" href="{{ url_for('appbuilder.static', filename='css/swagger/swagger-ui.css') }}">
</head><body><div id="swagger-ui"></div>
<script src="{{ url_for('appbuilder.static', filename='js/swagger-ui-bundle.js') }}"></script>
<script src="{{ url_for('stageflow_api.docs_init') }}"></script>
</body></html>"""

SWAGGER_INIT = """window.ui = SwaggerUIBundle({url: %s, dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout", persistAuthorization: true});
"""


def register(bp: Blueprint) -> None:
    @bp.get("/openapi.json")
    def openapi_document():
        """The apps the caller works in (``?app=`` narrows them); login required like every route."""
        actor = current_actor()
        engine = stageflow_engine()
        mine = [n for n in engine.catalog.names() if actor.unrestricted or actor.roles_in(n)]
        wanted = request.args.getlist("app") or mine
        unknown = [a for a in wanted if a not in mine]
        if unknown:
            raise ApiError(404, f"no app {unknown[0]!r} is installed for you")
        return jsonify(build_document(engine, wanted, request.host_url))

    @bp.get("/docs")
    def docs():
        if current_actor_or_none() is None:
            login = current_app.appbuilder.sm.auth_view.endpoint + ".login"
            return redirect(url_for(login, next=request.full_path.rstrip("?")))
        return render_template_string(SWAGGER_PAGE)

    @bp.get("/docs/init.js")
    def docs_init():
        source = SWAGGER_INIT % json.dumps(url_for(".openapi_document"))
        return Response(source, mimetype="application/javascript")
