"""The card's tabs and sections from the entity's layout metadata (BK38).

Pure code: given the entity and the names the actor may see, it says which field goes in which
section of which tab. Fields the layout does not place appear in a trailing section, so a field
added to the metadata later shows on the card without editing the layout. Names the actor may
not see are left out, so a hidden field leaves no empty slot.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from flask_babel import gettext

from ...core.specs import EntitySpec, Label

STAGE = "stage"  # the pipeline stage: placeable in a layout like a field


@dataclass(frozen=True)
class CardSection:
    name: str
    label: str
    columns: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CardTab:
    name: str
    label: str
    sections: tuple[CardSection, ...]


def placeable_names(entity: EntitySpec) -> list[str]:
    """What a card can show: the stage (when the entity has pipelines), then the fields."""
    return ([STAGE] if entity.has_pipelines else []) + [f.name for f in entity.fields]


def card_tabs(entity: EntitySpec, visible: Collection[str], label: Callable[[Label | None, str], str]) -> list[CardTab]:
    """The tabs of the card; ``label(label, default)`` turns metadata labels into text."""
    order = [name for name in placeable_names(entity) if name in visible]
    layout = entity.layout or {}
    placed: set[str] = set()
    tabs: list[CardTab] = []
    for tab in layout.get("tabs", ()):
        sections = []
        for section in tab["sections"]:
            names = tuple(n for n in section["fields"] if n in order and n not in placed)
            placed.update(names)
            if names:
                sections.append(CardSection(section["name"], label(section.get("label"), ""),
                                            int(section.get("columns", 1)), names))
        if sections:
            tabs.append(CardTab(tab["name"], label(tab.get("label"), tab["name"]), tuple(sections)))
    rest = tuple(n for n in order if n not in placed)
    if rest:
        trailing = CardSection("more", gettext("More") if tabs else "", 2, rest)
        if tabs:
            last = tabs[-1]
            tabs[-1] = CardTab(last.name, last.label, last.sections + (trailing,))
        else:
            tabs.append(CardTab("main", gettext("Main"), (trailing,)))
    return tabs
