"""The builder's API for debugging rules (PL10, PL24): a rule's run log and a dry run.

``GET /api/v1/_meta/apps/<app>/rules/<rule>/runs`` lists the rule's latest runs (fired, skipped
and why, failed); ``POST .../rules/<rule>/dry-run`` with ``{"entity", "record_id"}`` tells which
parts of the rule's condition hold on that record and which actions would run, changing
nothing. Who may do it is decided in :mod:`stageflow.automation.rule_debug`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify, request

from ...automation.rule_debug import UnknownRule, dry_run, rule_run_log
from ..extension import stageflow_engine
from .auth import current_actor
from .errors import ApiError
from .metadata_api import META
from .records import json_body

RULE = f"{META}/<app>/rules/<rule>"


def _plain(value: Any) -> Any:
    """Record values as the API writes them elsewhere: ISO dates, decimals as text."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def register(bp: Blueprint) -> None:
    @bp.get(f"{RULE}/runs")
    def rule_runs(app: str, rule: str):
        text = request.args.get("limit", "100")
        if not text.isdigit() or len(text) > 4:
            raise ApiError(400, "limit must be a number of runs", {"limit": "not a number"})
        try:
            runs = rule_run_log(stageflow_engine(), current_actor(), app, rule, int(text))
        except UnknownRule as exc:
            raise ApiError(404, str(exc)) from None
        return jsonify(app=app, rule=rule, runs=runs)

    @bp.post(f"{RULE}/dry-run")
    def rule_dry_run(app: str, rule: str):
        body = json_body()
        entity, record_id = body.get("entity"), body.get("record_id")
        if not isinstance(entity, str) or not entity:
            raise ApiError(400, "dry-run needs the entity of the record", {"entity": "missing"})
        if isinstance(record_id, bool) or not isinstance(record_id, int) or not 0 < record_id < 2**63:
            raise ApiError(400, "dry-run needs the record_id of a record", {"record_id": "not a record id"})
        try:
            result = dry_run(stageflow_engine(), current_actor(), app, rule, entity, record_id)
        except UnknownRule as exc:
            raise ApiError(404, str(exc)) from None
        return jsonify(_plain(asdict(result)))
