"""Record routes: ``/api/v1/<app>/<entity>/`` and ``/api/v1/<app>/<entity>/<id>``.

The routes are generic: the app and entity are looked up in the catalog on every request, so
entities loaded while the server runs are served at once (Flask refuses new routes after the
first request). Every call goes through the RecordService, which checks rights, record rules
and field rules: a field hidden from the caller is absent from every answer.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request, url_for

from ...core.fields import MAX_RECORD_ID
from ...core.system_fields import SYSTEM_SET_KEYS
from ...data.records import MAX_PAGE
from ..extension import stageflow_engine
from .auth import current_actor
from .errors import ApiError

# Query parameters of the list that are not field filters.
LIST_PARAMETERS = frozenset({"where", "q", "sort", "limit", "cursor", "count"})
LIST_OPERATORS = frozenset({"in", "not_in", "between"})
DEFAULT_LIMIT = 50


def check_id(record_id: int) -> int:
    if not 1 <= record_id <= MAX_RECORD_ID:
        raise ApiError(404, f"record #{record_id} does not exist")
    return record_id


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def filter_tree(args, operators: frozenset[str]) -> dict[str, Any] | None:
    """``?where=<JSON>`` and ``?<field>=<v>`` / ``?<field>__<op>=<v>`` combined with ``all``."""
    conditions = []
    if args.get("where"):
        try:
            where = json.loads(args["where"])
        except ValueError:
            raise ApiError(400, "where: not valid JSON", {"where": "expected a JSON condition tree"}) from None
        if not isinstance(where, dict):
            raise ApiError(400, "where: expected a JSON object", {"where": "expected a JSON condition tree"})
        conditions.append(where)
    for key in args:
        if key in LIST_PARAMETERS:
            continue
        field, op = key, "eq"
        if "__" in key:
            head, _, tail = key.rpartition("__")
            if tail in operators:
                field, op = head, tail
        values = args.getlist(key)
        if len(values) > 1 and op not in LIST_OPERATORS:
            raise ApiError(400, f"{key}: given {len(values)} times; use {field}__in=a,b", {field: "given twice"})
        value: Any = values[0]
        if op in LIST_OPERATORS:
            value = [v for item in values for v in item.split(",")]
        elif op in ("is_empty", "is_not_empty"):
            value = None
        conditions.append({"field": field, "op": op, "value": value})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"all": conditions}


def _limit(args) -> int:
    raw = args.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_PAGE}", {"limit": "out of range"})
    return limit


def json_body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body


def expected_version(body: dict[str, Any] | None) -> int | None:
    """The version the client last read: ``"version"`` in the body or the If-Match header."""
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        text = header.removeprefix("W/").strip('"')
        if not text.isdigit():
            raise ApiError(400, "If-Match must hold the record's version, e.g. \"3\"", {"version": "not a number"})
        return int(text)
    if body is not None and body.get("version") is not None:
        version = body["version"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise ApiError(400, "version must be a whole number", {"version": "expected the version you read"})
        return version
    return None


def record_response(record: dict[str, Any], status: int = 200):
    response = jsonify(record)
    response.status_code = status
    if record.get("version") is not None:
        response.headers["ETag"] = f'"{record["version"]}"'
    return response


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/")
    def list_records(app: str, entity: str):
        actor = current_actor()
        engine = stageflow_engine()
        args = request.args
        where = filter_tree(args, frozenset(engine.kinds.operators.names()))
        search = args.get("q") or None
        page = engine.records.list(actor, app, entity, where=where, search=search, sort=args.get("sort") or None,
                                   limit=_limit(args), after=args.get("cursor") or None)
        body: dict[str, Any] = {"items": page.items, "next_cursor": page.next_cursor}
        if _truthy(args.get("count")):
            body["count"] = engine.records.count(actor, app, entity, where=where, search=search)
        return jsonify(body)

    @bp.post("/<app>/<entity>/")
    def create_record(app: str, entity: str):
        actor = current_actor()
        values = {k: v for k, v in json_body().items() if k not in SYSTEM_SET_KEYS}
        record = stageflow_engine().records.create(actor, app, entity, values)
        response = record_response(record, 201)
        response.headers["Location"] = url_for(".get_record", app=app, entity=entity, record_id=record["id"])
        return response

    @bp.get("/<app>/<entity>/<int:record_id>")
    def get_record(app: str, entity: str, record_id: int):
        actor = current_actor()
        return record_response(stageflow_engine().records.get(actor, app, entity, check_id(record_id)))

    @bp.patch("/<app>/<entity>/<int:record_id>")
    def patch_record(app: str, entity: str, record_id: int):
        actor = current_actor()
        body = json_body()
        version = expected_version(body)
        values = {k: v for k, v in body.items() if k not in SYSTEM_SET_KEYS}
        record = stageflow_engine().records.update(actor, app, entity, check_id(record_id), values,
                                                   expected_version=version)
        return record_response(record)

    @bp.put("/<app>/<entity>/<int:record_id>")
    def put_record(app: str, entity: str, record_id: int):
        """Replace the record's writable fields: a visible field left out is emptied."""
        actor = current_actor()
        engine = stageflow_engine()
        body = json_body()
        version = expected_version(body)
        current = engine.records.get(actor, app, entity, check_id(record_id))
        ctx = engine.catalog.context(app, entity)
        values: dict[str, Any] = {}
        known = set()
        for spec in ctx.entity.fields:
            known.add(spec.name)
            if not engine.kinds.fields.get(spec.kind).writable:
                continue
            if spec.name in body:
                values[spec.name] = body[spec.name]
            elif spec.name in current:
                values[spec.name] = [] if spec.kind == "child_table" else None
        for name in ("pipeline", "stage"):
            if name in body:
                values[name] = body[name]
        # Unknown keys still reach the service, which names them in its 422.
        values.update({k: v for k, v in body.items() if k not in known and k not in SYSTEM_SET_KEYS
                       and k not in ("pipeline", "stage")})
        record = engine.records.update(actor, app, entity, record_id, values, expected_version=version)
        return record_response(record)

    @bp.delete("/<app>/<entity>/<int:record_id>")
    def delete_record(app: str, entity: str, record_id: int):
        actor = current_actor()
        body = request.get_json(silent=True) if request.content_length else None
        version = expected_version(body if isinstance(body, dict) else None)
        stageflow_engine().records.delete(actor, app, entity, check_id(record_id), expected_version=version)
        return "", 204

    @bp.get("/<app>/<entity>/<int:record_id>/history")
    def record_history(app: str, entity: str, record_id: int):
        actor = current_actor()
        return jsonify(items=stageflow_engine().records.history(actor, app, entity, check_id(record_id)))
