"""The rule engine: which rules an event or timer fires, their conditions, their actions.

Everything one event causes happens in the transaction that marks it processed: action effects,
the run log, new timers, queued messages. A worker that dies mid-way leaves nothing behind and
the event is processed again; the action-run keys make a repeated action a no-op (PL10).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from ..core.events import EventType
from ..core.specs import AppSpec, EntitySpec, Right, RuleSpec
from ..data.catalog import UnknownApp
from ..data.record_context import RecordNotFound
from ..security import SYSTEM, AccessDenied
from ..storage.database import write_transaction
from ..storage.platform_tables import action_runs, rule_runs, timers
from .actions import ActionRun, ActionStop
from .context import RuleScope
from .events import MAX_CAUSE_DEPTH, Event
from .schedules import Schedules
from .sources import compact_source
from .triggers import Manual


class RuleEngine:
    def __init__(self, stageflow):
        self.sf = stageflow
        self.kinds = stageflow.kinds

    # -- lookups ---------------------------------------------------------------------------
    def rules_for(self, app: AppSpec, entity: str) -> list[RuleSpec]:
        return [r for r in app.rules if r.enabled and entity in r.entities]

    def _record(self, conn: Connection, app: str, entity: str, record_id: int) -> dict[str, Any] | None:
        """The record as stored, its row locked for the rest of the transaction on PostgreSQL:
        the rules read, compute and write it while no one else can change it (SQLite's write
        transaction already has the whole database to itself)."""
        if conn.dialect.name == "postgresql":
            table = self.sf.catalog.context(app, entity).table
            if conn.execute(select(table.c.id).where(table.c.id == record_id).with_for_update()).first() is None:
                return None
        try:
            return self.sf.records.get(SYSTEM, app, entity, record_id, conn=conn)
        except RecordNotFound:
            return None

    def log(self, conn, app, entity, record_id, rule, source, outcome, reason, now) -> None:
        conn.execute(rule_runs.insert(), {"app": app, "entity": entity, "record_id": record_id, "rule": rule,
                                          "source": source, "outcome": outcome, "reason": reason[:4000],
                                          "created_at": now})

    # -- events ----------------------------------------------------------------------------
    def process_event(self, conn: Connection, event: Event) -> None:
        now = self.sf.clock()
        try:
            app = self.sf.catalog.get(event.app).spec
        except UnknownApp:
            return
        entity = app.entities.get(event.entity)
        if entity is None:
            return
        if event.type == EventType.DELETED:
            self.cancel_timers(conn, event.app, event.entity, event.record_id)
            return
        if not event.automation:
            return  # an import of old records (BK33) runs no automation
        record = self._record(conn, event.app, event.entity, event.record_id)
        if record is None:
            return
        written: set[str] = set()  # fields earlier rules of this event changed
        for rule in self.rules_for(app, event.entity):
            trigger = self.kinds.triggers.get(rule.trigger_kind)
            if trigger.timed:
                self._follow_timer(conn, app, entity, rule, trigger, record, event, now)
                continue
            if not trigger.fires(rule.trigger, event):
                continue
            # The record as this event left it: its own values for the fields it changed (a
            # later edit may already have changed them again), the stored record for the rest,
            # so values rules accumulate (a counter, a log) are read as they are now (NS08).
            seen = {**record, **{k: v for k, v in event.after.items() if k not in written}}
            if rule.pipelines is not None and seen.get("pipeline") not in rule.pipelines:
                continue
            source = f"event:{event.id}"
            if event.depth >= MAX_CAUSE_DEPTH:
                self.log(conn, app.name, entity.name, event.record_id, rule.name, source, "skipped",
                         f"loop guard: {event.depth} rule runs in a chain", now)
                continue
            scope = RuleScope(self.kinds, entity, seen, event.previous, event.actor, now)
            if not self._trigger_edge(rule, event, entity, seen, now) or \
                    not scope.holds(self.kinds.conditions, rule.condition):
                self.log(conn, app.name, entity.name, event.record_id, rule.name, source, "skipped",
                         "condition does not hold", now)
                continue
            self.run_rule(conn, app, entity, rule, record, scope, source, event.depth, 0, now, written)
            record = self._record(conn, event.app, event.entity, event.record_id) or record

    def _follow_timer(self, conn, app, entity, rule, trigger, record, event, now) -> None:
        """A time trigger's timer follows the record as it is now: every later change recomputes it."""
        if rule.pipelines is not None and record.get("pipeline") not in rule.pipelines:
            self.cancel_timers(conn, app.name, entity.name, record["id"], rule.name)  # it left the pipelines
        elif event.type in trigger.event_types:
            scope = RuleScope(self.kinds, entity, record, event.previous, event.actor, now)
            self.schedule(conn, app, entity, rule, record, scope, now)

    def _trigger_edge(self, rule: RuleSpec, event: Event, entity: EntitySpec, record, now) -> bool:
        """With a ``before`` condition, fire only where it held before the change."""
        before = rule.trigger.get("before")
        if before is None:
            return True
        previous_scope = RuleScope(self.kinds, entity, {**record, **event.previous}, {}, event.actor, now)
        return previous_scope.holds(self.kinds.conditions, before)

    # -- actions ---------------------------------------------------------------------------
    def run_rule(self, conn: Connection, app: AppSpec, entity: EntitySpec, rule: RuleSpec,
                 record: dict[str, Any], scope: RuleScope, source: str, depth: int, start: int,
                 now: dt.datetime, written: set[str] | None = None) -> str:
        """Run the rule's actions from ``start`` in a savepoint; a failure undoes this rule only.
        The fields it changed are added to ``written``."""
        run = ActionRun(conn, self.sf.records, app, entity, rule, record.get("id"), dict(record), scope,
                        now, source, depth)
        notes: list[str] = []
        outcome = "fired"
        savepoint = conn.begin_nested()
        try:
            for index in range(start, len(rule.actions)):
                action = rule.actions[index]
                key = f"{source}:{rule.name}:{index}"
                if conn.execute(select(action_runs.c.id).where(action_runs.c.key == key)).first():
                    notes.append(f"{action['kind']}: already done")
                    continue
                run.index = index
                try:
                    summary = self.kinds.actions.get(action["kind"]).run(action, run)
                except ActionStop as stop:
                    summary = stop.summary
                    conn.execute(action_runs.insert(), {"key": key, "rule": rule.name, "action": action["kind"],
                                                        "result": summary, "created_at": now})
                    notes.append(f"{action['kind']}: {summary}")
                    break
                conn.execute(action_runs.insert(), {"key": key, "rule": rule.name, "action": action["kind"],
                                                    "result": summary, "created_at": now})
                notes.append(f"{action['kind']}: {summary}")
            savepoint.commit()
            if written is not None:
                written.update(run.written)
        except DBAPIError:
            raise  # the database itself failed: the whole event is retried
        except Exception as exc:  # noqa: BLE001 - a bad rule must not block the queue; it is logged
            savepoint.rollback()
            outcome = "failed"
            notes.append(f"{rule.actions[run.index]['kind']}: {type(exc).__name__}: {exc}")
        self.log(conn, app.name, entity.name, record.get("id"), rule.name, source, outcome, "; ".join(notes), now)
        return outcome

    def run_manual(self, actor, app_name: str, entity_name: str, record_id: int, rule_name: str) -> str:
        """A button press (manual trigger) by a user who may edit the record (BK11, BK34)."""
        app = self.sf.catalog.get(app_name).spec
        rule = next((r for r in self.rules_for(app, entity_name)
                     if r.name == rule_name and r.trigger_kind == Manual.kind), None)
        if rule is None:
            raise LookupError(f"{entity_name} has no button {rule_name!r}")
        ctx = self.sf.catalog.context(app_name, entity_name)
        policy = ctx.policy(actor)
        policy.require(Right.UPDATE)
        roles = rule.trigger.get("roles")
        # The app's administrators (a role with admin: true) may press every button, as they may do
        # everything else in the app.
        if roles and not policy.unrestricted and not set(roles) & actor.roles_in(app_name):
            raise AccessDenied(f"the button {rule_name!r} is for {', '.join(roles)}")
        now = self.sf.clock()
        with write_transaction(self.sf.db) as conn:
            self._record(conn, app_name, entity_name, record_id)  # the row lock
            record = self.sf.records.get(actor, app_name, entity_name, record_id, conn=conn)
            scope = RuleScope(self.kinds, ctx.entity, record, {}, actor.username, now)
            # A second press in the same second is a double click: the same source, nothing repeated.
            source = compact_source("manual", actor.username, app_name, entity_name, record_id, now.isoformat())
            if not scope.holds(self.kinds.conditions, rule.condition):
                self.log(conn, app_name, entity_name, record_id, rule.name, source, "skipped",
                         "condition does not hold", now)
                return "skipped"
            return self.run_rule(conn, app, ctx.entity, rule, record, scope, source, 0, 0, now)

    # -- timers ----------------------------------------------------------------------------
    def schedule(self, conn, app, entity, rule, record, scope, now) -> None:
        """Keep one pending timer per (rule, record), at the due time the record implies now."""
        trigger = self.kinds.triggers.get(rule.trigger_kind)
        due = trigger.due_at(rule.trigger, record, scope.values)
        holds = scope.holds(self.kinds.conditions, rule.condition)
        t = timers
        key = (t.c.app == app.name, t.c.entity == entity.name, t.c.record_id == record["id"],
               t.c.rule == rule.name, t.c.purpose == "trigger", t.c.status == "pending")
        pending = conn.execute(select(t.c.id, t.c.due_at).where(*key)).all()
        if holds and due is not None and any(p.due_at == due for p in pending):
            return
        if pending:
            conn.execute(t.update().where(*key).values(status="cancelled", fired_at=now))
        # A due time fires once: a later edit that leaves the date alone plans nothing again.
        fired = (*key[:5], t.c.status == "fired", t.c.due_at == due)
        if holds and due is not None and conn.execute(select(t.c.id).where(*fired).limit(1)).first() is None:
            conn.execute(t.insert(), {"app": app.name, "entity": entity.name, "record_id": record["id"],
                                      "rule": rule.name, "purpose": "trigger", "due_at": due, "status": "pending",
                                      "cause": json.dumps({"due_from": rule.trigger.get("field")}),
                                      "created_at": now})

    def cancel_timers(self, conn, app: str, entity: str, record_id: int, rule: str | None = None) -> None:
        t = timers
        query = t.update().where(t.c.app == app, t.c.entity == entity, t.c.record_id == record_id,
                                 t.c.status == "pending")
        if rule is not None:
            query = query.where(t.c.rule == rule, t.c.purpose == "trigger")
        conn.execute(query.values(status="cancelled"))

    def fire_timer(self, conn: Connection, timer: Mapping[str, Any]) -> None:
        now = self.sf.clock()
        conn.execute(timers.update().where(timers.c.id == timer["id"]).values(status="fired", fired_at=now))
        try:
            app = self.sf.catalog.get(timer["app"]).spec
        except UnknownApp:
            return
        entity = app.entities.get(timer["entity"])
        rule = next((r for r in app.rules if r.name == timer["rule"]), None)
        if rule is None or entity is None:
            return
        record = None if timer["record_id"] is None else self._record(conn, timer["app"], timer["entity"], timer["record_id"])
        if record is None and timer["purpose"] != "schedule":
            return
        if timer["purpose"] == "schedule":
            Schedules(self).fire(conn, timer, app, rule, now)
            return
        if timer["purpose"] == "resume":
            source = json.loads(timer["cause"] or "{}").get("source", f"timer:{timer['id']}")
            scope = RuleScope(self.kinds, entity, record, {}, None, now)
            self.run_rule(conn, app, entity, rule, record, scope, source, 0, timer["resume_at"], now)
            return
        source = f"timer:{timer['id']}"
        scope = RuleScope(self.kinds, entity, record, {}, None, now)
        in_pipelines = rule.pipelines is None or record.get("pipeline") in rule.pipelines
        if not rule.enabled or not in_pipelines or not scope.holds(self.kinds.conditions, rule.condition):
            self.log(conn, app.name, entity.name, record["id"], rule.name, source, "skipped",
                     "condition no longer holds at the due time", now)
            return
        self.run_rule(conn, app, entity, rule, record, scope, source, 0, 0, now)
