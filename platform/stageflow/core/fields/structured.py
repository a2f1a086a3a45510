"""Kinds with inner structure: checklists, child tables and computed values."""
from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from ..formula import FormulaError, parse_formula
from ..registry import Registry
from .base import FieldKind, FieldValueError, Storage
from .scalar import BooleanKind


class ChecklistKind(FieldKind):
    """A list of items to tick, stored as ``[{"text", "done"}]``.

    ``{"name": "documents", "kind": "checklist", "options": {"items": ["Паспорт", "СНИЛС"]}}``;
    the items are the checklist a new record starts with.
    """

    kind = "checklist"
    storage = Storage.JSON
    bulky = True
    ITEM_MAX_LENGTH: ClassVar[int] = 500
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "items": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": ITEM_MAX_LENGTH}}}}
    example = [{"text": "Паспорт", "done": True}, {"text": "СНИЛС", "done": False}]
    done_kind = BooleanKind()

    def parse(self, value, field):
        if isinstance(value, str):
            value = [line for line in value.splitlines() if line.strip()]
        if not isinstance(value, (list, tuple)):
            raise FieldValueError("expected a list of checklist items")
        items = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                item = {"text": item, "done": False}
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
                raise FieldValueError(f"item {i + 1} needs a text")
            if len(item["text"]) > self.ITEM_MAX_LENGTH:
                raise FieldValueError(f"item {i + 1} is longer than {self.ITEM_MAX_LENGTH} characters")
            done = item.get("done", False)
            if not isinstance(done, bool):
                try:
                    done = self.done_kind.parse(done, None)
                except FieldValueError:
                    raise FieldValueError(f"item {i + 1}: done must be true or false") from None
            items.append({"text": item["text"].strip(), "done": done})
        return items or None

    def initial_value(self, field):
        return [{"text": text, "done": False} for text in field.options.get("items", ())]


class ChildTableKind(FieldKind):
    """Rows owned by the record, with fields of their own, kept in a table of their own.

    ``{"name": "creditors", "kind": "child_table", "options": {"fields": [
    {"name": "creditor", "kind": "string"}, {"name": "debt", "kind": "money"}]}}``
    """

    kind = "child_table"
    storage = Storage.NONE
    bulky = True
    NOT_IN_ROWS = frozenset({"child_table", "file", "computed"})
    options_schema = {"type": "object", "additionalProperties": False, "required": ["fields"],
                      "properties": {"fields": {"type": "array", "minItems": 1,
                                                "items": {"$ref": "field.schema.json"}}}}
    example = [{"a": "x"}]

    def __init__(self, kinds: Registry[FieldKind]):
        self.kinds = kinds

    def parse(self, value, field):
        if not isinstance(value, (list, tuple)):
            raise FieldValueError("expected a list of rows")
        rows = []
        for i, row in enumerate(value):
            if not isinstance(row, dict):
                raise FieldValueError(f"row {i + 1} is not an object")
            unknown = set(row) - {f.name for f in field.children} - {"id"}
            if unknown:
                raise FieldValueError(f"row {i + 1}: unknown column {sorted(unknown)[0]!r}")
            parsed = {}
            for child in field.children:
                try:
                    parsed[child.name] = self.kinds.get(child.kind).coerce(row.get(child.name), child)
                except FieldValueError as exc:
                    raise FieldValueError(f"row {i + 1}, {child.name}: {exc}") from None
                if child.required and parsed[child.name] is None:
                    raise FieldValueError(f"row {i + 1}, {child.name}: is required")
            rows.append(parsed)
        return rows

    def coerce(self, value, field):
        if value is None or (isinstance(value, str) and not value.strip()):
            return []
        return self.parse(value, field)

    def to_json(self, value):
        if value is None:
            return []
        return [{k: _plain(v) for k, v in row.items()} for row in value]


class ComputedKind(FieldKind):
    """A value computed from the record's other fields on every write, and stored.

    ``{"name": "vat", "kind": "computed", "options": {"formula": "round(amount * 0.2, 2)", "type": "decimal"}}``
    """

    kind = "computed"
    writable = False
    storage = Storage.STRING
    RESULT_KINDS = {"string": "string", "integer": "integer", "decimal": "decimal",
                    "boolean": "boolean", "date": "date"}
    options_schema = {"type": "object", "additionalProperties": False, "required": ["formula", "type"],
                      "properties": {"formula": {"type": "string", "minLength": 1, "maxLength": 2000},
                                     "type": {"enum": sorted(RESULT_KINDS)}}}
    example = "x"

    def __init__(self, kinds: Registry[FieldKind]):
        self.kinds = kinds

    def result_kind(self, field) -> FieldKind:
        return self.kinds.get(self.RESULT_KINDS[field.options["type"]])

    def value_kind(self, field):
        return self.result_kind(field)

    def storage_of(self, field):
        return self.result_kind(field).storage

    def string_length(self, field):
        return 1000

    def decimal_shape(self, field):
        return (18, 2)

    def check_options(self, field):
        try:
            parse_formula(field.options["formula"])
        except FormulaError as exc:
            yield "formula", str(exc)

    def parse(self, value: Any, field):
        result = field.options["type"]
        if result == "string":
            # The column holds 1000 characters of any text; longer results are cut, not refused.
            return str(value)[:1000]
        if isinstance(value, float):
            value = int(value) if result == "integer" and value.is_integer() else str(round(value, 4))
        return self.result_kind(field).coerce(value, field)

    def to_json(self, value):
        return _plain(value)


def _plain(value: Any) -> Any:
    """JSON form of a stored scalar: exact decimals as strings, dates ISO, datetimes ISO UTC."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
