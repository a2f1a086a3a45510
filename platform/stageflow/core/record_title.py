"""What names a record, one rule for every screen, link and export.

The entity's ``title_field`` names it; an entity without one is named by its first text field;
a record whose title is empty is ``#<id>``. A title of ``0``, ``False`` or ``"0"`` is a title:
only ``None`` and ``""`` count as missing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fields.scalar import EmailKind, PhoneKind, StringKind, TextKind, UrlKind
from .specs import EntitySpec, FieldSpec

# Kinds whose value can stand for a record when the entity names no title field.
TITLE_KINDS = frozenset(kind.kind for kind in (StringKind, TextKind, EmailKind, PhoneKind, UrlKind))


def title_field(entity: EntitySpec) -> FieldSpec | None:
    """The field that names a record: ``title_field``, else the first text field, else None."""
    if entity.title_field and entity.has_field(entity.title_field):
        return entity.field(entity.title_field)
    return next((f for f in entity.fields if f.kind in TITLE_KINDS), None)


def title_value(entity: EntitySpec, record: Mapping[str, Any]) -> str | None:
    """The record's title as text, or None when its title field is missing or empty."""
    field = title_field(entity)
    value = record.get(field.name) if field is not None else None
    if value is None or value == "":
        return None
    return str(value)


def record_title(entity: EntitySpec, record: Mapping[str, Any]) -> str:
    """The record's title, or ``#<id>`` when it has none."""
    title = title_value(entity, record)
    return title if title is not None else f"#{record['id']}"
