"""Handing outbox events and due timers to the rule engine, one transaction each.

The database is the truth: an event is claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) or
under SQLite's single write lock, and marked processed in the same transaction as its effects.
Only the oldest unprocessed event of a record can be claimed, so each record's events run in
order, while different records run in parallel on several workers. A worker that dies mid-way
holds no lock any more and leaves nothing committed: the event is simply claimed again.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from ..storage import platform_tables as st
from ..storage.database import write_transaction
from ..storage.platform_tables import timers
from .engine import RuleEngine
from .events import Event


class Dispatcher:
    def __init__(self, stageflow, engine: RuleEngine | None = None):
        self.sf = stageflow
        self.engine = engine or RuleEngine(stageflow)

    def _locking(self, query, conn):
        return query.with_for_update(skip_locked=True) if conn.dialect.name == "postgresql" else query

    def _claim_event(self, conn) -> dict[str, Any] | None:
        o, earlier = st.outbox, aliased(st.outbox)
        older_pending = exists().where(and_(earlier.c.processed_at.is_(None), earlier.c.app == o.c.app,
                                            earlier.c.entity == o.c.entity, earlier.c.record_id == o.c.record_id,
                                            earlier.c.id < o.c.id))
        query = select(o).where(o.c.processed_at.is_(None), ~older_pending).order_by(o.c.id).limit(1)
        row = conn.execute(self._locking(query, conn)).mappings().first()
        return dict(row) if row else None

    def process_one_event(self) -> bool:
        with write_transaction(self.sf.db) as conn:
            row = self._claim_event(conn)
            if row is None:
                return False
            self.engine.process_event(conn, Event.from_row(row))
            conn.execute(st.outbox.update().where(st.outbox.c.id == row["id"])
                         .values(processed_at=self.sf.clock()))
            return True

    def fire_one_timer(self) -> bool:
        with write_transaction(self.sf.db) as conn:
            query = select(timers).where(timers.c.status == "pending", timers.c.due_at <= self.sf.clock()) \
                .order_by(timers.c.due_at, timers.c.id).limit(1)
            row = conn.execute(self._locking(query, conn)).mappings().first()
            if row is None:
                return False
            self.engine.fire_timer(conn, dict(row))
            return True

    def drain(self, limit: int = 1000) -> int:
        """Process pending events until none is left (or ``limit``); returns how many."""
        done = 0
        while done < limit and self.process_one_event():
            done += 1
        return done

    def sweep(self, limit: int = 1000) -> int:
        """Fire due timers until none is left (or ``limit``); returns how many."""
        done = 0
        while done < limit and self.fire_one_timer():
            done += 1
        return done

    def run_until_idle(self, rounds: int = 50) -> int:
        """Events and timers until both are empty: what a test or a one-shot worker wants."""
        total = 0
        for _ in range(rounds):
            step = self.drain() + self.sweep()
            total += step
            if not step:
                break
        return total
