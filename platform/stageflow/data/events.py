"""Field history and domain events, written in the caller's transaction."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from . import system_tables as st


class EventType(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STAGE_CHANGED = "stage_changed"
    DELETED = "deleted"


# One encoder for every call: ``json.dumps`` with options builds a new one each time.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


# Built once: a statement object reused across calls skips SQLAlchemy's cache-key work.
OUTBOX_INSERT = st.outbox.insert()


def append_event(conn: Connection, app: str, entity: str, record_id: int, event: EventType,
                 payload: Mapping[str, Any], actor: str | None, now: dt.datetime) -> None:
    conn.execute(OUTBOX_INSERT, {"app": app, "entity": entity, "record_id": record_id, "event": event.value,
                                      "payload": dumps(payload), "actor": actor, "created_at": now})


def append_history(conn: Connection, table: str, record_id: int, changes: Mapping[str, tuple[Any, Any]],
                   actor: str | None, now: dt.datetime) -> None:
    if changes:
        conn.execute(st.history.insert(), [
            {"entity_table": table, "record_id": record_id, "field": name, "old_value": dumps(old),
             "new_value": dumps(new), "changed_at": now, "changed_by": actor}
            for name, (old, new) in changes.items()])
