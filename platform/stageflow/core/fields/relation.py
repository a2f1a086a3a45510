"""Kinds that point at something else: records, users, departments, stored files."""
from __future__ import annotations

from .base import FieldKind, FieldValueError, RefType, Storage


def _record_id(value) -> int:
    if isinstance(value, bool):
        raise FieldValueError("expected a record id")
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    if isinstance(value, float) and not value.is_integer():
        raise FieldValueError("expected a whole record id")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldValueError("expected a record id") from None
    if number <= 0:
        raise FieldValueError("expected a positive record id")
    return number


class LinkKind(FieldKind):
    """A link to one record of another entity (or handbook) of the same app.

    ``{"name": "client", "kind": "link", "options": {"entity": "client"}}``. The value is the
    record id; the record service checks that the record exists.
    """

    kind = "link"
    storage = Storage.INTEGER
    options_schema = {"type": "object", "additionalProperties": False, "required": ["entity"],
                      "properties": {"entity": {"$ref": "common.schema.json#/$defs/name"}}}
    example = 1

    def references(self, field):
        yield "entity", RefType.ENTITY, field.options["entity"]

    def parse(self, value, field):
        return _record_id(value)


class UserKind(FieldKind):
    """A user, stored as the username. ``{"name": "assignee", "kind": "user"}``"""

    kind = "user"
    storage = Storage.STRING
    example = "ivanova"
    text_like = True

    def string_length(self, field):
        return 150

    def parse(self, value, field):
        if not isinstance(value, str) or not value.strip() or len(value) > 150:
            raise FieldValueError("expected a username")
        return value.strip()


class DepartmentKind(FieldKind):
    """A department, stored as its name. ``{"name": "department", "kind": "department"}``"""

    kind = "department"
    storage = Storage.STRING
    example = "sales"

    def string_length(self, field):
        return 100

    def parse(self, value, field):
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise FieldValueError("expected a department name")
        return value.strip()


class FileKind(FieldKind):
    """Attached files, stored as a list of file ids (the files live in the file store).

    ``{"name": "scans", "kind": "file", "options": {"multiple": true, "accept": [".pdf"]}}``
    """

    kind = "file"
    storage = Storage.JSON
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "multiple": {"type": "boolean", "default": False},
        "accept": {"type": "array", "items": {"type": "string", "pattern": "^\\.[a-z0-9]+$"}, "uniqueItems": True}}}
    example = [1]

    def parse(self, value, field):
        items = value if isinstance(value, (list, tuple)) else [value]
        ids = []
        for item in items:
            file_id = _record_id(item)
            if file_id not in ids:
                ids.append(file_id)
        if len(ids) > 1 and not field.options.get("multiple", False):
            raise FieldValueError("holds one file only")
        return ids or None
