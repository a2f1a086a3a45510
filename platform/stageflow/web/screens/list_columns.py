"""Which columns a list shows and how a record's value reads in a cell (screen and export alike).

Columns come from the entity's ``views.list.columns`` in metadata, else from its first
sensible fields; a user's own choice (saved per user) wins when it still names known fields.
Fields hidden from the user by field rules are never offered. How a value reads is its
kind's face's answer (:mod:`stageflow.web.field_faces`); this module supplies the words.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, pgettext

from ...core.fields import LinkKind
from ...core.record_title import title_field, title_value
from ...core.specs import FieldSpec
from ...core.system_fields import queryable_fields
from ...data.filters import FilterError
from ...security import AccessDenied
from ..field_faces import FieldFaces, current_field_faces
from .context import ScreenContext

DEFAULT_COLUMN_COUNT = 6
# System columns offered in the column chooser next to the entity's own fields.
SYSTEM_COLUMNS = ("created_at", "created_by", "updated_at", "updated_by")
PIPELINE_COLUMNS = ("pipeline", "stage", "stage_changed_at")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    spec: FieldSpec
    # A number: right-aligned, exported as a number (the kind's trait).
    numeric: bool = False

    @property
    def kind(self) -> str:
        return self.spec.kind


def _system_label(name: str) -> str | None:
    """The label of a column every entity (or every entity with pipelines) has, in the UI
    language: their specs carry English labels only."""
    return {"created_at": pgettext("column", "Created"), "created_by": gettext("Created by"),
            "updated_at": gettext("Updated"), "updated_by": gettext("Updated by"),
            "pipeline": gettext("Pipeline"), "stage": gettext("Stage"),
            "stage_changed_at": gettext("Stage changed")}.get(name)


def _label(screen: ScreenContext, spec: FieldSpec) -> str:
    own = screen.entity.has_field(spec.name)
    return (None if own else _system_label(spec.name)) or screen.field_label(spec)


def offered_columns(screen: ScreenContext, hidden: Iterable[str], faces: FieldFaces | None = None) -> dict[str, Column]:
    """Every column the user may pick, in the entity's order; ``hidden`` fields left out."""
    faces = faces or current_field_faces()
    fields = queryable_fields(screen.entity)
    names = [f.name for f in screen.entity.fields]
    if screen.entity.has_pipelines:
        names += list(PIPELINE_COLUMNS)
    names += list(SYSTEM_COLUMNS)
    hidden = set(hidden)
    return {n: Column(n, _label(screen, fields[n]), fields[n], faces.number(fields[n]))
            for n in names if n in fields and n not in hidden}


def default_column_names(screen: ScreenContext, faces: FieldFaces | None = None) -> list[str]:
    configured = (screen.entity.views or {}).get("list", {}).get("columns")
    if configured:
        return list(configured)
    faces = faces or current_field_faces()
    entity = screen.entity
    names = [entity.title_field] if entity.title_field else []
    names += [f.name for f in entity.fields if not faces.bulky(f) and f.name not in names]
    names = names[:DEFAULT_COLUMN_COUNT]
    if entity.has_pipelines:
        names.append("stage")
    return names


def choose_columns(offered: Mapping[str, Column], wanted: Sequence[str] | None,
                   defaults: Sequence[str]) -> list[Column]:
    """The user's saved columns that still exist, else the defaults; never an empty list."""
    for names in (wanted or (), defaults):
        chosen = [offered[n] for n in dict.fromkeys(names) if n in offered]
        if chosen:
            return chosen
    return list(offered.values())[:DEFAULT_COLUMN_COUNT]


class CellText:
    """Turns stored JSON values into the text a person reads: labels for codes, names for users.

    The words the field faces need (:class:`~stageflow.web.field_faces.ValueLabels`)."""

    def __init__(self, screen: ScreenContext, faces: FieldFaces | None = None):
        self.screen = screen
        self.faces = faces or current_field_faces()
        app = screen.app
        self.users = {u.username: u.full_name for u in app.users}
        self.departments = {d.name: screen.label(d.label, d.name) for d in app.departments}
        self.stages = {s.name: screen.label(s.label, s.name) for p in screen.entity.pipelines for s in p.stages}
        self.pipelines = {p.name: screen.label(p.label, p.name) for p in screen.entity.pipelines}
        self.link_titles: dict[str, dict[int, str]] = {}  # link field -> record id -> title

    def load_link_titles(self, records, columns: Sequence[Column], items: Sequence[Mapping[str, Any]]) -> None:
        """Read the titles of the records the shown link columns point at (see :meth:`load_titles`)."""
        self.load_titles(records, [column.spec for column in columns], items)

    def load_titles(self, records, fields: Sequence[FieldSpec], items: Sequence[Mapping[str, Any]]) -> None:
        """Read the titles of the records the link ``fields`` of ``items`` point at: one query per
        link field, through the RecordService as the same user (a record they cannot see stays ``#id``)."""
        for spec in fields:
            target = self.screen.app.entities.get(spec.options.get("entity", "")) if spec.kind == LinkKind.kind else None
            ids = sorted({v for v in (item.get(spec.name) for item in items) if isinstance(v, int)} -
                         set(self.link_titles.get(spec.name, {})))
            if target is None or title_field(target) is None or not ids:
                continue
            try:
                page = records.list(self.screen.actor, self.screen.app_name, target.name,
                                    where={"field": "id", "op": "in", "value": ids}, limit=len(ids))
            except (AccessDenied, FilterError):
                continue
            titles = self.link_titles.setdefault(spec.name, {})
            titles.update({r["id"]: title for r in page.items if (title := title_value(target, r)) is not None})

    def link_title(self, spec: FieldSpec, record_id: Any) -> str | None:
        """The title read by :meth:`load_titles` of the record a link field points at."""
        return self.link_titles.get(spec.name, {}).get(record_id)

    def choice_labels(self, spec: FieldSpec) -> dict[str, str]:
        """code -> label of a select field's choices (inline or from its handbook)."""
        options = spec.options
        if options.get("handbook"):
            handbook = self.screen.app.entities.get(options["handbook"])
            items = (handbook.handbook_items or ()) if handbook is not None else ()
            return {item.code: self.screen.label(item.label, item.code) for item in items}
        return {str(c.get("value")): self.screen.label(c.get("label"), str(c.get("value")))
                for c in options.get("choices", ())}

    def text(self, column: Column, value: Any) -> str:
        return self.field_text(column.spec, value)

    def field_text(self, spec: FieldSpec, value: Any) -> str:
        """The text of a field's value: the list's cells and the board's cards read alike."""
        if value is None or value == "" or value == []:
            return ""
        if spec.name == "stage":
            return self.stages.get(value, str(value))
        if spec.name == "pipeline":
            return self.pipelines.get(value, str(value))
        return self.faces.face(spec).cell_text(spec, value, self)
