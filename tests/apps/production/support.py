"""The production sample app on one database, driven the way its people use it.

``Plant`` installs ``apps/production`` (optionally with its seed), acts through the record
service as real users, runs the automation with recording message gateways, and reads back
what the rules did: records, stages, inbox rows, queued messages, timeline comments and the
``sf_rule_run`` log. The clock is settable, so "the day after the due date" runs at once.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from stageflow.automation.worker import Automation
from stageflow.data.seed import load_seed
from stageflow.data.timeline import comments_of, inbox
from stageflow.metadata import read_bundle
from stageflow.runtime import create_stageflow
from stageflow.security import SYSTEM
from stageflow.storage import platform_tables as st
from tests.support import AutomationDriver, Clock, recording_gateways

APP = "production"
BUNDLE = Path(__file__).resolve().parents[3] / "apps" / APP
# "Today" in the demo data is 2026-06-15; its times are Moscow time (+03:00), so 09:00 is 06:00 UTC.
START = dt.datetime(2026, 6, 15, 6, 0, 0)


def install(url: str, files_dir: Path, clock: Clock, seed: bool):
    """A new engine on ``url`` with the production app (and its seed, with the seed's own
    outbox events already drained: the seed loads with automation off)."""
    sf = create_stageflow(url, files_dir=files_dir, clock=clock)
    sf.install(BUNDLE)
    if seed:
        load_seed(sf.records, sf.catalog.get(APP).spec, read_bundle(BUNDLE, []).seed)
        Automation(sf, gateways=recording_gateways()).run_until_idle(rounds=1000)
    return sf


def copy_sqlite(template: Path, target: Path) -> None:
    """Copy a closed SQLite database (and its WAL files, if any) to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, Path(f"{target}{suffix}"))


class Plant(AutomationDriver):
    """The installed app, its automation, and readers of what the automation did."""

    app = APP

    def __init__(self, sf, clock: Clock):
        super().__init__(sf, clock)
        self._actors: dict[str, Any] = {}

    # -- acting as people ----------------------------------------------------------------
    def actor(self, username: str | None):
        if username is None:
            return SYSTEM
        if username not in self._actors:
            self._actors[username] = self.sf.actor(username)
        return self._actors[username]

    def create(self, entity: str, by: str | None, **values) -> dict[str, Any]:
        return self.sf.records.create(self.actor(by), APP, entity, values)

    def update(self, entity: str, record_id: int, by: str | None, **values) -> dict[str, Any]:
        return self.sf.records.update(self.actor(by), APP, entity, record_id, values)

    def move(self, entity: str, record_id: int, by: str | None, stage: str, pipeline: str | None = None):
        values = {"stage": stage, **({"pipeline": pipeline} if pipeline else {})}
        return self.update(entity, record_id, by, **values)

    def upload(self, filename: str, by: str, data: bytes = b"%PDF-1.4 scan") -> int:
        return self.sf.files.put(filename, "application/pdf", data, by, self.clock()).id

    # -- reading ------------------------------------------------------------------------------
    def get(self, entity: str, record_id: int, by: str | None = None) -> dict[str, Any]:
        return self.sf.records.get(self.actor(by), APP, entity, record_id)

    def find(self, entity: str, by: str | None = None, sort: str | None = "id", **equal) -> list[dict[str, Any]]:
        where = {"all": [{"field": k, "op": "eq", "value": v} for k, v in equal.items()]} if equal else None
        return self.sf.records.list(self.actor(by), APP, entity, where=where, sort=sort, limit=500).items

    def query(self, entity: str, where: dict | None, by: str | None = None, sort: str | None = "id"):
        return self.sf.records.list(self.actor(by), APP, entity, where=where, sort=sort, limit=500).items

    def inbox(self, username: str) -> list[dict[str, Any]]:
        with self.sf.db.connect() as conn:
            return inbox(conn, username, limit=500)

    def titles(self, username: str) -> list[str]:
        return [n["title"] for n in self.inbox(username)]

    def comments(self, entity: str, record_id: int) -> list[str]:
        with self.sf.db.connect() as conn:
            return [c["body"] for c in comments_of(conn, APP, entity, record_id)]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        m = st.messages
        query = select(m).order_by(m.c.id)
        if channel:
            query = query.where(m.c.channel == channel)
        return self._rows(query)

    def sent(self, channel: str) -> list[tuple[str, str | None, str]]:
        return self.gateways.get(channel).sent

    def webhook_bodies(self, url_end: str) -> list[dict[str, Any]]:
        return [json.loads(m["body"]) for m in self.messages("webhook") if m["recipient"].endswith(url_end)]

    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.runs() if r["outcome"] == "failed"]

    def timers(self, rule: str, status: str | None = "pending") -> list[dict[str, Any]]:
        t = st.timers
        query = select(t).where(t.c.rule == rule).order_by(t.c.id)
        if status:
            query = query.where(t.c.status == status)
        return self._rows(query)

    def history(self, entity: str, record_id: int, field: str) -> list[Any]:
        h = st.history
        rows = self._rows(select(h).where(h.c.entity_table == f"{APP}__{entity}", h.c.record_id == record_id,
                                          h.c.field == field).order_by(h.c.id))
        return [json.loads(r["new_value"]) for r in rows]
