"""The card's timeline (PL13) and field history, from comments and the field history.

Comments, robot and system messages come from the timeline table; field changes and stage
moves come from the field history the RecordService writes (fields hidden from the actor are
already left out there). Entries carry their kind so the card can hide robot and system
entries with one toggle (NS08) while people's comments stay.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from flask_babel import gettext, ngettext

from .context import ScreenContext
from .widgets import ChoiceSource

# The pipeline columns every entity with pipelines has, named in the UI language.
STAGE_FIELDS = {"stage": lambda: gettext("Stage"), "pipeline": lambda: gettext("Pipeline")}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class TimelineEntry:
    kind: str  # "comment", "robot" or "system"
    at: str
    author: str | None
    body: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    stage_move: Change | None = None

    @property
    def hideable(self) -> bool:
        return self.kind != "comment"


def value_text(value: Any) -> str:
    """A stored value as one line of text for the history and the timeline."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            if all("text" in v for v in value):  # a checklist
                return ", ".join(("☑ " if v.get("done") else "☐ ") + str(v["text"]) for v in value)
            return ngettext("%(num)d row", "%(num)d rows", len(value))
        return ", ".join(str(v) for v in value)
    return str(value)


def stage_label(screen: ScreenContext, name: Any) -> str:
    for pipeline in screen.entity.pipelines:
        for stage in pipeline.stages:
            if stage.name == name:
                return screen.label(stage.label, stage.name)
    return value_text(name)


def field_label(screen: ScreenContext, name: str) -> str:
    if name in STAGE_FIELDS:
        return STAGE_FIELDS[name]()
    spec = screen.field(name)
    return screen.field_label(spec) if spec else name


def history_rows(screen: ScreenContext, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The field history tab: newest first, with labels and readable values."""
    rows = []
    for item in reversed(history):
        show = (lambda v: stage_label(screen, v)) if item["field"] == "stage" else value_text
        rows.append({"at": item["at"], "by": item["by"], "field": field_label(screen, item["field"]),
                     "old": show(item["old"]), "new": show(item["new"])})
    return rows


def _change_entries(screen: ScreenContext, history: list[dict[str, Any]]) -> list[TimelineEntry]:
    """One system entry per save: its field changes, and the stage move when there was one."""
    entries = []
    for (at, by), items in groupby(history, key=lambda h: (h["at"], h["by"])):
        entry = TimelineEntry("system", at, by)
        for item in items:
            if item["field"] == "stage":
                entry.stage_move = Change(gettext("Stage"), stage_label(screen, item["old"]), stage_label(screen, item["new"]))
            elif item["field"] != "pipeline":
                entry.changes.append(Change(field_label(screen, item["field"]), value_text(item["old"]),
                                            value_text(item["new"])))
        entries.append(entry)
    return entries


def timeline_entries(engine, screen: ScreenContext, record_id: int, history: list[dict[str, Any]],
                     include_robots: bool = True) -> list[TimelineEntry]:
    """The record's timeline, oldest first; without robot and system entries when asked."""
    comments = engine.comments.list(screen.actor, screen.app_name, screen.entity_name, record_id)
    files = ChoiceSource(engine, screen)
    entries = _change_entries(screen, history)
    entries += [TimelineEntry(c["kind"], c["at"], c["author"], c["body"], files.file_infos(c["files"]))
                for c in comments]
    entries.sort(key=lambda e: e.at)  # stable: a save's changes come before a comment of the same second
    if not include_robots:
        entries = [e for e in entries if not e.hideable]
    return entries
