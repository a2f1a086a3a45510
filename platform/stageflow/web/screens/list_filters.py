"""The filter controls of a list, one per shown column, chosen by the field kind's face.

Text fields filter by "contains", choices (select, user, department, stage) by "one of",
dates and numbers by a from/to range, booleans by yes/no; every field can ask "is empty".
The controls only name URL parameters (see :mod:`.list_query`); the service does the work.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..field_faces import FILTER_OPERATORS, FilterWidget
from .list_columns import CellText, Column

# System columns whose values are the entity's own stages and pipelines.
STAGE_COLUMNS = ("stage", "pipeline")
CHOICE_WIDGETS = (FilterWidget.CHOICES, FilterWidget.CONTAINS_CHOICE)


@dataclass(frozen=True)
class FilterControl:
    name: str
    label: str
    widget: FilterWidget
    options: tuple[tuple[str, str], ...] = field(default=())

    @property
    def keys(self) -> tuple[str, ...]:
        """The URL parameters this control sets."""
        return tuple(f"{self.name}__{op}" for op in FILTER_OPERATORS[self.widget]) + (f"{self.name}__is_empty",)


def _control(column: Column, cells: CellText) -> FilterControl:
    if column.name in STAGE_COLUMNS:
        own = cells.stages if column.name == "stage" else cells.pipelines
        return FilterControl(column.name, column.label, FilterWidget.CHOICES, tuple(own.items()))
    face = cells.faces.face(column.spec)
    widget = face.filter_widget(column.spec, cells.faces)
    options = face.filter_options(column.spec, cells) if widget in CHOICE_WIDGETS else ()
    return FilterControl(column.name, column.label, widget, options)


def filter_controls(columns: Sequence[Column], cells: CellText, filterable: set[str]) -> list[FilterControl]:
    return [_control(column, cells) for column in columns if column.name in filterable]
