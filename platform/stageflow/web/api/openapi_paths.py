"""Paths of the OpenAPI document: per entity (records and their sub-resources) and global ones."""
from __future__ import annotations

from typing import Any

from ...core.fields import FileKind
from ...core.kinds import Kinds
from ...core.specs import EntitySpec
from ...data.bulk_updates import MAX_BULK
from ...data.records import MAX_PAGE
from ..field_faces import ID_SCHEMA, field_faces_for
from .openapi_schemas import filterable_fields, required_on_create
from .records import LIST_PARAMETERS

PREFIX = "/api/v1"
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": f"#/components/responses/{c}"} for c in codes}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


def shared_schemas() -> dict[str, Any]:
    at = {"type": "string", "format": "date-time"}
    return {
        "Comment": {"type": "object", "properties": {
            "id": ID_SCHEMA, "kind": {"type": "string", "enum": ["comment", "system", "robot"]},
            "author": {"type": "string", "nullable": True}, "body": {"type": "string"},
            "files": {"type": "array", "items": ID_SCHEMA}, "at": at}},
        "NewComment": {"type": "object", "required": ["body"], "properties": {
            "body": {"type": "string", "minLength": 1, "maxLength": 100_000},
            "files": {"type": "array", "items": ID_SCHEMA, "description": "ids of files you uploaded"}}},
        "StoredFile": {"type": "object", "properties": {
            "id": ID_SCHEMA, "filename": {"type": "string"}, "content_type": {"type": "string"},
            "size": {"type": "integer"}, "created_at": at, "created_by": {"type": "string", "nullable": True},
            "in": {"type": "array", "items": {"type": "string"}}}},
        "HistoryEntry": {"type": "object", "properties": {
            "field": {"type": "string"}, "old": {"nullable": True}, "new": {"nullable": True},
            "at": at, "by": {"type": "string", "nullable": True}}},
        "Notification": {"type": "object", "properties": {
            "id": ID_SCHEMA, "title": {"type": "string"}, "body": {"type": "string", "nullable": True},
            "app": {"type": "string", "nullable": True}, "entity": {"type": "string", "nullable": True},
            "record_id": {"type": "integer", "nullable": True}, "count": {"type": "integer"},
            "read": {"type": "boolean"}, "at": at}},
    }


def _list_parameters(kinds: Kinds, entity: EntitySpec, locale: str) -> list[dict[str, Any]]:
    params = [
        _query("where", {"type": "string"}, "a JSON condition tree: {\"field\", \"op\", \"value\"} "
               "or {\"all\": [...]}, {\"any\": [...]}, {\"not\": ...}"),
        _query("q", {"type": "string"}, "search in the searchable fields"),
        _query("sort", {"type": "string"}, "comma-separated fields, '-' for descending: -amount,title"),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50}),
        _query("cursor", {"type": "string"}, "next_cursor of the previous page"),
        _query("count", {"type": "boolean"}, "also return the number of matching records"),
    ]
    faces = field_faces_for(kinds.fields)
    for spec in filterable_fields(kinds, entity):
        schema = faces.field_schema(spec, locale)
        for key in ("nullable", "readOnly", "title", "x-stageflow-kind", "description"):
            schema.pop(key, None)
        if "enum" in schema:
            schema["enum"] = [v for v in schema["enum"] if v is not None]
        # A field named like a list parameter is filtered with an explicit operator.
        name = f"{spec.name}__eq" if spec.name in LIST_PARAMETERS else spec.name
        params.append(_query(name, schema))
    return params


def items_of(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}}


def _version_header() -> dict[str, Any]:
    return {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "the version you read (its ETag); a changed record is a 409"}


