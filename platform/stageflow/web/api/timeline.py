"""Comments, attachments, file downloads and the notification inbox.

Sub-resources of a record are reachable only by who may read the record (the RecordService's
``get`` decides, so record rules apply). A stored file is served to the user who uploaded it,
to administrators, and to whoever can read a record holding it: in a file field they can see
(hidden fields do not count) or in a comment of that record.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from ...core.specs import Right
from ...data.files import safe_filename
from ...data.timeline import EntryKind, add_comment, comments_of, inbox, mark_read
from ...storage import platform_tables as st
from ...storage.database import read_connection, write_transaction
from ..security import stageflow_engine
from .auth import current_actor
from .errors import ApiError
from .records import MAX_ID, _truthy, check_id, json_body, record_response

# Types a browser could run as a page of this site: always sent as plain bytes.
ACTIVE_CONTENT = ("text/html", "application/xhtml", "image/svg", "text/xml", "application/xml",
                  "text/javascript", "application/javascript")


def _file_fields(engine, app: str, entity: str) -> list[str]:
    return [f.name for f in engine.catalog.context(app, entity).entity.fields if f.kind == "file"]


def _file_info(file_id: int) -> dict[str, Any]:
    engine = stageflow_engine()
    with read_connection(engine.db) as conn:
        row = conn.execute(select(st.files).where(st.files.c.id == file_id)).mappings().first()
    if row is None:
        raise ApiError(404, f"file #{file_id} does not exist")
    return dict(row)


def _file_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "filename": row["filename"], "content_type": row["content_type"],
            "size": row["size"], "created_at": row["created_at"].isoformat() + "Z", "created_by": row["created_by"]}


def _comment_files(raw: Any, username: str | None, is_admin: bool) -> list[int] | None:
    """File ids a comment may carry: files that exist and that the author uploaded."""
    if raw in (None, []):
        return None
    if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
        raise ApiError(422, "files: expected a list of file ids", {"files": "expected a list of file ids"})
    ids = list(dict.fromkeys(raw))
    for file_id in ids:
        row = _file_info(file_id) if 1 <= file_id <= MAX_ID else None
        if row is None or not (is_admin or row["created_by"] == username):
            raise ApiError(422, f"files: file #{file_id} is not one of yours", {"files": f"#{file_id} is not yours"})
    return ids


def _may_download(actor, file_row: dict[str, Any]) -> bool:
    if actor.is_admin or file_row["created_by"] == actor.username:
        return True
    app, entity, record = request.args.get("app"), request.args.get("entity"), request.args.get("record")
    if not (app and entity and record and record.isdigit()):
        return False
    engine = stageflow_engine()
    record_id = check_id(int(record))
    visible = engine.records.get(actor, app, entity, record_id)  # 403/404 when it is not theirs
    for name in _file_fields(engine, app, entity):
        if file_row["id"] in (visible.get(name) or []):
            return True
    with read_connection(engine.db) as conn:
        comments = comments_of(conn, app, entity, record_id)
    return any(file_row["id"] in c["files"] for c in comments)


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/<int:record_id>/comments")
    def list_comments(app: str, entity: str, record_id: int):
        actor = current_actor()
        engine = stageflow_engine()
        engine.records.get(actor, app, entity, check_id(record_id))
        include_robots = request.args.get("robots", "1").strip().lower() not in {"0", "false", "no", "off"}
        with read_connection(engine.db) as conn:
            items = comments_of(conn, app, entity, record_id, include_robots=include_robots)
        return jsonify(items=items)

    @bp.post("/<app>/<entity>/<int:record_id>/comments")
    def post_comment(app: str, entity: str, record_id: int):
        actor = current_actor()
        engine = stageflow_engine()
        engine.records.get(actor, app, entity, check_id(record_id))
        body = json_body()
        text = body.get("body")
        if not isinstance(text, str):
            raise ApiError(422, "body: expected the comment's text", {"body": "expected text"})
        files = _comment_files(body.get("files"), actor.username, actor.is_admin)
        try:
            with write_transaction(engine.db) as conn:
                comment_id = add_comment(conn, app, entity, record_id, text, author=actor.username,
                                         kind=EntryKind.COMMENT, files=files, now=engine.clock())
        except ValueError as exc:
            raise ApiError(422, f"body: {exc}", {"body": str(exc)}) from None
        with read_connection(engine.db) as conn:
            created = next(c for c in comments_of(conn, app, entity, record_id) if c["id"] == comment_id)
        return jsonify(created), 201

    @bp.get("/<app>/<entity>/<int:record_id>/attachments")
    def list_attachments(app: str, entity: str, record_id: int):
        """The files of the record's visible file fields and of its comments."""
        actor = current_actor()
        engine = stageflow_engine()
        record = engine.records.get(actor, app, entity, check_id(record_id))
        where: dict[int, list[str]] = {}
        for name in _file_fields(engine, app, entity):
            for file_id in record.get(name) or []:
                where.setdefault(file_id, []).append(name)
        with read_connection(engine.db) as conn:
            for comment in comments_of(conn, app, entity, record_id):
                for file_id in comment["files"]:
                    where.setdefault(file_id, []).append(f"comment:{comment['id']}")
            rows = conn.execute(select(st.files).where(st.files.c.id.in_(list(where)))).mappings().all() \
                if where else []
        return jsonify(items=[{**_file_json(dict(r)), "in": where[r["id"]]} for r in rows])

    @bp.post("/<app>/<entity>/<int:record_id>/attachments")
    def upload_attachment(app: str, entity: str, record_id: int):
        """Store uploaded files; with ``?field=`` also put them into that file field."""
        actor = current_actor()
        engine = stageflow_engine()
        record = engine.records.get(actor, app, entity, check_id(record_id))
        field = request.args.get("field")
        if field is not None:
            if field not in _file_fields(engine, app, entity):
                raise ApiError(422, f"{entity} has no file field {field!r}", {"field": "not a file field"})
            engine.catalog.context(app, entity).policy(actor).require(Right.UPDATE)
        uploads = request.files.getlist("file")
        if not uploads:
            raise ApiError(400, "send the file as multipart/form-data in the part named 'file'",
                           {"file": "missing"})
        contents = [u.read() for u in uploads]
        names = [safe_filename(u.filename or "file") for u in uploads]
        types = [u.mimetype or "application/octet-stream" for u in uploads]
        if field is not None:
            # The record service checks the field's limits too; checking first stores nothing refused.
            spec = engine.catalog.context(app, entity).entity.field(field)
            kind = engine.kinds.fields.get(spec.kind)
            for name, content_type, data in zip(names, types, contents, strict=True):
                refusal = kind.refusal(spec, name, content_type, len(data))
                if refusal:
                    raise ApiError(422, f"{field}: {refusal}", {field: refusal})
        stored = [engine.files.put(name, content_type, data, actor.username, engine.clock())
                  for name, content_type, data in zip(names, types, contents, strict=True)]
        body: dict[str, Any] = {"files": [{"id": s.id, "filename": s.filename, "content_type": s.content_type,
                                           "size": s.size} for s in stored]}
        if field is not None:
            spec = engine.catalog.context(app, entity).entity.field(field)
            ids = [s.id for s in stored]
            value = (record.get(field) or []) + ids if spec.options.get("multiple") else ids[-1:]
            body["record"] = engine.records.update(actor, app, entity, record_id, {field: value},
                                                   expected_version=request.args.get("version", type=int))
        return record_response(body, 201)

    @bp.get("/files/<int:file_id>")
    def download_file(file_id: int):
        actor = current_actor()
        engine = stageflow_engine()
        row = _file_info(check_id(file_id))
        if not _may_download(actor, row):
            # Whether the file exists is not told to who may not have it.
            raise ApiError(404, f"file #{file_id} does not exist or is not yours; name the record "
                                f"holding it with ?app=&entity=&record=")
        info, data = engine.files.read(file_id)
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
        with read_connection(stageflow_engine().db) as conn:
            items = inbox(conn, actor.username, unread_only=_truthy(request.args.get("unread")), limit=limit)
        return jsonify(items=items)

    @bp.post("/notifications/<int:notification_id>/read")
    def read_notification(notification_id: int):
        actor = current_actor()
        engine = stageflow_engine()
        with write_transaction(engine.db) as conn:
            done = mark_read(conn, actor.username, check_id(notification_id), engine.clock())
        if not done:
            raise ApiError(404, f"notification #{notification_id} does not exist or is already read")
        return "", 204
