"""Cron schedules and inbound webhooks: the rules that start without a record event."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ..storage.database import write_transaction
from ..storage.platform_tables import timers, webhook_tokens
from .context import RuleScope
from .sources import compact_source
from .triggers import Schedule, Webhook, next_run

MAX_RECORDS_PER_RUN = 10_000


class UnknownWebhook(LookupError):
    """No such rule, not a webhook rule, or a wrong token (the three are not told apart)."""


class Schedules:
    def __init__(self, engine):
        self.engine = engine
        self.sf = engine.sf

    def ensure(self, conn, now: dt.datetime) -> int:
        """Every enabled schedule rule has its next run pending; returns how many were added."""
        added = 0
        for name in self.sf.catalog.names():
            app = self.sf.catalog.get(name).spec
            for rule in app.rules:
                if rule.trigger_kind != Schedule.kind or not rule.enabled:
                    continue
                pending = conn.execute(select(timers.c.id).where(
                    timers.c.app == name, timers.c.rule == rule.name, timers.c.purpose == "schedule",
                    timers.c.status == "pending")).first()
                if pending is None:
                    self._plan(conn, name, rule, now)
                    added += 1
        return added

    def _plan(self, conn, app: str, rule, now: dt.datetime) -> None:
        conn.execute(timers.insert(), {"app": app, "entity": rule.entities[0], "record_id": None, "rule": rule.name,
                                       "purpose": "schedule", "due_at": next_run(rule.trigger, now),
                                       "status": "pending", "cause": None, "created_at": now})

    def fire(self, conn, timer: Mapping[str, Any], app, rule, now: dt.datetime) -> None:
        """Run a due schedule and plan its next run."""
        if rule.enabled:
            self._plan(conn, app.name, rule, now)
        else:
            return
        source = f"schedule:{timer['id']}"
        for entity_name in rule.entities:
            entity = app.entities[entity_name]
            if not rule.trigger.get("for_each"):
                scope = RuleScope(self.engine.kinds, entity, {}, {}, None, now)
                if scope.holds(self.engine.kinds.conditions, rule.condition):
                    self.engine.run_rule(conn, app, entity, rule, {}, scope, source, 0, 0, now)
                continue
            ctx = self.sf.catalog.context(app.name, entity_name)
            query = select(ctx.table.c.id).order_by(ctx.table.c.id).limit(MAX_RECORDS_PER_RUN)
            if rule.condition is not None:
                query = query.where(ctx.filters().compile(rule.condition))
            for record_id in conn.execute(query).scalars().all():
                record = self.engine._record(conn, app.name, entity_name, record_id)
                if record is not None:
                    scope = RuleScope(self.engine.kinds, entity, record, {}, None, now)
                    self.engine.run_rule(conn, app, entity, rule, record, scope, f"{source}:{record_id}", 0, 0, now)

    # -- webhooks --------------------------------------------------------------------------
    def webhook_token(self, app: str, rule_name: str) -> str:
        """A new secret for the rule's inbound URL (the old one stops working)."""
        self._webhook_rule(app, rule_name)
        token = secrets.token_urlsafe(24)
        digest = hashlib.sha256(token.encode()).hexdigest()
        with write_transaction(self.sf.db) as conn:
            conn.execute(webhook_tokens.delete().where(webhook_tokens.c.app == app, webhook_tokens.c.rule == rule_name))
            conn.execute(webhook_tokens.insert(), {"app": app, "rule": rule_name, "token_hash": digest,
                                                   "created_at": self.sf.clock()})
        return token

    def _webhook_rule(self, app_name: str, rule_name: str):
        try:
            app = self.sf.catalog.get(app_name).spec
        except LookupError:
            raise UnknownWebhook(app_name) from None
        rule = next((r for r in app.rules if r.name == rule_name and r.trigger_kind == Webhook.kind), None)
        if rule is None:
            raise UnknownWebhook(rule_name)
        return app, rule

    def receive(self, app_name: str, rule_name: str, token: str, payload: Mapping[str, Any]) -> str:
        """Run a webhook rule for an inbound call; returns the run's outcome."""
        app, rule = self._webhook_rule(app_name, rule_name)
        if not rule.enabled:
            return "disabled"
        now = self.sf.clock()
        with write_transaction(self.sf.db) as conn:
            stored = conn.execute(select(webhook_tokens.c.token_hash).where(
                webhook_tokens.c.app == app_name, webhook_tokens.c.rule == rule_name)).scalar()
            if stored is None or not hmac.compare_digest(stored, hashlib.sha256(token.encode()).hexdigest()):
                raise UnknownWebhook(rule_name)
            entity = app.entities[rule.entities[0]]
            record = self._matching_record(conn, app, entity, rule, payload)
            scope = RuleScope(self.engine.kinds, entity, record or {}, {}, None, now).with_payload(payload)
            # The same body at the same moment is a redelivery: the same source, nothing repeated.
            source = compact_source("webhook", rule_name, app_name, payload, now.isoformat())
            if not scope.holds(self.engine.kinds.conditions, rule.condition):
                self.engine.log(conn, app.name, entity.name, (record or {}).get("id"), rule.name, source, "skipped",
                                "condition does not hold", now)
                return "skipped"
            return self.engine.run_rule(conn, app, entity, rule, record or {}, scope, source, 0, 0, now)

    def _matching_record(self, conn, app, entity, rule, payload) -> dict[str, Any] | None:
        match = rule.trigger.get("match")
        if not match or payload.get(match["payload"]) in (None, ""):
            return None
        ctx = self.sf.catalog.context(app.name, entity.name)
        tree = {"field": match["field"], "op": "eq", "value": payload[match["payload"]]}
        try:
            found = conn.execute(select(ctx.table.c.id).where(ctx.filters().compile(tree))
                                 .order_by(ctx.table.c.id.desc()).limit(1)).scalar()
        except ValueError:
            return None
        return self.engine._record(conn, app.name, entity.name, found) if found else None
