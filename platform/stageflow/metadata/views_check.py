"""Meaning checks of an entity's ``views`` (list columns, kanban card fields, calendar fields).

Kept apart from :mod:`.meaning` because it is the screens' part of the metadata: every name must
be a field the entity has, calendar fields must hold dates, and the color field must be a select.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..core.problems import Code, pointer

CALENDAR_KINDS = frozenset({"date", "datetime"})
# System fields a calendar may show besides the entity's own date fields.
SYSTEM_DATES = frozenset({"created_at", "updated_at", "stage_changed_at"})

Report = Callable[[str, Code, str], None]


def check_views(data: Mapping[str, Any], known: set[str], report: Report) -> None:
    """Report every problem of ``data["views"]``; ``known`` holds the entity's field names
    (system and pipeline fields included); ``report(pointer, code, message)``."""
    views = data.get("views")
    if not views:
        return
    kinds = {f["name"]: f["kind"] for f in data.get("fields", [])}

    def names(at: tuple, values: list[str], what: str) -> None:
        for i, name in enumerate(values):
            if name not in known:
                report(pointer(*at, i), Code.UNKNOWN_FIELD, f"{what} names unknown field {name!r}")

    listing = views.get("list", {})
    names(("views", "list", "columns"), listing.get("columns", []), "list column")
    sort = listing.get("sort")
    if sort and sort.lstrip("-") not in known:
        report(pointer("views", "list", "sort"), Code.UNKNOWN_FIELD, f"list sort names unknown field {sort.lstrip('-')!r}")
    names(("views", "board", "card_fields"), views.get("board", {}).get("card_fields", []), "kanban card")

    calendar = views.get("calendar", {})
    for i, name in enumerate(calendar.get("date_fields", [])):
        at = pointer("views", "calendar", "date_fields", i)
        if name not in known:
            report(at, Code.UNKNOWN_FIELD, f"calendar names unknown field {name!r}")
        elif name not in SYSTEM_DATES and kinds.get(name) not in CALENDAR_KINDS:
            report(at, Code.BAD_REFERENCE, f"calendar field {name!r} is a {kinds.get(name)} field, "
                                           f"not a date or datetime")
    color = calendar.get("color_field")
    if color is not None:
        at = pointer("views", "calendar", "color_field")
        if color not in known:
            report(at, Code.UNKNOWN_FIELD, f"calendar color field {color!r} is not a field")
        elif kinds.get(color) != "select":
            report(at, Code.BAD_REFERENCE, f"calendar color field {color!r} is a {kinds.get(color)} field, not a select")
