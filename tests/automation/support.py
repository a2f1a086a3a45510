"""Helpers for the automation tests: rule documents, and a harness that installs the mini app
with some rules and reads the automation's tables back."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from stageflow.core.registry import Registry
from stageflow.data.timeline import comments_of, inbox
from stageflow.runtime import create_stageflow
from stageflow.security import SYSTEM
from stageflow.storage import platform_tables as st
from tests.support import AutomationDriver, Clock

APP = "mini"
START = dt.datetime(2026, 3, 2, 9, 0, 0)


def rule(name: str, trigger: dict, actions: list[dict], *, entities=("deal",), **extra: Any) -> dict:
    """A rule document (``rules/<name>.json``)."""
    return {"schema_version": 1, "name": name, "label": name.replace("_", " ").capitalize(),
            "entities": list(entities), "trigger": trigger, **extra, "actions": actions}


def set_note(text: str) -> dict:
    """An action whose effect is easy to see: set ``notes`` (it writes an ``updated`` event)."""
    return {"kind": "set_fields", "values": {"notes": text}}


def comment(text: str) -> dict:
    """An action whose effect is easy to see and writes no event: a robot comment."""
    return {"kind": "post_comment", "text": text}


class Harness(AutomationDriver):
    """The mini app with rules on one database, its automation and readers of its tables."""

    app = APP

    # -- writes ----------------------------------------------------------------------------
    def actor(self, username: str):
        return self.sf.actor(username)

    def create(self, entity: str = "deal", actor=None, **values) -> dict[str, Any]:
        if entity == "deal":
            values.setdefault("title", "Deal")
        return self.sf.records.create(actor or SYSTEM, APP, entity, values)

    def update(self, record_id: int, entity: str = "deal", actor=None, **values) -> dict[str, Any]:
        return self.sf.records.update(actor or SYSTEM, APP, entity, record_id, values)

    def client(self, name: str = "Client", **values) -> dict[str, Any]:
        return self.create("client", full_name=name, **values)

    def get(self, record_id: int, entity: str = "deal") -> dict[str, Any]:
        return self.sf.records.get(SYSTEM, APP, entity, record_id)

    def press(self, username: str, record_id: int, rule_name: str, entity: str = "deal") -> str:
        """A manual rule's button pressed by a user."""
        return self.engine.run_manual(self.actor(username), APP, entity, record_id, rule_name)

    # -- reads -----------------------------------------------------------------------------
    def fired(self, rule_name: str, record_id: int | None = None) -> int:
        return self.outcomes(rule_name, record_id).count("fired")

    def timers(self, rule_name: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        t = st.timers
        query = select(t).order_by(t.c.id)
        if rule_name:
            query = query.where(t.c.rule == rule_name)
        if status:
            query = query.where(t.c.status == status)
        return self._rows(query)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        m = st.messages
        query = select(m).order_by(m.c.id)
        if channel:
            query = query.where(m.c.channel == channel)
        return self._rows(query)

    def action_runs(self) -> list[dict[str, Any]]:
        return self._rows(select(st.action_runs).order_by(st.action_runs.c.id))

    def outbox(self, record_id: int | None = None) -> list[dict[str, Any]]:
        o = st.outbox
        query = select(o).order_by(o.c.id)
        if record_id is not None:
            query = query.where(o.c.record_id == record_id)
        return [{**row, "payload": json.loads(row["payload"])} for row in self._rows(query)]

    def history(self, record_id: int, field: str | None = None) -> list[dict[str, Any]]:
        h = st.history
        query = select(h).where(h.c.entity_table == f"{APP}__deal", h.c.record_id == record_id).order_by(h.c.id)
        if field:
            query = query.where(h.c.field == field)
        return [{**r, "old": json.loads(r["old_value"]), "new": json.loads(r["new_value"])}
                for r in self._rows(query)]

    def inbox(self, username: str) -> list[dict[str, Any]]:
        with self.sf.db.connect() as conn:
            return inbox(conn, username)

    def comments(self, record_id: int, include_robots: bool = True, entity: str = "deal") -> list[dict[str, Any]]:
        with self.sf.db.connect() as conn:
            return comments_of(conn, APP, entity, record_id, include_robots=include_robots)

    def said(self, record_id: int, entity: str = "deal") -> list[str]:
        """The bodies of a record's timeline entries, in order."""
        return [c["body"] for c in self.comments(record_id, entity=entity)]

    def members(self, record_id: int, relation: str) -> set[str]:
        rm = st.record_members
        rows = self._rows(select(rm.c.username).where(rm.c.entity_table == f"{APP}__deal",
                                                      rm.c.record_id == record_id, rm.c.relation == relation))
        return {r["username"] for r in rows}

    def visible_ids(self, username: str) -> set[int]:
        page = self.sf.records.list(self.actor(username), APP, "deal", limit=500)
        return {item["id"] for item in page.items}


def build_harness(db_url: str, tmp_path, bundle_root, clock: Clock, gateways: Registry | None = None) -> Harness:
    sf = create_stageflow(db_url, files_dir=tmp_path / "files", clock=clock)
    sf.install(bundle_root)
    return Harness(sf, clock, gateways)