def _bulk_operation(op: str, schema: str, tag: str) -> dict[str, Any]:
    body = {"type": "object", "required": ["ids"], "additionalProperties": False, "properties": {
        "ids": {"type": "array", "minItems": 1, "maxItems": MAX_BULK, "items": ID_SCHEMA},
        "values": _ref(schema),
        "delete": {"type": "boolean", "default": False, "description": "delete the records instead"}}}
    result = {"type": "object", "properties": {"items": {"type": "array", "items": _ref(schema)},
                                               "deleted": {"type": "array", "items": ID_SCHEMA}}}
    return {"post": {
        "tags": [tag], "operationId": f"{op}.bulk", "summary": "Change or delete many records, all or nothing",
        "description": "{\"ids\": [...], \"values\": {...}} changes every listed record; {\"ids\": [...], "
                       "\"delete\": true} deletes them. Each record meets the same rights, validation and stage "
                       "gates as a single change; the first refused one is answered with its error and "
                       "\"record\" holding its id, and nothing is changed.",
        "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
        "responses": {"200": _json(result), **_errors(400, 401, 403, 404, 409, 422)}}}


def entity_paths(kinds: Kinds, app: str, entity: EntitySpec, schema: str, tag: str,
                 locale: str = "en") -> dict[str, Any]:
    op = f"{app}.{entity.name}"
    base, item = f"{PREFIX}/{app}/{entity.name}/", f"{PREFIX}/{app}/{entity.name}/{{id}}"
    id_param = {"name": "id", "in": "path", "required": True, "schema": ID_SCHEMA}
    create_body = {"allOf": [_ref(schema)]}
    required = required_on_create(kinds, entity)
    if required:
        create_body["allOf"].append({"type": "object", "required": required})
    page = {"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": _ref(schema)},
        "next_cursor": {"type": "string", "nullable": True}, "count": {"type": "integer"}}}
    write = {"required": True, "content": {JSON: {"schema": _ref(schema)}}}
    file_fields = [f.name for f in entity.fields if f.kind == FileKind.kind]
    upload_params = [id_param]
    if file_fields:
        upload_params += [_query("field", {"type": "string", "enum": file_fields},
                                 "also put the files into this file field"),
                          _query("version", {"type": "integer", "minimum": 1})]
    return {
        base: {
            "get": {"tags": [tag], "operationId": f"{op}.list", "summary": "List records (keyset pages)",
                    "description": "A field parameter keeps the records whose field equals the value; "
                                   "<field>__<op> applies another operator (ne, lt, lte, gt, gte, in, "
                                   "not_in, contains, between, is_empty, is_not_empty; lists comma-separated).",
                    "parameters": _list_parameters(kinds, entity, locale),
                    "responses": {"200": _json(page), **_errors(400, 401, 403, 404)}},
            "post": {"tags": [tag], "operationId": f"{op}.create", "summary": "Create a record",
                     "requestBody": {"required": True, "content": {JSON: {"schema": create_body}}},
                     "responses": {"201": _json(_ref(schema), "Created"), **_errors(400, 401, 403, 404, 409, 422)}},
        },
        item: {
            "parameters": [id_param],
            "get": {"tags": [tag], "operationId": f"{op}.get", "summary": "Read a record",
                    "responses": {"200": _json(_ref(schema)), **_errors(401, 403, 404)}},
            "put": {"tags": [tag], "operationId": f"{op}.replace",
                    "summary": "Replace the writable fields (a visible field left out is emptied)",
                    "parameters": [_version_header()], "requestBody": write,
                    "responses": {"200": _json(_ref(schema)), **_errors(400, 401, 403, 404, 409, 422)}},
            "patch": {"tags": [tag], "operationId": f"{op}.update",
                      "summary": "Change some fields; {\"stage\": ...} moves the record",
                      "parameters": [_version_header()], "requestBody": write,
                      "responses": {"200": _json(_ref(schema)), **_errors(400, 401, 403, 404, 409, 422)}},
            "delete": {"tags": [tag], "operationId": f"{op}.delete", "summary": "Delete a record",
                       "parameters": [_version_header()],
                       "responses": {"204": {"description": "Deleted"}, **_errors(400, 401, 403, 404, 409, 422)}},
        },
        f"{base}bulk": _bulk_operation(op, schema, tag),
        f"{item}/history": {"get": {
            "tags": [tag], "operationId": f"{op}.history", "summary": "Field changes, oldest first",
            "parameters": [id_param],
            "responses": {"200": _json(items_of("HistoryEntry")), **_errors(401, 403, 404)}}},
        f"{item}/comments": {
            "parameters": [id_param],
            "get": {"tags": [tag], "operationId": f"{op}.comments", "summary": "The record's timeline",
                    "parameters": [_query("robots", {"type": "boolean", "default": True},
                                          "false hides robot and system entries")],
                    "responses": {"200": _json(items_of("Comment")), **_errors(401, 403, 404)}},
            "post": {"tags": [tag], "operationId": f"{op}.comment", "summary": "Add a comment",
                     "requestBody": {"required": True, "content": {JSON: {"schema": _ref("NewComment")}}},
                     "responses": {"201": _json(_ref("Comment"), "Created"), **_errors(400, 401, 403, 404, 422)}},
        },
        f"{item}/attachments": {
            "get": {"tags": [tag], "operationId": f"{op}.attachments", "parameters": [id_param],
                    "summary": "Files in the record's visible file fields and comments",
                    "responses": {"200": _json(items_of("StoredFile")), **_errors(401, 403, 404)}},
            "post": {"tags": [tag], "operationId": f"{op}.upload", "parameters": upload_params,
                     "summary": "Upload files (multipart part 'file')",
                     "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                         "type": "object", "required": ["file"],
                         "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                     "responses": {"201": _json({"type": "object"}, "Stored"),
                                   **_errors(400, 401, 403, 404, 409, 413, 422)}},
        },
    }


