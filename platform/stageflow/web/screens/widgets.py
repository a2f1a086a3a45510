"""Which widget shows a field on the card, and the field's value as the widget holds it.

The kind's face (:mod:`stageflow.web.field_faces`) names the template under
``stageflow/widgets/`` and the input type; a kind without a face gets one derived from its
storage, so a new kind still renders. Values are kept in their *form shape* (text for inputs,
lists for multi-selects, rows for child tables), which is both what the widget shows and what
:mod:`.card_form` sends to the RecordService: after a refused save the card shows exactly what
the user entered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...core.fields import DepartmentKind, UserKind, choice_values
from ...core.record_title import record_title
from ...core.specs import FieldSpec, HandbookItem
from ...data.record_context import RecordNotFound
from ...security import AccessDenied
from ..field_faces import FieldFace, FieldFaces, current_field_faces, human_duration
from .card_layout import STAGE
from .context import ScreenContext

# The stage is no field kind: the card offers the pipeline's stages in a select.
STAGE_WIDGET = "select.html"
CHOICE_LIMIT = 500

__all__ = ["CHOICE_LIMIT", "CardField", "ChoiceSource", "form_value", "human_duration", "initial_values"]


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
    face: FieldFace | None = None  # the current app's face of the kind when None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    def _face(self) -> FieldFace:
        if self.face is None:
            self.face = current_field_faces().face(self.spec)
        return self.face

    @property
    def template(self) -> str:
        return "stageflow/widgets/" + (STAGE_WIDGET if self.kind == STAGE else self._face().widget)

    @property
    def input_type(self) -> str:
        return "text" if self.kind == STAGE else self._face().input_type

    @property
    def choice_label(self) -> dict[str, str]:
        return dict(self.choices)


def form_value(spec: FieldSpec, value: Any, faces: FieldFaces | None = None) -> Any:
    """A stored value (as JSON data) in the shape its widget holds."""
    return (faces or current_field_faces()).form_value(spec, value)


def initial_values(fields: list[FieldSpec], faces: FieldFaces | None = None) -> dict[str, Any]:
    """What a new card starts with: defaults, else what the kind starts with (a checklist's items)."""
    faces = faces or current_field_faces()
    return {spec.name: spec.default if spec.default is not None else faces.kind(spec).initial_value(spec)
            for spec in fields}


class ChoiceSource:
    """Choices for pickers (inline choices, handbooks, users, departments) and link labels."""

    def __init__(self, engine, screen: ScreenContext):
        self.engine, self.screen = engine, screen

    def choices(self, spec: FieldSpec, current: Any) -> list[tuple[str, str]]:
        if spec.kind == UserKind.kind:
            found = self._users()
        elif spec.kind == DepartmentKind.kind:
            found = self._departments()
        elif current_field_faces().choice(spec):
            found = self._choice_options(spec)
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
        return self.engine.org.users(self.screen.actor, self.screen.app_name)

    def _departments(self) -> list[tuple[str, str]]:
        departments = self.engine.org.departments(self.screen.actor, self.screen.app_name)
        return [(name, self.screen.label(label, name)) for name, label in departments]

    def link_label(self, spec: FieldSpec, record_id: Any) -> str:
        """The linked record's title as the actor sees it, else its number."""
        target = spec.options["entity"]
        try:
            record = self.engine.records.get(self.screen.actor, self.screen.app_name, target, int(record_id))
        except (RecordNotFound, AccessDenied, ValueError, TypeError):
            return f"#{record_id}"
        return record_title(self.screen.app.entity(target), record)

    def file_infos(self, ids: list) -> list[dict[str, Any]]:
        ids = [i for i in ids if isinstance(i, int)]
        if not ids:
            return []
        found = self.engine.files.infos(ids)
        return [{"id": i, "filename": found[i].filename, "size": found[i].size} if i in found
                else {"id": i, "filename": f"#{i}", "size": None} for i in ids]
