"""The bankruptcy CRM as its people use it: a harness that acts through the record service with
user actors, and readers of what the automation did (inbox, timeline,
queued e-mail and SMS, the rule run log)."""
from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from stageflow.data.record_context import RecordNotFound
from stageflow.data.timeline import comments_of, inbox
from stageflow.runtime import create_stageflow
from stageflow.security import SYSTEM
from stageflow.storage import platform_tables as st
from tests.support import AutomationDriver, Clock

APP = "bankruptcy_crm"
BUNDLE = Path(__file__).resolve().parents[3] / "apps" / APP
# 10:00 in Moscow on the demo data's "today" (naive UTC, as the platform keeps time).
START = dt.datetime(2026, 11, 23, 7, 0, 0)
_phones = itertools.count(1000)


def new_phone() -> str:
    """A phone number no other test uses (so SMS and calls can be told apart)."""
    n = next(_phones)
    return f"+7 916 {n // 100:03d}-{n % 100:02d}-00"


class Crm(AutomationDriver):
    """One installation of the app, its automation worker and readers of what happened."""

    app = APP

    # -- what people do ---------------------------------------------------------------------
    def create(self, user: str | None, entity: str, **values) -> dict[str, Any]:
        return self.sf.records.create(self._actor(user), APP, entity, values)

    def update(self, user: str | None, record_id: int, entity: str = "deal", **values) -> dict[str, Any]:
        return self.sf.records.update(self._actor(user), APP, entity, record_id, values)

    def move(self, user: str | None, record_id: int, stage: str, **values) -> dict[str, Any]:
        return self.update(user, record_id, stage=stage, **values)

    def press(self, user: str, record_id: int, rule: str, entity: str = "deal") -> str:
        """A button (manual rule) pressed on the card."""
        return self.engine.run_manual(self.sf.actor(user), APP, entity, record_id, rule)

    def client(self, last_name: str = "Клиентова", **values) -> dict[str, Any]:
        values.setdefault("phone", new_phone())
        return self.create("ivanova.a", "client", last_name=last_name, first_name="Мария", **values)

    def lead(self, user: str | None = "ivanova.a", **values) -> dict[str, Any]:
        """A new deal as the call center enters it (in the queue, unassigned)."""
        client = values.pop("client", None) or self.client()
        values.setdefault("title", f"{client['full_name']} — банкротство")
        values.setdefault("request_date", self.clock.now.date().isoformat())
        values.setdefault("city", "msk")
        values.setdefault("client_phone", client["phone"])
        return self.create(user, "deal", client=client["id"], **values)

    # -- what they see ----------------------------------------------------------------------
    def get(self, record_id: int, entity: str = "deal", user: str | None = None) -> dict[str, Any]:
        return self.sf.records.get(self._actor(user), APP, entity, record_id)

    def sees(self, user: str, record_id: int, entity: str = "deal") -> bool:
        try:
            self.get(record_id, entity, user)
        except RecordNotFound:
            return False
        return True

    def inbox(self, user: str, record_id: int | None = None) -> list[dict[str, Any]]:
        with self.sf.db.connect() as conn:
            items = inbox(conn, user, limit=500)
        return [n for n in items if record_id is None or n["record_id"] == record_id]

    def titles(self, user: str, record_id: int) -> list[str]:
        return [n["title"] for n in self.inbox(user, record_id)]

    def said(self, record_id: int, entity: str = "deal") -> list[str]:
        """The robot and people messages on a record's timeline, oldest first."""
        with self.sf.db.connect() as conn:
            return [c["body"] for c in comments_of(conn, APP, entity, record_id)]

    def messages(self, channel: str, recipient: str | None = None) -> list[dict[str, Any]]:
        m = st.messages
        query = select(m).where(m.c.channel == channel).order_by(m.c.id)
        if recipient is not None:
            query = query.where(m.c.recipient == recipient)
        return self._rows(query)

    def sent(self, channel: str, recipient: str) -> list[tuple[str | None, str]]:
        """What the SMTP server / SMS gateway was actually given for one recipient."""
        return [(subject, body) for to, subject, body in self.gateways.get(channel).sent if to == recipient]

    def linked(self, entity: str, field: str, record_id: int) -> list[dict[str, Any]]:
        """Records of ``entity`` whose link ``field`` points at ``record_id``."""
        page = self.sf.records.list(SYSTEM, APP, entity, where={"field": field, "op": "eq", "value": record_id},
                                    limit=200)
        return page.items

    def watchers(self, record_id: int) -> set[str]:
        rm = st.record_members
        rows = self._rows(select(rm.c.username).where(rm.c.entity_table == f"{APP}__deal",
                                                      rm.c.record_id == record_id, rm.c.relation == "watcher"))
        return {r["username"] for r in rows}

    def _actor(self, user: str | None):
        return SYSTEM if user is None else self.sf.actor(user)


