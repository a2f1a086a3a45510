"""A domain event as the automation engine sees it (a row of ``sf_outbox``)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_CAUSE_DEPTH = 8


@dataclass(frozen=True)
class Event:
    id: int
    app: str
    entity: str
    record_id: int
    type: str
    payload: Mapping[str, Any]
    actor: str | None
    created_at: dt.datetime
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        return cls(row["id"], row["app"], row["entity"], row["record_id"], row["event"],
                   json.loads(row["payload"]), row["actor"], row["created_at"])

    @property
    def automation(self) -> bool:
        return self.payload.get("automation", True)

    @property
    def changed(self) -> Mapping[str, list]:
        """Field -> [old, new] for an update (JSON values)."""
        return self.payload.get("changed", {})

    @property
    def previous(self) -> dict[str, Any]:
        """Field -> value before the change (JSON values); a stage move names where it came from."""
        if self.type == "stage_changed":
            return _stage_values(self.payload.get("from"))
        return {name: old for name, (old, _new) in self.changed.items()}

    @property
    def after(self) -> dict[str, Any]:
        """Field -> value this event wrote (JSON values): what its rules must see of those fields,
        even when later edits already changed the record again (NS08)."""
        if self.type == "created":
            return dict(self.payload.get("values", {}))
        if self.type == "stage_changed":
            return _stage_values(self.payload.get("to"))
        return {name: new for name, (_old, new) in self.changed.items()}

    @property
    def depth(self) -> int:
        """How many rule runs led to this event; a loop guard stops deep chains."""
        return int(self.payload.get("cause", {}).get("depth", 0))


def _stage_values(place: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: place[k] for k in ("pipeline", "stage") if place and k in place}
