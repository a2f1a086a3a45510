"""The web face of a field kind: what the OpenAPI, the list, the card and the filters ask of it.

A kind in :mod:`stageflow.core.fields` knows how its values are parsed and stored; its face
knows how they look on the web. Screens ask the face instead of testing kind names, so a new
kind is one class in ``core/fields`` plus one face. A kind without a face of its own gets a
:class:`StorageFace` derived from its column type: it shows as plain text and never breaks a
screen.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from ...core.fields import MAX_RECORD_ID, FieldKind, Storage
from ...core.registry import Registry
from ...core.specs import FieldSpec, label_text

MAX_ID = MAX_RECORD_ID
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}

# The JSON Schema (OpenAPI 3.0 dialect) of a value by its column type, for kinds without a face.
BY_STORAGE: Mapping[Storage, Mapping[str, Any]] = {
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


class FilterWidget(StrEnum):
    """The filter control a list shows for a column."""

    TEXT = "text"
    CHOICES = "choices"
    CONTAINS_CHOICE = "contains_choice"
    DATE = "date"
    DATETIME = "datetime"
    NUMBER = "number"
    BOOLEAN = "boolean"
    EMPTY_ONLY = "empty_only"


# The operators each filter control sets (every control also offers ``is_empty``).
FILTER_OPERATORS: Mapping[FilterWidget, tuple[str, ...]] = {
    FilterWidget.TEXT: ("contains",), FilterWidget.CHOICES: ("in",), FilterWidget.CONTAINS_CHOICE: ("contains",),
    FilterWidget.DATE: ("gte", "lte"), FilterWidget.DATETIME: ("gte", "lte"), FilterWidget.NUMBER: ("gte", "lte"),
    FilterWidget.BOOLEAN: ("eq",), FilterWidget.EMPTY_ONLY: (),
}


class FormShape(StrEnum):
    """How a card form posts a field's value (see :mod:`stageflow.web.screens.card_form`)."""

    TEXT = "text"            # one input, trimmed
    LINES = "lines"          # a textarea: line breaks and spacing kept
    FLAG = "flag"            # a checkbox: present or not
    CODES = "codes"          # several selected codes
    CHECKLIST = "checklist"  # numbered rows of text and a tick
    ROWS = "rows"            # numbered rows of the field's columns
    FILES = "files"          # kept file ids plus uploads


class ValueLabels(Protocol):
    """The words a face shows for stored codes (the list's ``CellText`` provides them)."""

    users: Mapping[str, str]        # username -> full name
    departments: Mapping[str, str]  # department name -> label

    def choice_labels(self, spec: FieldSpec) -> Mapping[str, str]:
        """code -> label of a choice field's inline choices or handbook items."""

    def link_title(self, spec: FieldSpec, record_id: Any) -> str | None:
        """The title of the record a link points at, when it was read."""


class FieldFace:
    """Base of every face: plain text everywhere; subclasses override what differs.

    ``kind`` names the field kind it belongs to; the card widget is the template
    ``stageflow/widgets/<widget>`` (an ``<input type=input_type>`` by default).
    """

    kind: ClassVar[str]
    widget: ClassVar[str] = "input.html"
    input_type: ClassVar[str] = "text"
    form_shape: ClassVar[FormShape] = FormShape.TEXT
    filter: ClassVar[FilterWidget] = FilterWidget.EMPTY_ONLY
    # Worth a line on a kanban card when the metadata names no card fields.
    card_line: ClassVar[bool] = False

    def value_schema(self, spec: FieldSpec, faces: FieldFaces, locale: str) -> dict[str, Any]:
        """The JSON Schema (OpenAPI 3.0) of the value as the API reads and writes it; ``locale``
        is the language of the titles of inner fields (a child table's columns)."""
        return dict(BY_STORAGE[faces.kind(spec).storage_of(spec)])

    def cell_text(self, spec: FieldSpec, value: Any, labels: ValueLabels) -> str:
        """The text of a stored (JSON) value that is not empty, in a list cell or on a card."""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    def form_value(self, spec: FieldSpec, value: Any, faces: FieldFaces) -> Any:
        """A stored (JSON) value in the shape its card widget holds."""
        return "" if value is None else str(value)

    def filter_widget(self, spec: FieldSpec, faces: FieldFaces) -> FilterWidget:
        return self.filter

    def filter_options(self, spec: FieldSpec, labels: ValueLabels) -> tuple[tuple[str, str], ...]:
        """(code, label) pairs a choices filter offers."""
        return ()


