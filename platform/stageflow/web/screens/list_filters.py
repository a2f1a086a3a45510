"""The filter controls of a list, one per shown column, chosen by the field's kind.

Text fields filter by "contains", choices (select, user, department, stage) by "one of",
dates and numbers by a from/to range, booleans by yes/no; every field can ask "is empty".
The controls only name URL parameters (see :mod:`.list_query`); the service does the work.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .list_columns import NUMBER_KINDS, CellText, Column

TEXT_KINDS = frozenset({"string", "text", "email", "phone", "url"})
CHOICE_KINDS = frozenset({"select", "user", "department"})


@dataclass(frozen=True)
class FilterControl:
    name: str
    label: str
    widget: str  # text | choices | contains_choice | date | datetime | number | boolean | empty_only
    options: tuple[tuple[str, str], ...] = field(default=())

    @property
    def keys(self) -> tuple[str, ...]:
        """The URL parameters this control sets."""
        by_widget = {"text": ("contains",), "choices": ("in",), "contains_choice": ("contains",),
                     "date": ("gte", "lte"), "datetime": ("gte", "lte"), "number": ("gte", "lte"),
                     "boolean": ("eq",), "empty_only": ()}
        return tuple(f"{self.name}__{op}" for op in by_widget[self.widget]) + (f"{self.name}__is_empty",)


def _options(column: Column, cells: CellText) -> tuple[tuple[str, str], ...]:
    if column.name == "stage":
        return tuple(cells.stages.items())
    if column.name == "pipeline":
        return tuple(cells.pipelines.items())
    if column.kind == "user":
        return tuple(sorted(cells.users.items(), key=lambda item: item[1].lower()))
    if column.kind == "department":
        return tuple(cells.departments.items())
    return tuple(cells.choice_labels(column.spec).items())


def _widget(column: Column) -> str:
    kind = column.kind
    if column.name in ("stage", "pipeline") or kind in CHOICE_KINDS:
        return "choices"
    if kind == "multiselect":
        return "contains_choice"
    if kind in TEXT_KINDS:
        return "text"
    if kind in ("date", "datetime"):
        return kind
    if column.numeric or kind in NUMBER_KINDS:
        return "number"
    if kind == "boolean":
        return "boolean"
    return "empty_only"


def filter_controls(columns: Sequence[Column], cells: CellText, filterable: set[str]) -> list[FilterControl]:
    controls = []
    for column in columns:
        if column.name not in filterable:
            continue
        widget = _widget(column)
        options = _options(column, cells) if widget in ("choices", "contains_choice") else ()
        controls.append(FilterControl(column.name, column.label, widget, options))
    return controls