def build(url: str, files_dir: Path, clock: Clock, installed_copy: Path | None = None) -> Crm:
    """The app installed on ``url``. With ``installed_copy`` (a SQLite file where it is installed
    already) a SQLite database starts as a copy of that file instead of installing again."""
    if installed_copy is not None and url.startswith("sqlite:///"):
        shutil.copyfile(installed_copy, url.removeprefix("sqlite:///"))
        return Crm(create_stageflow(url, files_dir=files_dir, clock=clock), clock)
    sf = create_stageflow(url, files_dir=files_dir, clock=clock)
    sf.install(BUNDLE)
    return Crm(sf, clock)


# The sales path of a deal (deal_sales), with who makes each move and what they fill in.
SALES_PATH = [
    ("cc_processing", "ivanova.a", {}),
    ("consultation_booked", "ivanova.a", {}),
    ("sales_dept", "ivanova.a", {}),
    ("consultation_held", "lebedev.k", {}),
    ("contract_signed", "lebedev.k", {"amount": "120000", "installments": 6, "passport_number": "4516 336459",
                                      "registration_address": "г. Москва, Рязанский пр-т, д. 101, кв. 237"}),
    ("payments", "morozov.a", {}),  # the sales head enters the first payment date (read-only for managers)
    ("documents", "lebedev.k", {}),
    ("lawyers", "lebedev.k", {"lawyer": "egorov.p", "snils": "629-531-935 18", "inn": "777079377266",
                              "debt_total": "850000"}),
]


def walk(crm: Crm, deal_id: int, until: str) -> dict[str, Any]:
    """Take a deal along the sales path the usual way, with the worker keeping up after each
    step: the operator ivanova.a takes the lead, the Moscow manager lebedev.k takes it from the
    department's queue, the head morozov.a enters the first payment (today), and the head of
    legal belova.i closes her documents review (BK16) before the lawyers get it."""
    current = crm.get(deal_id)
    if current["stage"] == "new_lead" and current["assignee"] is None:
        crm.update("ivanova.a", deal_id, assignee="ivanova.a")
        crm.run()
    names = [stage for stage, _, _ in SALES_PATH]
    start = names.index(current["stage"]) + 1 if current["stage"] in names else 0
    for stage, user, values in SALES_PATH[start:names.index(until) + 1]:
        if stage == "consultation_held" and crm.get(deal_id)["assignee"] is None:
            crm.update("lebedev.k", deal_id, assignee="lebedev.k")
            crm.run()
        if stage == "payments":
            values = {"first_payment_date": crm.clock.now.date().isoformat()}
        if stage == "lawyers":
            for task in crm.linked("task", "deal", deal_id):
                if task["assignee"] == "belova.i" and task["status"] != "done":
                    crm.update("belova.i", task["id"], "task", status="done")
        crm.update(user, deal_id, stage=stage, **values)
        crm.run()
    return crm.get(deal_id)


# What a deal of the Moscow office holds once it has reached a stage (cumulative).
_AT = [
    ("cc_processing", {"assignee": "ivanova.a", "operator": "ivanova.a", "department": "call_center"}),
    ("sales_dept", {"assignee": "lebedev.k", "sales_manager": "lebedev.k", "department": "sales_msk"}),
    ("contract_signed", dict(SALES_PATH[4][2])),
    ("payments", {}),
    ("lawyers", {"assignee": "egorov.p", **SALES_PATH[7][2]}),
]
_ORDER = ["new_lead"] + [stage for stage, _, _ in SALES_PATH]


def place(crm: Crm, stage: str, **values) -> dict[str, Any]:
    """An existing deal standing at ``stage`` of the sales pipeline, entered the way the demo data
    is (by the engine, without automation): the arrangement of a test, so that only the step
    under test runs the robots. Its first payment, once it has one, is today."""
    client = crm.client()
    data = {"title": f"{client['full_name']} — {stage}", "client": client["id"], "client_phone": client["phone"],
            "request_date": crm.clock.now.date().isoformat(), "city": "msk", "stage": stage}
    for reached, extra in _AT:
        if _ORDER.index(reached) <= _ORDER.index(stage):
            data.update(extra)
    if _ORDER.index(stage) >= _ORDER.index("payments"):
        data["first_payment_date"] = crm.clock.now.date().isoformat()
    data.update(values)
    return crm.sf.records.create(SYSTEM, APP, "deal", data, automation=False, historical=True)
