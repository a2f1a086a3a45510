"""Kinds that point at something else: records, users, departments, stored files."""
from __future__ import annotations

from .base import FieldKind, FieldValueError, RefType, Storage

# The longest username and department name; the platform tables' columns use them too.
# The largest record or file id: ids are 64-bit integers in every database.
MAX_RECORD_ID = 2**63 - 1
USERNAME_MAX_LENGTH = 150
DEPARTMENT_NAME_MAX_LENGTH = 100


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
        return USERNAME_MAX_LENGTH

    def parse(self, value, field):
        if not isinstance(value, str) or not value.strip() or len(value) > USERNAME_MAX_LENGTH:
            raise FieldValueError("expected a username")
        return value.strip()


class DepartmentKind(FieldKind):
    """A department, stored as its name. ``{"name": "department", "kind": "department"}``"""

    kind = "department"
    storage = Storage.STRING
    example = "sales"

    def string_length(self, field):
        return DEPARTMENT_NAME_MAX_LENGTH

    def parse(self, value, field):
        if not isinstance(value, str) or not value.strip() or len(value) > DEPARTMENT_NAME_MAX_LENGTH:
            raise FieldValueError("expected a department name")
        return value.strip()


EXTENSION_PATTERN = "^\\.[a-z0-9]+$"
MIME_PATTERN = "^[a-z]+/(\\*|[a-z0-9][a-z0-9.+-]*)$"


def readable_size(size: int) -> str:
    """Bytes as people read them: 512 bytes, 20 KB, 1.5 MB."""
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def accepts(accept: list[str], filename: str, content_type: str) -> bool:
    """Whether a file matches one entry of ``accept``: an extension (any case) or a MIME type.

    As in HTML's ``accept`` attribute, one match is enough; ``image/*`` takes every image type.
    """
    name = filename.lower()
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    for entry in accept:
        if entry.startswith("."):
            if name.endswith(entry):
                return True
        elif entry.endswith("/*"):
            if mime.startswith(entry[:-1]):
                return True
        elif mime == entry:
            return True
    return False


class FileKind(FieldKind):
    """Attached files, stored as a list of file ids (the files live in the file store).

    ``{"name": "scans", "kind": "file", "options": {"multiple": true, "accept": [".pdf", "image/*"],
    "max_size": 10485760}}``. ``accept`` lists extensions and/or MIME types (one match is enough);
    ``max_size`` is in bytes and only tightens the platform's own limit on every stored file.
    """

    kind = "file"
    storage = Storage.JSON
    bulky = True
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "multiple": {"type": "boolean", "default": False},
        "accept": {"type": "array", "uniqueItems": True, "items": {
            "type": "string", "anyOf": [{"pattern": EXTENSION_PATTERN}, {"pattern": MIME_PATTERN}]}},
        "max_size": {"type": "integer", "minimum": 1}}}
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

    def refusal(self, field, filename: str, content_type: str, size: int) -> str | None:
        """Why this field does not take the stored file described, or None when it does."""
        limit = field.options.get("max_size")
        if limit is not None and size > limit:
            return f"{filename!r} is {readable_size(size)}; this field takes files up to {readable_size(limit)}"
        accept = field.options.get("accept")
        if accept and not accepts(accept, filename, content_type):
            return f"{filename!r} ({content_type or 'unknown type'}) is not one of {', '.join(accept)}"
        return None