_STORAGE_FILTERS = {Storage.STRING: FilterWidget.TEXT, Storage.TEXT: FilterWidget.TEXT,
                    Storage.INTEGER: FilterWidget.NUMBER, Storage.DECIMAL: FilterWidget.NUMBER,
                    Storage.DATE: FilterWidget.DATE, Storage.DATETIME: FilterWidget.DATETIME,
                    Storage.BOOLEAN: FilterWidget.BOOLEAN}
_STORAGE_INPUTS = {Storage.INTEGER: "number", Storage.DATE: "date", Storage.DATETIME: "datetime-local"}


class StorageFace(FieldFace):
    """The face of a kind that has none of its own, read off its column type."""

    def __init__(self, kind: str, storage: Storage):
        self.kind, self.storage = kind, storage
        self.input_type = _STORAGE_INPUTS.get(storage, "text")
        self.filter = _STORAGE_FILTERS.get(storage, FilterWidget.EMPTY_ONLY)
        if storage is Storage.TEXT:
            self.widget, self.form_shape = "textarea.html", FormShape.LINES

    def value_schema(self, spec, faces, locale):
        return dict(BY_STORAGE[self.storage])

    def form_value(self, spec, value, faces):
        if self.storage in (Storage.JSON, Storage.NONE):
            return "" if value is None else str(value)
        return super().form_value(spec, value, faces)


class FieldFaces:
    """The faces of one engine's field kinds: the registered face of a kind, else one derived
    from its storage, so a kind without a face (or a name no kind has) still shows."""

    def __init__(self, faces: Registry[FieldFace], kinds: Registry[FieldKind]):
        self.faces, self.kinds = faces, kinds

    def face(self, spec: FieldSpec) -> FieldFace:
        if spec.kind in self.faces:
            return self.faces.get(spec.kind)
        storage = self.kinds.get(spec.kind).storage_of(spec) if spec.kind in self.kinds else Storage.STRING
        return StorageFace(spec.kind, storage)

    def kind(self, spec: FieldSpec) -> FieldKind:
        """The field kind of ``spec``; a name no kind has reads as a one-line string."""
        return self.kinds.get(spec.kind if spec.kind in self.kinds else "string")

    # The kind's traits, through its value kind (a computed field has its result's traits).
    def number(self, spec: FieldSpec) -> bool:
        return self.kind(spec).value_kind(spec).number

    def bulky(self, spec: FieldSpec) -> bool:
        return self.kind(spec).value_kind(spec).bulky

    def choice(self, spec: FieldSpec) -> bool:
        return self.kind(spec).value_kind(spec).choice

    def value_schema(self, spec: FieldSpec, locale: str) -> dict[str, Any]:
        return self.face(spec).value_schema(spec, self, locale)

    def field_schema(self, spec: FieldSpec, locale: str) -> dict[str, Any]:
        """The schema of a field's value with its title and kind; every value but a list of
        rows may be empty (``nullable``)."""
        schema = self.value_schema(spec, locale)
        title = label_text(spec.label, locale)
        if title:
            schema["title"] = title
        if self.kind(spec).storage_of(spec) is not Storage.NONE:
            schema["nullable"] = True
        schema["x-stageflow-kind"] = spec.kind
        return schema

    def form_value(self, spec: FieldSpec, value: Any) -> Any:
        return self.face(spec).form_value(spec, value, self)

    def filter_widget(self, spec: FieldSpec) -> FilterWidget:
        return self.face(spec).filter_widget(spec, self)
