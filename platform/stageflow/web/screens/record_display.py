"""How the board and the calendar show a record: its title, card fields, amounts and choice colors.

Pure functions over specs and the record JSON the RecordService returned, so a field the
actor may not see (absent from the record) is never shown. Values are plain text; the templates
escape them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ...core.specs import AppSpec, EntitySpec, FieldSpec

# Colors for choices that declare none: distinct, readable under white text.
PALETTE = ("#3a87ad", "#5cb85c", "#f0ad4e", "#9b59b6", "#d9534f", "#16a085", "#7f8c8d", "#e67e22")
# Kinds worth a line on a kanban card when the metadata names no card fields.
KEY_KINDS = ("money", "user", "select", "date", "datetime", "link")
DEFAULT_CARD_FIELDS = 3
TEXT_KINDS = frozenset({"string", "text", "email", "phone", "url"})


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    color: str


def title_field(entity: EntitySpec) -> FieldSpec | None:
    """The field that names a record: ``title_field`` or the first text field."""
    if entity.title_field and entity.has_field(entity.title_field):
        return entity.field(entity.title_field)
    return next((f for f in entity.fields if f.kind in TEXT_KINDS), None)


def record_title(entity: EntitySpec, record: Mapping[str, Any]) -> str:
    field = title_field(entity)
    value = record.get(field.name) if field else None
    return str(value) if value not in (None, "") else f"#{record['id']}"


def card_fields(entity: EntitySpec) -> list[FieldSpec]:
    """The fields a kanban card shows under its title: the metadata's ``views.board.card_fields``,
    else the first few key fields (money, people, choices, dates)."""
    names = (entity.views.get("board") or {}).get("card_fields")
    if names:
        return [entity.field(n) for n in names if entity.has_field(n)]
    title = title_field(entity)
    keys = [f for f in entity.fields if f.kind in KEY_KINDS and f is not title]
    return keys[:DEFAULT_CARD_FIELDS]


def choices(app: AppSpec, field: FieldSpec, label) -> list[Choice]:
    """The choices of a select field with their colors; inline choices or a handbook's items.
    ``label`` turns a metadata label into text in the screen's language."""
    inline = field.options.get("choices")
    if inline is not None:
        items = [(c["value"], c.get("label"), c.get("color")) for c in inline]
    else:
        handbook = app.entities.get(field.options.get("handbook", ""))
        items = [(i.code, i.label, i.extra.get("color")) for i in (handbook.handbook_items or ())] if handbook else []
    return [Choice(value, label(text, value) if text else value, color or PALETTE[i % len(PALETTE)])
            for i, (value, text, color) in enumerate(items)]


def format_money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}".replace(",", "\u00a0")
