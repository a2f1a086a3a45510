"""Which widget shows a field kind on the card, and the field's value as the widget holds it.

One table maps each field kind to a template under ``stageflow/widgets/``; a kind missing from
it falls back to a text input, so a new kind still renders. Values are kept in their *form
shape* (text for inputs, lists for multi-selects, rows for child tables), which is both what
the widget shows and what :mod:`.card_form` sends to the RecordService: after a refused save
the card shows exactly what the user entered.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ...core.fields import choice_values
from ...core.specs import FieldSpec, HandbookItem
from ...data.record_context import RecordNotFound
from ...security import AccessDenied
from ...storage import platform_tables as st
from ...storage.database import read_connection
from .context import ScreenContext

# kind -> (template, HTML input type for the generic input template)
WIDGETS: dict[str, tuple[str, str]] = {
    "string": ("input.html", "text"),
    "text": ("textarea.html", ""),
    "integer": ("input.html", "number"),
    "decimal": ("input.html", "text"),
    "money": ("money.html", "text"),
    "duration": ("input.html", "text"),
    "date": ("input.html", "date"),
    "datetime": ("input.html", "datetime-local"),
    "boolean": ("boolean.html", ""),
    "select": ("select.html", ""),
    "multiselect": ("select.html", ""),
    "user": ("select.html", ""),
    "department": ("select.html", ""),
    "link": ("link.html", ""),
    "email": ("input.html", "email"),
    "phone": ("input.html", "tel"),
    "url": ("input.html", "url"),
    "file": ("file.html", ""),
    "checklist": ("checklist.html", ""),
    "child_table": ("child_table.html", ""),
    "computed": ("computed.html", ""),
    "stage": ("select.html", ""),
}
CHOICE_LIMIT = 500
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


@dataclass
class CardField:
    """One field as the card template shows it."""

    spec: FieldSpec
    label: str
    value: Any
    readonly: bool
    error: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def template(self) -> str:
        return "stageflow/widgets/" + WIDGETS.get(self.kind, WIDGETS["string"])[0]

    @property
    def input_type(self) -> str:
        return WIDGETS.get(self.kind, WIDGETS["string"])[1] or "text"

    @property
    def choice_label(self) -> dict[str, str]:
        return dict(self.choices)


def human_duration(seconds: int) -> str:
    parts = []
    for unit, size in _UNITS:
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


def form_value(spec: FieldSpec, value: Any) -> Any:
    """A stored value (as JSON data) in the shape its widget holds."""
    if spec.kind == "boolean":
        return value
    if spec.kind in ("multiselect", "file"):
        return list(value or [])
    if spec.kind == "checklist":
        return [dict(item) for item in value or []]
    if spec.kind == "child_table":
        return [{c.name: form_value(c, row.get(c.name)) for c in spec.children} for row in value or []]
    if value is None:
        return ""
    if spec.kind == "datetime":
        return str(value).removesuffix("Z")
    if spec.kind == "duration" and isinstance(value, int):
        return human_duration(value)
    return str(value)


def initial_values(fields: list[FieldSpec]) -> dict[str, Any]:
    """What a new card starts with: defaults, and a checklist's configured items."""
    values = {}
    for spec in fields:
        value = spec.default
        if spec.kind == "checklist" and value is None:
            value = [{"text": text, "done": False} for text in spec.options.get("items", ())]
        values[spec.name] = value
    return values


class ChoiceSource:
    """Choices for pickers (inline choices, handbooks, users, departments) and link labels."""

    def __init__(self, engine, screen: ScreenContext):
        self.engine, self.screen = engine, screen

    def choices(self, spec: FieldSpec, current: Any) -> list[tuple[str, str]]:
        if spec.kind in ("select", "multiselect"):
            found = self._choice_options(spec)
        elif spec.kind == "user":
            found = self._users()
        elif spec.kind == "department":
            found = self._departments()
        else:
            return []
        known = {value for value, _ in found}
        current_values = current if isinstance(current, list) else [current]
        # A value no longer offered (a deactivated user, a retired choice) still shows.
        found += [(v, v) for v in current_values if v not in ("", None) and v not in known]
        return found

    def _choice_options(self, spec: FieldSpec) -> list[tuple[str, str]]:
        if choice_values(spec) is not None:
            return [(c["value"], self.screen.label(c.get("label"), c["value"])) for c in spec.options["choices"]]
        try:
            page = self.engine.records.list(self.screen.actor, self.screen.app_name, spec.options["handbook"],
                                            limit=CHOICE_LIMIT)
        except AccessDenied:
            return []
        handbook = self.screen.app.entities.get(spec.options["handbook"])
        items = {i.code: i for i in (handbook.handbook_items or ())} if handbook is not None else {}
        return [(row["code"], self._item_label(items.get(row["code"]), row))
                for row in page.items if row.get("active", True)]

    def _item_label(self, item: HandbookItem | None, row: dict[str, Any]) -> str:
        """A handbook row's label in the screen's language while it is still the metadata item's
        label (stored in the app's default locale), as the list shows it; a label an admin
        rewrote shows as written."""
        stored = row.get("label")
        if item is not None and stored in ((item.label,) if isinstance(item.label, str) else item.label.values()):
            return self.screen.label(item.label, row["code"])
        return stored or row["code"]

    def _users(self) -> list[tuple[str, str]]:
        u, r = st.users, st.user_roles
        query = (select(u.c.username, u.c.full_name).distinct()
                 .join(r, r.c.username == u.c.username)
                 .where(r.c.app == self.screen.app_name, u.c.active.is_(True)).order_by(u.c.full_name))
        with read_connection(self.engine.db) as conn:
            return [(row.username, row.full_name or row.username) for row in conn.execute(query)]

    def _departments(self) -> list[tuple[str, str]]:
        d = st.departments
        query = select(d.c.name, d.c.label).where(d.c.app == self.screen.app_name).order_by(d.c.name)
        with read_connection(self.engine.db) as conn:
            rows = conn.execute(query).all()
        return [(row.name, self.screen.label(json.loads(row.label), row.name)) for row in rows]

    def link_label(self, spec: FieldSpec, record_id: Any) -> str:
        """The linked record's title as the actor sees it, else its number."""
        target = spec.options["entity"]
        try:
            record = self.engine.records.get(self.screen.actor, self.screen.app_name, target, int(record_id))
        except (RecordNotFound, AccessDenied, ValueError, TypeError):
            return f"#{record_id}"
        title_field = self.screen.app.entity(target).title_field
        title = record.get(title_field) if title_field else None
        return str(title) if title not in (None, "") else f"#{record_id}"

    def file_infos(self, ids: list) -> list[dict[str, Any]]:
        ids = [i for i in ids if isinstance(i, int)]
        if not ids:
            return []
        with read_connection(self.engine.db) as conn:
            rows = conn.execute(select(st.files.c.id, st.files.c.filename, st.files.c.size)
                                .where(st.files.c.id.in_(ids))).mappings().all()
        by_id = {row["id"]: dict(row) for row in rows}
        return [by_id.get(i, {"id": i, "filename": f"#{i}", "size": None}) for i in ids]
