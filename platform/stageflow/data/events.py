"""Field history and domain events, written in the caller's transaction (event types and payloads:
``core.events``)."""
from __future__ import annotations

import datetime as dt
import json
import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from ..core.events import EventPayload
from ..storage import platform_tables as st

# One encoder for every call: ``json.dumps`` with options builds a new one each time.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


_EVENT_COLUMNS = ("app", "entity", "record_id", "event", "payload", "actor", "created_at")


class _CompiledInsert:
    """The outbox INSERT compiled once per database dialect, with its columns' bind processors.

    Every write appends an event; run through ``Connection.execute`` the statement machinery
    costs about three times what ``exec_driver_sql`` does for the same insert (bench/README.md).
    ``exec_driver_sql`` still fires the engine's statement events.
    """

    def __init__(self, dialect):
        compiled = st.outbox.insert().compile(dialect=dialect, column_keys=list(_EVENT_COLUMNS))
        self.sql = str(compiled)
        self.order = compiled.positiontup  # None for named parameters (psycopg)
        self.processors = {name: st.outbox.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                           for name in _EVENT_COLUMNS}

    def parameters(self, values: Mapping[str, Any]):
        bound = {name: (process(value) if (process := self.processors[name]) else value)
                 for name, value in values.items()}
        return tuple(bound[name] for name in self.order) if self.order else bound


_compiled_inserts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # dialect -> _CompiledInsert


def append_event(conn: Connection, app: str, entity: str, record_id: int, payload: EventPayload,
                 actor: str | None, now: dt.datetime) -> None:
    """Append a domain event; its type and stored shape come from the payload (core.events)."""
    insert = _compiled_inserts.get(conn.dialect)
    if insert is None:
        insert = _compiled_inserts.setdefault(conn.dialect, _CompiledInsert(conn.dialect))
    conn.exec_driver_sql(insert.sql, insert.parameters({
        "app": app, "entity": entity, "record_id": record_id, "event": payload.type.value,
        "payload": dumps(payload.to_json()), "actor": actor, "created_at": now}))


def append_history(conn: Connection, table: str, record_id: int, changes: Mapping[str, tuple[Any, Any]],
                   actor: str | None, now: dt.datetime) -> None:
    if changes:
        conn.execute(st.history.insert(), [
            {"entity_table": table, "record_id": record_id, "field": name, "old_value": dumps(old),
             "new_value": dumps(new), "changed_at": now, "changed_by": actor}
            for name, (old, new) in changes.items()])
