"""The faces of the built-in field kinds, one small class each, and the registry holding them.

Limits in the JSON schemas come from the kinds themselves (``string_length``, ``MAX_SECONDS``,
...), so the API document and the validation cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext, ngettext

from ...core.fields import ComputedKind, choice_values
from ...core.fields.choice import CODE_MAX_LENGTH, MultiSelectKind, SelectKind
from ...core.fields.relation import DepartmentKind, FileKind, LinkKind, UserKind
from ...core.fields.scalar import (
    BooleanKind,
    DecimalKind,
    EmailKind,
    IntegerKind,
    MoneyKind,
    PhoneKind,
    StringKind,
    TextKind,
    UrlKind,
)
from ...core.fields.structured import ChecklistKind, ChildTableKind
from ...core.fields.temporal import DateKind, DateTimeKind, DurationKind
from ...core.registry import Registry
from ...core.specs import FieldSpec
from .face import DECIMAL_PATTERN, ID_SCHEMA, FieldFace, FieldFaces, FilterWidget, FormShape, ValueLabels


def _limited_string(spec: FieldSpec, faces: FieldFaces, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": faces.kind(spec).string_length(spec), **extra}


class _TextFace(FieldFace):
    filter = FilterWidget.TEXT

    def value_schema(self, spec, faces, locale):
        return _limited_string(spec, faces)


class StringFace(_TextFace):
    kind = StringKind.kind


class TextFace(_TextFace):
    kind = TextKind.kind
    widget = "textarea.html"
    form_shape = FormShape.LINES

    def value_schema(self, spec, faces, locale):
        return {"type": "string", "maxLength": TextKind.MAX_LENGTH}


class EmailFace(_TextFace):
    kind = EmailKind.kind
    input_type = "email"

    def value_schema(self, spec, faces, locale):
        return _limited_string(spec, faces, format="email")


class PhoneFace(_TextFace):
    kind = PhoneKind.kind
    input_type = "tel"

    def value_schema(self, spec, faces, locale):
        return _limited_string(spec, faces, pattern=f"^{PhoneKind.pattern.pattern}$")


class UrlFace(_TextFace):
    kind = UrlKind.kind
    input_type = "url"

    def value_schema(self, spec, faces, locale):
        return _limited_string(spec, faces, format="uri")


class IntegerFace(FieldFace):
    kind = IntegerKind.kind
    input_type = "number"
    filter = FilterWidget.NUMBER

    def value_schema(self, spec, faces, locale):
        schema: dict[str, Any] = {"type": "integer", "format": "int64",
                                  "minimum": -IntegerKind.MAX_ABS, "maximum": IntegerKind.MAX_ABS}
        for bound, key in (("min", "minimum"), ("max", "maximum")):
            if spec.options.get(bound) is not None:
                schema[key] = spec.options[bound]
        return schema


class DecimalFace(FieldFace):
    kind = DecimalKind.kind
    filter = FilterWidget.NUMBER

    def value_schema(self, spec, faces, locale):
        return {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN,
                "description": "an exact decimal, written as a string (numbers are accepted too)"}


class MoneyFace(DecimalFace):
    kind = MoneyKind.kind
    widget = "money.html"
    card_line = True


class BooleanFace(FieldFace):
    kind = BooleanKind.kind
    widget = "boolean.html"
    form_shape = FormShape.FLAG
    filter = FilterWidget.BOOLEAN

    def value_schema(self, spec, faces, locale):
        return {"type": "boolean"}

    def cell_text(self, spec, value, labels):
        return gettext("Yes") if value else gettext("No")

    def form_value(self, spec, value, faces):
        return value


class DateFace(FieldFace):
    kind = DateKind.kind
    input_type = "date"
    filter = FilterWidget.DATE
    card_line = True

    def value_schema(self, spec, faces, locale):
        return {"type": "string", "format": "date"}


class DateTimeFace(FieldFace):
    kind = DateTimeKind.kind
    input_type = "datetime-local"
    filter = FilterWidget.DATETIME
    card_line = True

    def value_schema(self, spec, faces, locale):
        return {"type": "string", "format": "date-time"}

    def cell_text(self, spec, value, labels):
        return value.replace("T", " ").removesuffix("Z") if isinstance(value, str) else str(value)

    def form_value(self, spec, value, faces):
        return "" if value is None else str(value).removesuffix("Z")


_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def human_duration(seconds: int) -> str:
    """Seconds as the duration input takes them back: ``1h 30m``."""
    parts = []
    for unit, size in _UNITS:
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


class DurationFace(FieldFace):
    kind = DurationKind.kind
    filter = FilterWidget.NUMBER

    def value_schema(self, spec, faces, locale):
        return {"type": "integer", "format": "int64", "minimum": 0, "maximum": DurationKind.MAX_SECONDS,
                "description": "seconds (input also takes \"1h 30m\" or \"PT1H30M\")"}

    def form_value(self, spec, value, faces):
        if isinstance(value, int) and not isinstance(value, bool):
            return human_duration(value)
        return super().form_value(spec, value, faces)


def _choice_schema(spec: FieldSpec) -> dict[str, Any]:
    values = choice_values(spec)
    if values is None:
        return {"type": "string", "maxLength": CODE_MAX_LENGTH,
                "description": f"a code of handbook {spec.options.get('handbook')!r}"}
    return {"type": "string", "enum": [*values, None]}


def _choice_text(spec: FieldSpec, value: Any, labels: ValueLabels) -> str:
    names = labels.choice_labels(spec)
    return ", ".join(names.get(str(v), str(v)) for v in (value if isinstance(value, list) else [value]))


class SelectFace(FieldFace):
    kind = SelectKind.kind
    widget = "select.html"
    filter = FilterWidget.CHOICES
    card_line = True

    def value_schema(self, spec, faces, locale):
        return _choice_schema(spec)

    def cell_text(self, spec, value, labels):
        return _choice_text(spec, value, labels)

    def filter_options(self, spec, labels):
        return tuple(labels.choice_labels(spec).items())


class MultiSelectFace(SelectFace):
    kind = MultiSelectKind.kind
    form_shape = FormShape.CODES
    filter = FilterWidget.CONTAINS_CHOICE
    card_line = False

    def value_schema(self, spec, faces, locale):
        item = _choice_schema(spec)
        if "enum" in item:
            item["enum"] = [v for v in item["enum"] if v is not None]
        return {"type": "array", "items": item, "uniqueItems": True}

    def form_value(self, spec, value, faces):
        return list(value or [])


class LinkFace(FieldFace):
    kind = LinkKind.kind
    widget = "link.html"
    card_line = True

    def value_schema(self, spec, faces, locale):
        return {**ID_SCHEMA, "description": "the id of the linked record"}

    def cell_text(self, spec, value, labels):
        return labels.link_title(spec, value) or f"#{value}"


class UserFace(FieldFace):
    kind = UserKind.kind
    widget = "select.html"
    filter = FilterWidget.CHOICES
    card_line = True

    def value_schema(self, spec, faces, locale):
        return _limited_string(spec, faces, description="a username")

    def cell_text(self, spec, value, labels):
        return labels.users.get(value, str(value))

    def filter_options(self, spec, labels):
        return tuple(sorted(labels.users.items(), key=lambda item: item[1].lower()))


class DepartmentFace(FieldFace):
    kind = DepartmentKind.kind
    widget = "select.html"
    filter = FilterWidget.CHOICES

    def value_schema(self, spec, faces, locale):
        return _limited_string(spec, faces, description="a department name")

    def cell_text(self, spec, value, labels):
        return labels.departments.get(value, str(value))

    def filter_options(self, spec, labels):
        return tuple(labels.departments.items())


class FileFace(FieldFace):
    kind = FileKind.kind
    widget = "file.html"
    form_shape = FormShape.FILES

    def value_schema(self, spec, faces, locale):
        return {"type": "array", "items": ID_SCHEMA, "description": "ids of stored files"}

    def cell_text(self, spec, value, labels):
        count = len(value) if isinstance(value, list) else 1
        return ngettext("%(num)d file", "%(num)d files", count)

    def form_value(self, spec, value, faces):
        return list(value or [])


class ChecklistFace(FieldFace):
    kind = ChecklistKind.kind
    widget = "checklist.html"
    form_shape = FormShape.CHECKLIST

    def value_schema(self, spec, faces, locale):
        return {"type": "array", "items": {
            "type": "object", "required": ["text"], "additionalProperties": False,
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": ChecklistKind.ITEM_MAX_LENGTH},
                           "done": {"type": "boolean"}}}}

    def cell_text(self, spec, value, labels):
        if not isinstance(value, list):
            return super().cell_text(spec, value, labels)
        done = sum(1 for item in value if isinstance(item, Mapping) and item.get("done"))
        return f"{done}/{len(value)}"

    def form_value(self, spec, value, faces):
        return [dict(item) for item in value or []]


class ChildTableFace(FieldFace):
    kind = ChildTableKind.kind
    widget = "child_table.html"
    form_shape = FormShape.ROWS

    def value_schema(self, spec, faces, locale):
        columns = {c.name: faces.field_schema(c, locale) for c in spec.children}
        columns["id"] = {**ID_SCHEMA, "readOnly": True}
        required = [c.name for c in spec.children if c.required]
        row: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": columns}
        if required:
            row["required"] = required
        return {"type": "array", "items": row}

    def form_value(self, spec, value, faces):
        return [{c.name: faces.form_value(c, row.get(c.name)) for c in spec.children} for row in value or []]


class ComputedFace(FieldFace):
    kind = ComputedKind.kind
    widget = "computed.html"

    def _result(self, spec: FieldSpec) -> FieldSpec:
        return FieldSpec(name=spec.name, kind=ComputedKind.RESULT_KINDS[spec.options["type"]], label=spec.label)

    def value_schema(self, spec, faces, locale):
        schema = faces.value_schema(self._result(spec), locale)
        schema.pop("maxLength", None)  # the formula's result is cut, not refused
        return {**schema, "readOnly": True}

    def filter_widget(self, spec, faces):
        return FilterWidget.NUMBER if faces.number(spec) else FilterWidget.EMPTY_ONLY


def default_field_faces() -> Registry[FieldFace]:
    """A registry holding the face of every built-in field kind (a fresh one per call)."""
    faces: Registry[FieldFace] = Registry("field face")
    for cls in (StringFace, TextFace, IntegerFace, DecimalFace, MoneyFace, BooleanFace, DateFace, DateTimeFace,
                DurationFace, SelectFace, MultiSelectFace, LinkFace, UserFace, DepartmentFace, EmailFace,
                PhoneFace, UrlFace, FileFace, ChecklistFace, ChildTableFace, ComputedFace):
        faces.register(cls())
    return faces
