"""JSON schemas (OpenAPI 3.0 dialect) of records, built from entity specs and field faces.

One component schema per entity. Each field's value schema comes from its kind's face
(:mod:`stageflow.web.field_faces`): exact decimals and money as strings (format ``decimal``),
dates ISO, datetimes ISO UTC, durations as whole seconds, links and files as record/file ids.
Every field may be empty (``nullable``); system fields and computed fields are ``readOnly``. A
kind without a face is described by its storage, so a new kind never breaks the document.
"""
from __future__ import annotations

from typing import Any

from ...core.fields import Storage
from ...core.kinds import Kinds
from ...core.specs import EntitySpec, FieldSpec, label_text
from ..field_faces import ID_SCHEMA, MAX_ID, FieldFaces, field_faces_for

__all__ = ["ID_SCHEMA", "MAX_ID", "entity_schema", "field_schema", "filterable_fields", "required_on_create",
           "system_properties"]


def field_schema(kinds: Kinds, spec: FieldSpec, locale: str, faces: FieldFaces | None = None) -> dict[str, Any]:
    """The schema of one field's value, as read and written through the API."""
    return (faces or field_faces_for(kinds.fields)).field_schema(spec, locale)


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
    faces = field_faces_for(kinds.fields)
    properties = system_properties(entity)
    for spec in entity.fields:
        properties[spec.name] = faces.field_schema(spec, locale)
    return {"type": "object", "title": label_text(entity.label, locale, default=entity.name),
            "description": "Fields hidden from the caller by role field rules are absent.",
            "properties": properties}


def required_on_create(kinds: Kinds, entity: EntitySpec) -> list[str]:
    """Required fields a client writes (computed ones are the engine's)."""
    return [f.name for f in entity.fields if f.required and kinds.fields.get(f.kind).writable]


# Column types holding one value, which a simple ``?<field>=<value>`` filter compares.
SINGLE_VALUE_STORAGE = frozenset({Storage.STRING, Storage.TEXT, Storage.INTEGER, Storage.DECIMAL,
                                  Storage.BOOLEAN, Storage.DATE, Storage.DATETIME})


def filterable_fields(kinds: Kinds, entity: EntitySpec) -> list[FieldSpec]:
    """Fields a simple ``?<field>=<value>`` filter applies to (single stored values)."""
    return [f for f in entity.fields if kinds.fields.get(f.kind).storage_of(f) in SINGLE_VALUE_STORAGE]