def global_paths() -> dict[str, Any]:
    token = {"type": "object", "properties": {"access_token": {"type": "string"},
                                              "refresh_token": {"type": "string"}}}
    login_body = {"type": "object", "required": ["username", "password"], "properties": {
        "username": {"type": "string"}, "password": {"type": "string"},
        "provider": {"type": "string", "enum": ["db"], "default": "db"},
        "refresh": {"type": "boolean", "description": "also return a refresh token"}}}
    notifications = {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Notification")}}}
    return {
        f"{PREFIX}/security/login": {"post": {
            "tags": ["security"], "operationId": "security.login", "security": [],
            "summary": "Log in with a username and password; returns a JWT access token",
            "requestBody": {"required": True, "content": {JSON: {"schema": login_body}}},
            "responses": {"200": _json(token), "400": {"description": "Bad request"},
                          "401": {"description": "Wrong username or password"}}}},
        f"{PREFIX}/files/{{file_id}}": {"get": {
            "tags": ["files"], "operationId": "files.download", "summary": "Download a stored file",
            "parameters": [{"name": "file_id", "in": "path", "required": True, "schema": ID_SCHEMA},
                           _query("app", {"type": "string"}), _query("entity", {"type": "string"}),
                           _query("record", {"type": "string"}, "the record holding the file")],
            "responses": {"200": {"description": "The file", "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                **_errors(401, 403, 404)}}},
        f"{PREFIX}/notifications": {"get": {
            "tags": ["notifications"], "operationId": "notifications.list", "summary": "Your inbox",
            "parameters": [_query("unread", {"type": "boolean"}),
                           _query("limit", {"type": "integer", "minimum": 1, "maximum": 500})],
            "responses": {"200": _json(notifications), **_errors(400, 401)}}},
        f"{PREFIX}/notifications/{{id}}/read": {"post": {
            "tags": ["notifications"], "operationId": "notifications.read", "summary": "Mark as read",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID_SCHEMA}],
            "responses": {"204": {"description": "Marked"}, **_errors(401, 404)}}},
    }
