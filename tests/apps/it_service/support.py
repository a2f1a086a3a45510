"""The it_service app on a database, driven the way its people use it, and readers of what the
automation did (records, inboxes, queued e-mails, timeline, run log)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from stageflow.automation.schedules import Schedules
from stageflow.data.timeline import EntryKind, add_comment, comments_of, inbox
from stageflow.security import SYSTEM
from stageflow.storage import platform_tables as st
from stageflow.storage.database import write_transaction
from tests.support import AutomationDriver, Clock

APP = "it_service"
BUNDLE = Path(__file__).resolve().parents[3] / "apps" / APP
# "Today" in the demo data.
START = dt.datetime(2026, 6, 15, 9, 0, 0)


class ItApp(AutomationDriver):
    """One Stageflow engine with the it_service app installed, and its automation."""

    app = APP

    def __init__(self, sf, clock: Clock):
        super().__init__(sf, clock)
        self._tokens: dict[str, str] = {}

    # -- acting as people ------------------------------------------------------------------
    def _who(self, user: str | None):
        return SYSTEM if user is None else self.sf.actor(user)

    def create(self, entity: str, user: str | None = None, **values) -> dict[str, Any]:
        return self.sf.records.create(self._who(user), APP, entity, values)

    def update(self, entity: str, record_id: int, user: str | None = None, **values) -> dict[str, Any]:
        return self.sf.records.update(self._who(user), APP, entity, record_id, values)

    def get(self, entity: str, record_id: int, user: str | None = None) -> dict[str, Any]:
        return self.sf.records.get(self._who(user), APP, entity, record_id)

    def list(self, entity: str, user: str | None = None, where: dict | None = None, **kw) -> list[dict[str, Any]]:
        return self.sf.records.list(self._who(user), APP, entity, where=where, limit=500, **kw).items

    def find(self, entity: str, **equal) -> list[dict[str, Any]]:
        """Records (as the system sees them) whose fields equal the given values, oldest first."""
        where = {"all": [{"field": k, "op": "eq", "value": v} for k, v in equal.items()]} if equal else None
        return self.list(entity, where=where, sort="id")

    def press(self, user: str, entity: str, record_id: int, rule_name: str) -> str:
        """A user presses a rule's button on the record's card."""
        return self.engine.run_manual(self.sf.actor(user), APP, entity, record_id, rule_name)

    def hook(self, rule_name: str, payload: dict[str, Any]) -> str:
        """An inbound webhook call to the rule's secret URL."""
        schedules = Schedules(self.engine)
        if rule_name not in self._tokens:
            self._tokens[rule_name] = schedules.webhook_token(APP, rule_name)
        return schedules.receive(APP, rule_name, self._tokens[rule_name], payload)

    def comment(self, user: str, entity: str, record_id: int, text: str, files: list[int] | None = None) -> None:
        """A person writes in the record's comment thread (after the record service says they see it)."""
        self.get(entity, record_id, user)
        with write_transaction(self.sf.db) as conn:
            add_comment(conn, APP, entity, record_id, text, author=user, kind=EntryKind.COMMENT, files=files,
                        now=self.clock())

    def upload(self, user: str, name: str, data: bytes = b"%PDF-1.4 demo") -> int:
        return self.sf.files.put(name, "application/pdf", data, user, now=self.clock()).id

    # -- reading what happened -------------------------------------------------------------
    def inbox(self, user: str) -> list[str]:
        """Titles of the user's notifications, newest first."""
        with self.sf.db.connect() as conn:
            return [n["title"] for n in inbox(conn, user)]

    def emails(self, recipient: str | None = None) -> list[dict[str, Any]]:
        m = st.messages
        query = select(m).where(m.c.channel == "email").order_by(m.c.id)
        if recipient:
            query = query.where(m.c.recipient == recipient)
        return self._rows(query)

    def timeline(self, entity: str, record_id: int, include_robots: bool = True) -> list[dict[str, Any]]:
        with self.sf.db.connect() as conn:
            return comments_of(conn, APP, entity, record_id, include_robots=include_robots)

    def said(self, entity: str, record_id: int) -> list[str]:
        return [c["body"] for c in self.timeline(entity, record_id)]

    def tasks(self, **equal) -> list[dict[str, Any]]:
        return self.find("task", **equal)

    def history(self, entity: str, record_id: int) -> list[dict[str, Any]]:
        return self.sf.records.history(SYSTEM, APP, entity, record_id)


# -- small fixture data for tests on an empty database ---------------------------------------------

def make_client(app: ItApp, short_name: str = "Администрация Ерзовского ГП", **values) -> dict[str, Any]:
    base = {"name": f"{short_name} Городищенского муниципального района", "short_name": short_name,
            "org_type": "gp_admin", "inn": "3403300010", "district": "gorodishchensky", "city": "erzovka"}
    return app.create("client", **{**base, **values})


def make_folder(app: ItApp, name: str = "Администрация Ерзовского ГП") -> dict[str, Any]:
    return app.create("document_folder", name=name, folder_type="client", department="sales")


def contact_of_portal_user(app: ItApp, username: str) -> dict[str, Any]:
    return app.find("contact", portal_user=username)[0]


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
