"""JSON schemas (OpenAPI 3.0 dialect) of records, built from entity specs and field kinds.

One component schema per entity. Field kinds map to JSON types and formats the way the API
writes values: exact decimals and money as strings (format ``decimal``), dates ISO, datetimes
ISO UTC, durations as whole seconds, links and files as record/file ids. Every field may be
empty (``nullable``); system fields and computed fields are ``readOnly``. A kind this table
does not know is described by its storage, so a new kind never breaks the document.
"""
from __future__ import annotations

from typing import Any

from ...core.fields import ComputedKind, Storage, choice_values
from ...core.fields.choice import MultiSelectKind, SelectKind
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
from ...core.kinds import Kinds
from ...core.specs import EntitySpec, FieldSpec, label_text

MAX_ID = 2**63 - 1
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}

BY_STORAGE: dict[Storage, dict[str, Any]] = {
    Storage.STRING: {"type": "string"},
    Storage.TEXT: {"type": "string"},
    Storage.INTEGER: {"type": "integer", "format": "int64"},
    Storage.DECIMAL: {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN},
    Storage.BOOLEAN: {"type": "boolean"},
    Storage.DATE: {"type": "string", "format": "date"},
    Storage.DATETIME: {"type": "string", "format": "date-time"},
    Storage.JSON: {},
    Storage.NONE: {"type": "array", "items": {"type": "object"}},
}


def _string(spec: FieldSpec) -> dict[str, Any]:
    return {"type": "string", "maxLength": int(spec.options.get("max_length", 255))}


def _integer(spec: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "format": "int64",
                              "minimum": -(2**63) + 1, "maximum": 2**63 - 1}
    if spec.options.get("min") is not None:
        schema["minimum"] = spec.options["min"]
    if spec.options.get("max") is not None:
        schema["maximum"] = spec.options["max"]
    return schema


def _decimal(spec: FieldSpec) -> dict[str, Any]:
    return {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN,
            "description": "an exact decimal, written as a string (numbers are accepted too)"}


def _choice(spec: FieldSpec) -> dict[str, Any]:
    values = choice_values(spec)
    if values is None:
        return {"type": "string", "maxLength": 100,
                "description": f"a code of handbook {spec.options.get('handbook')!r}"}
    return {"type": "string", "enum": [*values, None]}


def _multi(spec: FieldSpec) -> dict[str, Any]:
    item = _choice(spec)
    if "enum" in item:
        item["enum"] = [v for v in item["enum"] if v is not None]
    return {"type": "array", "items": item, "uniqueItems": True}


FIXED: dict[str, dict[str, Any]] = {
    TextKind.kind: {"type": "string", "maxLength": 1_000_000},
    BooleanKind.kind: {"type": "boolean"},
    DateKind.kind: {"type": "string", "format": "date"},
    DateTimeKind.kind: {"type": "string", "format": "date-time"},
    DurationKind.kind: {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**40 - 1,
                        "description": "seconds (input also takes \"1h 30m\" or \"PT1H30M\")"},
    LinkKind.kind: {**ID_SCHEMA, "description": "the id of the linked record"},
    UserKind.kind: {"type": "string", "maxLength": 150, "description": "a username"},
    DepartmentKind.kind: {"type": "string", "maxLength": 100, "description": "a department name"},
    EmailKind.kind: {"type": "string", "format": "email", "maxLength": 254},
    PhoneKind.kind: {"type": "string", "maxLength": 40, "pattern": r"^\+?[0-9][0-9 ()\-]{4,30}$"},
    UrlKind.kind: {"type": "string", "format": "uri", "maxLength": 2000},
    FileKind.kind: {"type": "array", "items": ID_SCHEMA, "description": "ids of stored files"},
    ChecklistKind.kind: {"type": "array", "items": {
        "type": "object", "required": ["text"], "additionalProperties": False,
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 500},
                       "done": {"type": "boolean"}}}},
}
BUILT: dict[str, Any] = {
    StringKind.kind: _string, IntegerKind.kind: _integer, DecimalKind.kind: _decimal,
    MoneyKind.kind: _decimal, SelectKind.kind: _choice, MultiSelectKind.kind: _multi,
}


def field_schema(kinds: Kinds, spec: FieldSpec, locale: str) -> dict[str, Any]:
    """The schema of one field's value, as read and written through the API."""
    if spec.kind == ComputedKind.kind:
        result = ComputedKind.RESULT_KINDS[spec.options["type"]]
        inner = field_schema(kinds, FieldSpec(name=spec.name, kind=result, label=spec.label), locale)
        inner.pop("maxLength", None)
        schema = {**inner, "readOnly": True}
    elif spec.kind == ChildTableKind.kind:
        columns = {c.name: field_schema(kinds, c, locale) for c in spec.children}
        columns["id"] = {**ID_SCHEMA, "readOnly": True}
        required = [c.name for c in spec.children if c.required]
        row: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": columns}
        if required:
            row["required"] = required
        schema = {"type": "array", "items": row}
    elif spec.kind in FIXED:
        schema = dict(FIXED[spec.kind])
    elif spec.kind in BUILT:
        schema = BUILT[spec.kind](spec)
    else:
        schema = dict(BY_STORAGE[kinds.fields.get(spec.kind).storage_of(spec)])
    title = label_text(spec.label, locale)
    if title:
        schema["title"] = title
    if spec.kind != ChildTableKind.kind:
        schema["nullable"] = True
    schema["x-stageflow-kind"] = spec.kind
    return schema


def system_properties(entity: EntitySpec) -> dict[str, dict[str, Any]]:
    readonly_time = {"type": "string", "format": "date-time", "readOnly": True}
    readonly_user = {"type": "string", "readOnly": True, "nullable": True}
    props: dict[str, dict[str, Any]] = {
        "id": {**ID_SCHEMA, "readOnly": True},
        "version": {"type": "integer", "minimum": 1, "description": "send it back with PUT/PATCH/DELETE: "
                    "a record changed meanwhile is a 409 instead of a lost update"},
        "created_at": readonly_time, "created_by": readonly_user,
        "updated_at": readonly_time, "updated_by": readonly_user,
    }
    if entity.has_pipelines:
        props["pipeline"] = {"type": "string", "enum": [p.name for p in entity.pipelines],
                             "description": "the record's pipeline (moving it lands on the first stage)"}
        stages = sorted({s.name for p in entity.pipelines for s in p.stages})
        props["stage"] = {"type": "string", "enum": stages,
                          "description": "change it to move the record; a refused move is a 409"}
        props["stage_changed_at"] = {**readonly_time, "nullable": True}
    return props


def entity_schema(kinds: Kinds, entity: EntitySpec, locale: str) -> dict[str, Any]:
    properties = system_properties(entity)
    for spec in entity.fields:
        properties[spec.name] = field_schema(kinds, spec, locale)
    return {"type": "object", "title": label_text(entity.label, locale, default=entity.name),
            "description": "Fields hidden from the caller by role field rules are absent.",
            "properties": properties}


def required_on_create(entity: EntitySpec) -> list[str]:
    return [f.name for f in entity.fields if f.required and f.kind != ComputedKind.kind]


def filterable_fields(kinds: Kinds, entity: EntitySpec) -> list[FieldSpec]:
    """Fields a simple ``?<field>=<value>`` filter applies to (single stored values)."""
    simple = (Storage.STRING, Storage.TEXT, Storage.INTEGER, Storage.DECIMAL, Storage.BOOLEAN,
              Storage.DATE, Storage.DATETIME)
    return [f for f in entity.fields if kinds.fields.get(f.kind).storage_of(f) in simple]
