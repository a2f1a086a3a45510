"""Comments, attachments, file downloads and the notification inbox, through the data services.

Sub-resources of a record are reachable only by who may read the record; which file may be
downloaded by whom is the attachment service's rule (see :mod:`stageflow.data.attachments`).
This module turns requests into service calls and answers into JSON.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ...data.attachments import FileHidden, NothingUploaded, RecordRef, Upload
from ...data.files import StoredFile
from ..extension import stageflow_engine
from .auth import current_actor
from .errors import ApiError
from .records import _truthy, check_id, json_body, record_response

# Types a browser could run as a page of this site: always sent as plain bytes.
ACTIVE_CONTENT = ("text/html", "application/xhtml", "image/svg", "text/xml", "application/xml",
                  "text/javascript", "application/javascript")


def _file_json(info: StoredFile) -> dict[str, Any]:
    return {"id": info.id, "filename": info.filename, "content_type": info.content_type, "size": info.size,
            "created_at": info.created_at.isoformat() + "Z", "created_by": info.created_by}


def _holder() -> RecordRef | None:
    """The record a download names with ``?app=&entity=&record=``, if it names one."""
    app, entity, record = request.args.get("app"), request.args.get("entity"), request.args.get("record")
    if not (app and entity and record and record.isdigit()):
        return None
    return RecordRef(app, entity, int(record))


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/<int:record_id>/comments")
    def list_comments(app: str, entity: str, record_id: int):
        include_robots = request.args.get("robots", "1").strip().lower() not in {"0", "false", "no", "off"}
        items = stageflow_engine().comments.list(current_actor(), app, entity, check_id(record_id),
                                                 include_robots=include_robots)
        return jsonify(items=items)

    @bp.post("/<app>/<entity>/<int:record_id>/comments")
    def post_comment(app: str, entity: str, record_id: int):
        actor = current_actor()
        comments = stageflow_engine().comments
        check_id(record_id)
        body = json_body()
        created = comments.add(actor, app, entity, record_id, body.get("body"), body.get("files"))
        return jsonify(created), 201

    @bp.get("/<app>/<entity>/<int:record_id>/attachments")
    def list_attachments(app: str, entity: str, record_id: int):
        """The files of the record's visible file fields and of its comments."""
        found = stageflow_engine().attachments.list(current_actor(), app, entity, check_id(record_id))
        return jsonify(items=[{**_file_json(info), "in": where} for info, where in found])

    @bp.post("/<app>/<entity>/<int:record_id>/attachments")
    def upload_attachment(app: str, entity: str, record_id: int):
        """Store uploaded files; with ``?field=`` also put them into that file field."""
        actor = current_actor()
        uploads = [Upload(u.filename or "file", u.mimetype or "application/octet-stream", u.read())
                   for u in request.files.getlist("file")]
        try:
            stored, record = stageflow_engine().attachments.upload(
                actor, app, entity, check_id(record_id), uploads, field=request.args.get("field"),
                expected_version=request.args.get("version", type=int))
        except NothingUploaded:
            raise ApiError(400, "send the file as multipart/form-data in the part named 'file'",
                           {"file": "missing"}) from None
        body: dict[str, Any] = {"files": [{"id": s.id, "filename": s.filename, "content_type": s.content_type,
                                           "size": s.size} for s in stored]}
        if record is not None:
            body["record"] = record
        return record_response(body, 201)

    @bp.get("/files/<int:file_id>")
    def download_file(file_id: int):
        actor = current_actor()
        try:
            info, data = stageflow_engine().attachments.download(actor, check_id(file_id), _holder())
        except FileHidden as exc:
            # Whether the file exists is not told to who may not have it.
            raise ApiError(404, f"{exc}; name the record holding it with ?app=&entity=&record=") from None
        content_type = info.content_type or "application/octet-stream"
        if content_type.lower().startswith(ACTIVE_CONTENT):
            content_type = "application/octet-stream"
        response = Response(data, mimetype=content_type)
        response.headers.set("Content-Disposition", "attachment", filename=info.filename)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    @bp.get("/notifications")
    def list_notifications():
        actor = current_actor()
        limit = request.args.get("limit", 50, type=int)
        if not 1 <= limit <= 500:
            raise ApiError(400, "limit must be a whole number from 1 to 500", {"limit": "out of range"})
        items = stageflow_engine().inbox.items(actor, unread_only=_truthy(request.args.get("unread")), limit=limit)
        return jsonify(items=items)

    @bp.post("/notifications/<int:notification_id>/read")
    def read_notification(notification_id: int):
        actor = current_actor()
        if not stageflow_engine().inbox.mark_read(actor, check_id(notification_id)):
            raise ApiError(404, f"notification #{notification_id} does not exist or is already read")
        return "", 204
