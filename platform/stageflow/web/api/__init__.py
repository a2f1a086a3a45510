"""The REST API under ``/api/v1`` (PL22): generic record routes, sub-resources, OpenAPI.

One blueprint, registered when the app is created; its routes look the app and entity up per
request, so apps installed while the server runs are served without a restart.
"""
from __future__ import annotations

from flask import Blueprint, Flask

from . import bulk, drafts_api, input_guard, metadata_api, openapi, records, rules_api, timeline, versions_api
from .errors import ApiError, register_error_handlers

API_URL_PREFIX = "/api/v1"


def create_api_blueprint(app: Flask) -> Blueprint:
    bp = Blueprint("stageflow_api", __name__, url_prefix=API_URL_PREFIX)
    for module in (openapi, metadata_api, drafts_api, versions_api, rules_api, timeline, records, bulk):
        module.register(bp)
    register_error_handlers(app, bp)
    input_guard.install(bp)
    return bp


__all__ = ["API_URL_PREFIX", "ApiError", "create_api_blueprint"]
