"""Bulk changes: ``POST /api/v1/<app>/<entity>/bulk``.

``{"ids": [1, 2], "values": {"stage": "won"}}`` changes every listed record;
``{"ids": [1, 2], "delete": true}`` deletes them. All or nothing, through the RecordService,
so every record meets the same rights, record rules, validation and stage gates as a single
PATCH or DELETE. The first refused record is answered like a single change of it would be
(409 refused move or stale version, 422 invalid values naming the fields, 404 a record the
caller cannot see) with ``record`` holding its id; nothing is changed then.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from ...core.system_fields import SYSTEM_SET_KEYS
from ...data import BulkRefused, RecordConflict, RecordNotFound, RecordValidationError, StageMoveRefused
from ...security import AccessDenied
from ..extension import stageflow_engine
from .auth import current_actor
from .errors import ApiError, error_response
from .records import json_body

BODY_KEYS = ("ids", "values", "delete")


def refused(exc: BulkRefused):
    reason, message, extra = exc.reason, str(exc), {"record": exc.record_id}
    if isinstance(reason, RecordValidationError):
        return error_response(422, message, reason.errors, **extra)
    if isinstance(reason, StageMoveRefused):
        fields = list(reason.fields)
        return error_response(409, message, {f: str(reason) for f in fields} or None, fields=fields, **extra)
    if isinstance(reason, RecordConflict):
        return error_response(409, message, current_version=reason.current_version, **extra)
    if isinstance(reason, RecordNotFound):
        return error_response(404, message, **extra)
    if isinstance(reason, AccessDenied):
        return error_response(403, message, **extra)
    return error_response(409, message, **extra)


def _body() -> tuple[list, dict | None, bool]:
    body = json_body()
    unknown = [key for key in body if key not in BODY_KEYS]
    if unknown:
        raise ApiError(400, f"unknown key {unknown[0]!r}; a bulk change takes ids and values, or ids and "
                            f"delete: true", {unknown[0]: "unknown key"})
    delete = body.get("delete", False)
    if not isinstance(delete, bool):
        raise ApiError(400, "delete must be true or false", {"delete": "expected true or false"})
    if delete and "values" in body:
        raise ApiError(400, "give values to change or delete: true, not both", {"values": "not with delete"})
    values = body.get("values")
    if not delete and not isinstance(values, dict):
        raise ApiError(422, "values: expected an object of field values", {"values": "expected an object"})
    return body.get("ids"), values, delete


def register(bp: Blueprint) -> None:
    bp.register_error_handler(BulkRefused, refused)

    @bp.post("/<app>/<entity>/bulk")
    def bulk_change(app: str, entity: str):
        actor = current_actor()
        ids, values, delete = _body()
        records = stageflow_engine().records
        if delete:
            return jsonify(deleted=records.bulk_delete(actor, app, entity, ids))
        # System keys a client copied from a record it read are left out, as in PATCH.
        values = {k: v for k, v in values.items() if k not in SYSTEM_SET_KEYS}
        return jsonify(items=records.bulk_update(actor, app, entity, ids, values))
