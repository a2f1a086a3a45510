"""A domain event as the automation engine sees it (a row of ``sf_outbox``); its type and payload
shape are ``core.events``, shared with the record service that writes them."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.events import EventPayload, UpdatedPayload, read_payload

MAX_CAUSE_DEPTH = 8


@dataclass(frozen=True)
class Event:
    id: int
    app: str
    entity: str
    record_id: int
    type: str  # an EventType value
    payload: EventPayload
    actor: str | None
    created_at: dt.datetime
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        return cls(row["id"], row["app"], row["entity"], row["record_id"], row["event"],
                   read_payload(row["event"], json.loads(row["payload"])), row["actor"], row["created_at"])

    @property
    def automation(self) -> bool:
        return self.payload.automation

    @property
    def changed(self) -> Mapping[str, list]:
        """Field -> [old, new] for an update (JSON values)."""
        return self.payload.changed if isinstance(self.payload, UpdatedPayload) else {}

    @property
    def previous(self) -> dict[str, Any]:
        """Field -> value before the change (JSON values); a stage move names where it came from."""
        return self.payload.before()

    @property
    def after(self) -> dict[str, Any]:
        """Field -> value this event wrote (JSON values): what its rules must see of those fields,
        even when later edits already changed the record again (NS08)."""
        return self.payload.after()

    @property
    def depth(self) -> int:
        """How many rule runs led to this event; a loop guard stops deep chains."""
        return self.payload.depth
