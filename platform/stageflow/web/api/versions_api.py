"""The builder's API for versions of an app's configuration: list, compare, roll back (PL21, PL24).

Under ``/api/v1/_meta/apps/<app>/versions``. Every publish and install is a version with its
author, time and message; ``.../diff?old=&new=`` says what changed between two of them, document
by document and, inside, item by item (fields, stages, handbook items matched by name);
``.../<revision>/rollback`` installs an earlier version again as the newest, refused with 409
when the app changed since the admin looked. Who may do it is decided in
:class:`~stageflow.data.versions.VersionService`.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, jsonify, request

from ...core.problems import MetadataError
from ...data.drafts import DraftConflict
from ...data.schema_sync import SchemaChangeRefused
from ...data.versions import UnknownVersion, Version
from ..extension import stageflow_engine
from .auth import current_actor
from .drafts_api import problems_json, version_message
from .errors import ApiError
from .metadata_api import META
from .records import json_body

VERSIONS = f"{META}/<app>/versions"


def _revision_arg(name: str) -> int:
    value = request.args.get(name, "")
    if not value.isdigit() or len(value) > 9:
        raise ApiError(400, f"{name} must be a revision number", {name: "not a revision number"})
    return int(value)


def _version_json(version: Version) -> dict[str, Any]:
    body = asdict(version)
    body["created_at"] = version.created_at.isoformat()
    return body


def register(bp: Blueprint) -> None:
    @bp.get(VERSIONS)
    def versions_list(app: str):
        versions = stageflow_engine().versions.versions(current_actor(), app)
        return jsonify(app=app, versions=[_version_json(v) for v in versions])

    @bp.get(f"{VERSIONS}/diff")
    def versions_diff(app: str):
        old, new = _revision_arg("old"), _revision_arg("new")
        try:
            diff = stageflow_engine().versions.diff(current_actor(), app, old, new)
        except UnknownVersion as exc:
            raise ApiError(404, str(exc)) from None
        return jsonify(asdict(diff))

    @bp.post(f"{VERSIONS}/<int:revision>/rollback")
    def versions_rollback(app: str, revision: int):
        body = json_body()
        base = body.get("base_revision")
        if isinstance(base, bool) or not isinstance(base, int):
            raise ApiError(400, "rollback needs the app's current revision as base_revision",
                           {"base_revision": "missing or not a number"})
        try:
            result = stageflow_engine().versions.rollback(current_actor(), app, revision, base,
                                                          version_message(body))
        except UnknownVersion as exc:
            raise ApiError(404, str(exc)) from None
        except DraftConflict as exc:
            raise ApiError(409, f"{exc}; nothing was rolled back", current_revision=exc.current) from None
        except MetadataError as exc:
            # An old version checked against this release's rules may no longer pass them.
            raise ApiError(422, f"revision {revision} of {app!r} has {len(exc.problems)} problem(s) today; "
                                "nothing was rolled back", problems=problems_json(exc.problems)) from None
        except SchemaChangeRefused as exc:
            raise ApiError(409, f"{exc}; nothing was rolled back") from None
        return jsonify(app=result.app, revision=result.revision, unchanged=result.unchanged)
