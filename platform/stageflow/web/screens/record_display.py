"""How the board and the calendar show a record: its title, card fields, amounts and choice colors.

Functions over specs and the record JSON the RecordService returned, so a field the actor may
not see (absent from the record) is never shown. Values are plain text; the templates escape
them. The title is core's :func:`~stageflow.core.record_title.record_title`, as everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ...core.record_title import record_title, title_field
from ...core.specs import AppSpec, EntitySpec, FieldSpec
from ..field_faces import FieldFaces, current_field_faces

# Colors for choices that declare none: distinct, readable under white text.
PALETTE = ("#3a87ad", "#5cb85c", "#f0ad4e", "#9b59b6", "#d9534f", "#16a085", "#7f8c8d", "#e67e22")
DEFAULT_CARD_FIELDS = 3
# What names a record is decided in core; the board and the calendar read it from here.
__all__ = ["Choice", "card_fields", "choices", "format_money", "record_title", "title_field"]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    color: str


def card_fields(entity: EntitySpec, faces: FieldFaces | None = None) -> list[FieldSpec]:
    """The fields a kanban card shows under its title: the metadata's ``views.board.card_fields``,
    else the first few key fields (money, people, choices, dates: their faces' ``card_line``)."""
    names = (entity.views.get("board") or {}).get("card_fields")
    if names:
        return [entity.field(n) for n in names if entity.has_field(n)]
    faces = faces or current_field_faces()
    title = title_field(entity)
    keys = [f for f in entity.fields if faces.face(f).card_line and f is not title]
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
