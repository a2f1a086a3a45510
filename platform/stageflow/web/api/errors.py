"""Every API error is JSON: ``{"message": ..., "errors": {field: message}}``.

Engine exceptions map to statuses in one table, so every route answers the same way:
400 bad filter/cursor/JSON, 401 no or invalid login, 403 no right, 404 unknown app, entity or
record, 409 stale version or refused stage move, 422 invalid values.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ...data import (
    FilterError,
    RecordConflict,
    RecordNotFound,
    RecordValidationError,
    StageMoveRefused,
)
from ...data.attachments import AttachmentRefused
from ...data.catalog import UnknownApp, UnknownEntity
from ...data.comments import CommentRefused
from ...data.files import FileRefused
from ...security import AccessDenied

log = logging.getLogger(__name__)
API_PREFIX = "/api/"


class ApiError(Exception):
    """An error a route raises to answer with ``status`` and a JSON body."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.errors, self.extra = status, message, errors, extra


def error_response(status: int, message: str, errors: dict[str, str] | None = None, **extra: Any):
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stageflow"'
    return response


def _validation(exc: RecordValidationError):
    fields = ", ".join(exc.errors)
    return error_response(422, f"{exc.entity}: invalid values ({fields})", exc.errors)


def _stage_move(exc: StageMoveRefused):
    message = str(exc)
    fields = list(exc.fields)
    return error_response(409, message, {f: message for f in fields} or None, fields=fields)


def _conflict(exc: RecordConflict):
    return error_response(409, str(exc), current_version=exc.current_version)


HANDLERS = {
    ApiError: lambda e: error_response(e.status, e.message, e.errors, **e.extra),
    RecordValidationError: _validation,
    StageMoveRefused: _stage_move,
    RecordConflict: _conflict,
    RecordNotFound: lambda e: error_response(404, str(e)),
    UnknownApp: lambda e: error_response(404, str(e)),
    UnknownEntity: lambda e: error_response(404, str(e)),
    AccessDenied: lambda e: error_response(403, str(e)),
    FilterError: lambda e: error_response(400, str(e)),
    FileRefused: lambda e: error_response(413, str(e)),
    CommentRefused: lambda e: error_response(422, str(e), e.errors),
    AttachmentRefused: lambda e: error_response(422, str(e), e.errors),
}


def register_error_handlers(app: Flask, blueprint) -> None:
    for exc_type, handler in HANDLERS.items():
        blueprint.register_error_handler(exc_type, handler)

    @blueprint.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        log.exception("API request %s %s failed", request.method, request.path)
        return error_response(500, "internal error; the server log has the details")

    # Routing errors (no such URL or method) happen before any blueprint is chosen.
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith(API_PREFIX):
            return exc
        response = error_response(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
