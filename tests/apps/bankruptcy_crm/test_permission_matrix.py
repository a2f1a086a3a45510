"""PL18: the permission matrix of the bankruptcy CRM, role by role, through the RecordService.

The tables below are the expectation. They were written by hand from ``roles/*.json`` and the
roles table of the app's README, and nothing in them is computed by the permission code:
- ``RIGHTS``: what each role may do with each entity.
- ``SCOPES``: which records of a fixed set each role's demo user sees. This covers the record
  rules, the per-record grants and denials, and the watchers.
- ``FIELDS``: the hidden and read-only fields, some of them only under a condition.
The module installs the app once per backend and prepares the records once. Every test deletes
what it creates, so the record-rule expectations hold whatever order the tests run in.
"""
from __future__ import annotations

import dataclasses
import itertools
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pytest

from stageflow.core.system_fields import queryable_fields
from stageflow.data import FilterError, RecordNotFound, RecordValidationError
from stageflow.security import SYSTEM, AccessDenied, Actor
from tests.conftest import _fresh_pg_database
from tests.support import Clock

from .support import APP, START, build

# -- the expectation ---------------------------------------------------------------------------

# One demo user per role (org.json). sokolov.d holds head_of_firm and admin, so here he acts with
# head_of_firm alone; test_pl18_roles_of_one_user_add_up checks him with both roles.
USERS = {
    "admin": "kuzmin.a",
    "head_of_firm": "sokolov.d",
    "call_center_operator": "ivanova.a",
    "call_center_head": "petrova.e",
    "sales_manager": "lebedev.k",
    "sales_head": "volkov.s",
    "lawyer": "egorov.p",
    "support": "nikitin.m",
    "arbitration_manager": "grigoriev.v",
    "accountant": "romanova.s",
    "integrator": "integrator",
}
HANDBOOKS = ("city", "region", "lead_source", "sales_channel", "refusal_reason", "court", "document_kind",
             "action_type")
COLUMNS = {"deal": ("deal",), "client": ("client",), "contr": ("contract",), "paymt": ("payment",),
           "hear": ("court_hearing",), "consl": ("consultation",), "call": ("call",), "targt": ("target_action",),
           "task": ("task",), "sms": ("sms_message",), "tickt": ("integrator_ticket",), "wage": ("living_wage",),
           "handbooks": HANDBOOKS}

# C(reate) R(ead) U(pdate) D(elete) per role and entity (column names: COLUMNS).
# "handbooks" stands for all 8 handbooks.
RIGHTS = """
role                  deal  client contr paymt hear  consl call  targt task  sms   tickt wage  handbooks
admin                 CRUD  CRUD   CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD
head_of_firm          CRUD  CRUD   CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRUD  CRU-
call_center_operator  CRU-  CRU-   ----  ----  ----  CRU-  CRU-  CRU-  CRU-  CR--  CR--  ----  -R--
call_center_head      CRU-  CRU-   ----  ----  ----  CRU-  CRU-  -R--  CRU-  CR--  CR--  ----  -R--
sales_manager         CRU-  CRU-   CRU-  CRU-  ----  -RU-  ----  CRU-  CRU-  CR--  CR--  -R--  -R--
sales_head            CRU-  CRU-   CRU-  CRU-  ----  CRU-  ----  -R--  CRU-  CR--  CR--  -R--  -R--
lawyer                -RU-  -RU-   -R--  -R--  CRU-  ----  ----  CRU-  CRU-  CR--  CR--  CRU-  -R--
support               -RU-  -RU-   -R--  -RU-  CRU-  CRU-  ----  CRU-  CRU-  CR--  CR--  -R--  -R--
arbitration_manager   -R--  -R--   ----  ----  CRU-  ----  ----  ----  CRU-  ----  CR--  -R--  -R--
accountant            -R--  -R--   -RU-  CRU-  ----  ----  ----  ----  CRU-  ----  CR--  ----  -R--
integrator            ----  ----   ----  ----  ----  ----  ----  ----  ----  ----  -RU-  ----  -R--
"""

# The record rules: role -> entity -> (the role's rules, the records of DATASET its user sees).
# If a role reads an entity that is not listed here, it sees every record ("all").
SCOPES: dict[str, dict[str, tuple[str, set[str]]]] = {
    "call_center_operator": {
        "deal": ("assignee | operator | call-center queue (condition) | watching",
                 {"call-center queue", "taken by ivanova.a", "handed to sales by ivanova.a", "watched"}),
        "target_action": ("assignee", {"for ivanova.a"}),
        "task": ("assignee | own", {"for ivanova.a", "by ivanova.a"}),
        "sms_message": ("own", {"by ivanova.a"}),
        "integrator_ticket": ("own", {"by ivanova.a"}),
    },
    "call_center_head": {
        "deal": ("department | operator in my department | watching",
                 {"call-center queue", "taken by ivanova.a", "taken by smirnova.o", "handed to sales by ivanova.a",
                  "watched"}),
        "target_action": ("assignee in my department", {"for ivanova.a", "for smirnova.o", "for petrova.e"}),
        "task": ("assignee in my department | own",
                 {"for ivanova.a", "for smirnova.o", "for petrova.e", "by petrova.e"}),
        "sms_message": ("sender in my department | own", {"by ivanova.a", "sender smirnova.o", "by petrova.e"}),
        "integrator_ticket": ("own", {"by petrova.e"}),
    },
    "sales_manager": {
        "deal": ("assignee | sales_manager | department | watching; minus per-record denials (BK19)",
                 {"handed to sales by ivanova.a", "Moscow sales queue", "at lawyers, egorov.p", "watched"}),
        "contract": ("manager", {"manager lebedev.k"}),
        "payment": ("manager", {"manager lebedev.k"}),
        "consultation": ("manager", {"manager lebedev.k"}),
        "target_action": ("assignee", {"for lebedev.k"}),
        "task": ("assignee | own", {"for lebedev.k", "by lebedev.k"}),
        "sms_message": ("own", {"by lebedev.k"}),
        "integrator_ticket": ("own", {"by lebedev.k"}),
    },
    "sales_head": {  # volkov.s heads `sales`, so its three city departments are his too
        "deal": ("department | sales_manager in my departments | watching",
                 {"handed to sales by ivanova.a", "Moscow sales queue", "Kazan, sabirova.l",
                  "taken by novikova.t, lebedev.k denied", "at lawyers, egorov.p", "watched"}),
        "contract": ("manager in my departments",
                     {"manager lebedev.k", "manager novikova.t", "manager sabirova.l", "manager volkov.s"}),
        "payment": ("manager in my departments", {"manager lebedev.k", "manager novikova.t", "manager sabirova.l"}),
        "consultation": ("manager in my departments", {"manager lebedev.k", "manager novikova.t", "manager sabirova.l"}),
        "target_action": ("assignee in my departments", {"for lebedev.k", "for sabirova.l"}),
        "task": ("assignee in my departments | own",
                 {"for lebedev.k", "for sabirova.l", "for volkov.s", "by volkov.s"}),
        "sms_message": ("sender in my departments | own", {"by lebedev.k", "sender sabirova.l", "by volkov.s"}),
        "integrator_ticket": ("own", {"by volkov.s"}),
    },
    "lawyer": {
        "deal": ("assignee | lawyer | watching", {"at lawyers, egorov.p", "in support, vasilieva.o", "watched"}),
        "target_action": ("assignee", {"for egorov.p"}),
        "task": ("assignee | own", {"for egorov.p", "by egorov.p"}),
        "sms_message": ("own", {"by egorov.p"}),
        "integrator_ticket": ("own", {"by egorov.p"}),
    },
    "support": {
        "deal": ("department | assignee | watching", {"in support, vasilieva.o", "assigned to nikitin.m", "watched"}),
        "target_action": ("assignee", {"for nikitin.m"}),
        "task": ("assignee | own", {"for nikitin.m", "by nikitin.m"}),
        "sms_message": ("own", {"by nikitin.m"}),
        "integrator_ticket": ("own", {"by nikitin.m"}),
    },
    "arbitration_manager": {  # no `watching` rule: being a watcher of "watched" shows him nothing
        "deal": ("arbitration_manager; plus per-record grants", {"in support, vasilieva.o", "granted to grigoriev.v"}),
        "court_hearing": ("arbitration_manager", {"manager grigoriev.v"}),
        "task": ("assignee | own", {"for grigoriev.v", "by grigoriev.v"}),
        "integrator_ticket": ("own", {"by grigoriev.v"}),
    },
    "accountant": {
        "task": ("assignee | own", {"for romanova.s", "by romanova.s"}),
        "integrator_ticket": ("own", {"by romanova.s"}),
    },
}

DEAL_PERSONAL = {"passport_number", "passport_issued_by", "passport_issue_date", "snils", "inn",
                 "registration_address"}
CLIENT_PERSONAL = DEAL_PERSONAL | {"passport_division_code"}
DEAL_MONEY = {"amount", "installments", "installment_amount", "first_payment_date", "paid_amount", "balance_due"}
PAYMENT_CONFIRMATION = {"paid", "paid_date", "paid_amount"}
NEXT_ACTION = {"next_action_type", "next_action_goal", "next_action_start", "next_action_end"}
ROBOT_MARKS = {"next_action_set_at", "unassigned_alert_at", "handover_notice_at", "deadline_alert_at",
               "next_action_reminded_at"}
# The conditions of field rules; STATES puts a record where they hold ("flagged") or not ("plain").
LATE = "deal from stage lawyers on (BK03)"
ACTION_OPEN = "deal whose recorded next action has no result yet (NS03)"
BUTTON_ONLY = "task closed by its button only (BK34)"
DEAL_EDITOR = [("read_only", ROBOT_MARKS, None), ("read_only", NEXT_ACTION, ACTION_OPEN)]
TASK_BK34 = [("read_only", {"close_by_button_only"}, None), ("read_only", {"status"}, BUTTON_ONLY)]

# The field rules: role -> entity -> [(access, fields, condition or None)]; any other field is
# visible and writable (if the role may update the entity).
FIELDS: dict[str, dict[str, list[tuple[str, set[str], str | None]]]] = {
    "admin": {},
    "head_of_firm": {"deal": DEAL_EDITOR, "task": TASK_BK34},
    "call_center_operator": {
        "deal": [("hidden", DEAL_PERSONAL, None), ("read_only", {"first_payment_date", "paid_amount"}, None),
                 *DEAL_EDITOR],
        "client": [("hidden", CLIENT_PERSONAL, None)],
        "task": TASK_BK34,
    },
    "call_center_head": {
        "deal": [("hidden", DEAL_PERSONAL, None), *DEAL_EDITOR],
        "client": [("hidden", CLIENT_PERSONAL, None)],
        "task": TASK_BK34,
    },
    "sales_manager": {
        "deal": [("hidden", DEAL_PERSONAL, LATE), ("read_only", {"first_payment_date", "paid_amount"}, None),
                 *DEAL_EDITOR],
        "payment": [("read_only", PAYMENT_CONFIRMATION, None)],
        "task": TASK_BK34,
    },
    "sales_head": {
        "deal": [("hidden", DEAL_PERSONAL, LATE), *DEAL_EDITOR],
        "payment": [("read_only", PAYMENT_CONFIRMATION, None)],
        "task": TASK_BK34,
    },
    "lawyer": {
        "deal": [("read_only", {"amount", "installments", "first_payment_date", "paid_amount"}, None), *DEAL_EDITOR],
        "task": TASK_BK34,
    },
    "support": {
        "deal": [("read_only", {"amount", "installments", "first_payment_date", "paid_amount"}, None), *DEAL_EDITOR],
        "payment": [("read_only", PAYMENT_CONFIRMATION, None)],
        "task": TASK_BK34,
    },
    "arbitration_manager": {"deal": [("hidden", DEAL_MONEY, None)], "task": TASK_BK34},
    "accountant": {
        "deal": [("hidden", DEAL_PERSONAL - {"inn"}, None), ("hidden", {"inn"}, LATE)],
        "client": [("hidden", CLIENT_PERSONAL - {"inn"}, None)],
        "task": TASK_BK34,
    },
    "integrator": {},
}
STATES = {
    "deal": {"plain": ({"pipeline": "deal_sales", "stage": "new_lead", "next_action_set_at": None}, set()),
             "flagged": ({"pipeline": "deal_sales", "stage": "lawyers", "next_action_set_at": "2026-11-20T07:00:00Z",
                          "next_action_result": None}, {LATE, ACTION_OPEN})},
    "task": {"plain": ({"close_by_button_only": False}, set()),
             "flagged": ({"close_by_button_only": True}, {BUTTON_ONLY})},
}

# -- the records the record rules are checked on -----------------------------------------------


def engine(**values) -> tuple[str | None, dict[str, Any]]:
    """A record the engine entered (like the seed)."""
    return None, values


def by(user: str, **values) -> tuple[str | None, dict[str, Any]]:
    """A record the user created through the service (``own`` rules)."""
    return user, values


MARK = "срочно"  # the search term: some records of each entity hold it in a searchable field
RESTRICTED_USERS = ("ivanova.a", "petrova.e", "lebedev.k", "volkov.s", "egorov.p", "nikitin.m", "grigoriev.v",
                    "romanova.s")
DATASET: dict[str, dict[str, tuple[str | None, dict[str, Any]]]] = {
    "client": {"Клиентов": engine(last_name="Клиентов"), "Срочнова": engine(last_name=f"{MARK}ова"),
               "Третьяков": engine(last_name="Третьяков")},
    "deal": {
        "call-center queue": engine(title=f"{MARK}: очередь", department="call_center"),
        "taken by ivanova.a": engine(department="call_center", assignee="ivanova.a", operator="ivanova.a"),
        "taken by smirnova.o": engine(department="call_center", assignee="smirnova.o", operator="smirnova.o"),
        "handed to sales by ivanova.a": engine(title=f"{MARK}: в продажах", department="sales_msk",
                                               operator="ivanova.a", assignee="lebedev.k", sales_manager="lebedev.k"),
        "Moscow sales queue": engine(department="sales_msk"),
        "Kazan, sabirova.l": engine(title=f"{MARK}: Казань", department="sales_kzn", assignee="sabirova.l",
                                    sales_manager="sabirova.l"),
        "taken by novikova.t, lebedev.k denied": engine(department="sales_msk", assignee="novikova.t",
                                                        sales_manager="novikova.t"),
        "at lawyers, egorov.p": engine(title=f"{MARK}: у юристов", stage="lawyers", department="legal",
                                       assignee="egorov.p", lawyer="egorov.p", sales_manager="lebedev.k"),
        "at lawyers, makarova.d": engine(stage="lawyers", department="legal", assignee="makarova.d",
                                         lawyer="makarova.d"),
        "in support, vasilieva.o": engine(title=f"{MARK}: сопровождение", pipeline="deal_support", stage="accepted",
                                          department="support", assignee="vasilieva.o", lawyer="egorov.p",
                                          arbitration_manager="grigoriev.v"),
        "assigned to nikitin.m": engine(assignee="nikitin.m"),
        "watched": engine(department="accounting", assignee="romanova.s"),
        "granted to grigoriev.v": engine(title=f"{MARK}: доступ выдан", department="head_office"),
    },
    "contract": {f"manager {u}": engine(manager=u, number=f"{MARK}-{u}" if u in ("novikova.t", "belova.i") else u)
                 for u in ("lebedev.k", "novikova.t", "sabirova.l", "volkov.s", "belova.i")}
    | {"no manager": engine(number="без менеджера")},
    "payment": {f"manager {u}": engine(manager=u) for u in ("lebedev.k", "novikova.t", "sabirova.l", "belova.i")}
    | {"no manager": engine()},
    "court_hearing": {"manager grigoriev.v": engine(arbitration_manager="grigoriev.v", case_number=f"А40-{MARK}-1"),
                      "no manager": engine(case_number=f"А40-{MARK}-2"),
                      "lawyer egorov.p": engine(lawyer="egorov.p", case_number="А40-3")},
    "consultation": {f"manager {u}": engine(manager=u) for u in ("lebedev.k", "novikova.t", "sabirova.l", "nikitin.m")},
    "call": {"from 555": engine(phone="+7 900 555-00-01"), "from 111": engine(phone="+7 900 111-00-02")},
    "target_action": {f"for {u}": engine(assignee=u, goal=f"{MARK}: {u}" if u in ("smirnova.o", "lebedev.k") else u)
                      for u in ("ivanova.a", "smirnova.o", "petrova.e", "lebedev.k", "sabirova.l", "egorov.p",
                                "nikitin.m")}
    | {"for nobody": engine(goal=f"{MARK}: ничья")},
    "task": {f"for {u}": engine(assignee=u, title=f"{MARK}: {u}" if u in ("smirnova.o", "lebedev.k") else u)
             for u in (*RESTRICTED_USERS, "smirnova.o", "sabirova.l")}
    | {"for nobody": engine(title=f"{MARK}: ничья")}
    | {f"by {u}": by(u, assignee="makarova.d", title=f"{MARK} от {u}" if u == "egorov.p" else f"от {u}")
       for u in RESTRICTED_USERS},
    "sms_message": {"by ivanova.a": by("ivanova.a", sender="ivanova.a"), "sender smirnova.o": engine(sender="smirnova.o"),
                    "by petrova.e": by("petrova.e"), "by lebedev.k": by("lebedev.k", sender="lebedev.k"),
                    "sender sabirova.l": engine(sender="sabirova.l"), "by volkov.s": by("volkov.s"),
                    "by egorov.p": by("egorov.p"), "by nikitin.m": by("nikitin.m"), "robot": engine(kind="auto")},
    "integrator_ticket": {f"by {u}": by(u, title=f"{MARK}: {u}" if u in ("lebedev.k", "egorov.p") else u)
                          for u in RESTRICTED_USERS}
    | {"by the engine": engine(title=f"{MARK}: система")},
    "living_wage": {"Москва 2026": engine(region="moscow"), "Татарстан 2026": engine(region="tatarstan")},
}
WATCHERS = {"watched": ("ivanova.a", "petrova.e", "lebedev.k", "volkov.s", "egorov.p", "nikitin.m", "grigoriev.v")}
GRANTED = {"granted to grigoriev.v": "grigoriev.v"}
DENIED = {"taken by novikova.t, lebedev.k denied": "lebedev.k"}  # BK19: another manager took it
# Entities without a searchable text field are searched by the id of this record.
SEARCH_BY_ID = {"payment": "manager novikova.t", "consultation": "manager sabirova.l",
                "sms_message": "sender smirnova.o", "living_wage": "Татарстан 2026"}
SEARCH_TEXT = {"call": "555-00"}


def base_values(entity: str, ids: dict[str, dict[str, int]], n: int) -> dict[str, Any]:
    """The required fields of a new record (``n`` keeps unique values unique)."""
    deal = ids.get("deal", {}).get("Moscow sales queue")
    return {
        "deal": {"title": f"Сделка {n}", "request_date": "2026-11-02", "city": "msk"},
        "client": {"last_name": f"Иванов {n}", "first_name": "Пётр", "phone": "+7 900 200-00-00"},
        "contract": {"number": f"Д-{n}", "deal": deal, "signed_date": "2026-11-02", "amount": "100000"},
        "payment": {"deal": deal, "planned_date": "2026-12-01", "amount": "20000"},
        "court_hearing": {"deal": deal, "hearing_at": "2026-12-10T07:00:00Z", "court": "as_moscow",
                          "kind": "validity"},
        "consultation": {"deal": deal, "scheduled_at": "2026-11-25T07:00:00Z", "manager": "makarova.d"},
        "call": {"called_at": "2026-11-23T07:00:00Z", "direction": "inbound", "phone": "+7 900 300-00-00"},
        "target_action": {"deal": deal, "action_type": "call", "goal": f"Позвонить {n}",
                          "starts_at": "2026-11-24T07:00:00Z"},
        "task": {"title": f"Задача {n}"},
        "sms_message": {"phone": "+7 900 400-00-00", "text": "Здравствуйте"},
        "integrator_ticket": {"title": f"Вопрос {n}", "description": "Как выгрузить сделки?"},
        "living_wage": {"region": "rf", "year": 2026, "per_capita": "17733"},
    }.get(entity) or {"code": f"pm{n}", "label": f"Матрица {n}"}


# -- reading the tables ------------------------------------------------------------------------

# A field no role's rule touches and no search reads: the rights tests change it.
NEUTRAL = {"deal": "description", "client": "comment", "contract": "comment", "payment": "comment",
           "court_hearing": "result", "consultation": "result", "call": "comment", "target_action": "result",
           "task": "description", "sms_message": "gateway_id", "integrator_ticket": "integrator_response",
           "living_wage": "legal_act"}
ACTIONS = {"create": "C", "read": "R", "update": "U", "delete": "D"}


def _rights() -> dict[str, dict[str, str]]:
    header, *rows = RIGHTS.strip().splitlines()
    columns = header.split()[1:]
    table = {}
    for row in rows:
        role, *cells = row.split()
        table[role] = {entity: cell.replace("-", "") for column, cell in zip(columns, cells)
                       for entity in COLUMNS[column]}
    return table


RIGHT_OF = _rights()
ALL_ENTITIES = tuple(e for column in COLUMNS.values() for e in column)
READERS = [(role, entity) for role in USERS for entity in ALL_ENTITIES if "R" in RIGHT_OF[role][entity]]
SCOPE_FIELDS = {"assignee", "operator", "department", "sales_manager", "lawyer", "arbitration_manager",
                "manager", "sender"}
LIST_KINDS = {"multiselect", "checklist", "file"}  # stored as JSON lists: not sortable by anyone


def field_rules(role: str, entity: str, access: str, conditions: set[str] | None) -> set[str]:
    """The fields under ``access`` for a record where ``conditions`` hold (None: under any condition)."""
    return {name for rule_access, names, when in FIELDS[role].get(entity, ())
            if rule_access == access and (conditions is None or when is None or when in conditions)
            for name in names}


# -- the prepared installation -----------------------------------------------------------------

@dataclass
class Matrix:
    sf: Any
    ids: dict[str, dict[str, int]]
    files: tuple[int, int]
    actors: dict[str, Actor]
    numbers: Any = dataclasses.field(default_factory=lambda: itertools.count(1))

    def spec(self, entity: str):
        return self.sf.catalog.get(APP).spec.entities[entity]

    def create(self, user: str | None, entity: str, values: dict[str, Any]) -> int:
        if user is None:
            record = self.sf.records.create(SYSTEM, APP, entity, values, automation=False, historical=True)
        else:
            record = self.sf.records.create(self.sf.actor(user), APP, entity, values, automation=False)
        return record["id"]

    def fresh(self, entity: str, **values) -> int:
        return self.create(None, entity, {**base_values(entity, self.ids, next(self.numbers)), **values})

    def remove(self, entity: str, record_id: int) -> None:
        self.sf.records.delete(SYSTEM, APP, entity, record_id, automation=False)

    def discard(self, entity: str, record_id: int) -> None:
        """Delete the record unless the test has deleted it already."""
        try:
            self.remove(entity, record_id)
        except RecordNotFound:
            pass

    def system_get(self, entity: str, record_id: int) -> dict[str, Any]:
        return self.sf.records.get(SYSTEM, APP, entity, record_id)

    def seen(self, actor: Actor, entity: str, **query) -> set[int]:
        page = self.sf.records.list(actor, APP, entity, limit=500, **query)
        assert page.next_cursor is None
        return {item["id"] for item in page.items}

    def universe(self, entity: str) -> set[int]:
        return self.seen(SYSTEM, entity)

    def expected_ids(self, role: str, entity: str) -> set[int]:
        scope = SCOPES.get(role, {}).get(entity)
        if scope is None:
            return self.universe(entity)
        return {self.ids[entity][key] for key in scope[1]}

    def search_term(self, entity: str) -> str:
        if entity in SEARCH_BY_ID:
            return str(self.ids[entity][SEARCH_BY_ID[entity]])
        if entity in HANDBOOKS:
            return self.spec(entity).handbook_items[0].code
        return SEARCH_TEXT.get(entity, MARK)

    def visible_record(self, role: str, entity: str) -> int:
        """A record the role's user sees (for the rights tests), by the expectation."""
        return min(self.expected_ids(role, entity) or self.universe(entity))

    @contextmanager
    def placed(self, role: str, entity: str, state: dict[str, Any]):
        """A new record the role's user sees, every field filled, in ``state``: its creator and
        scope fields are those of one of their DATASET records (one the engine entered and they
        see by its values, if there is one). Deleted afterwards."""
        scope = SCOPES.get(role, {}).get(entity)
        records = DATASET.get(entity, {})
        keys = sorted((k for k in (scope[1] if scope else records) if k not in WATCHERS and k not in GRANTED),
                      key=lambda k: (records[k][0] is not None, k))
        creator, own = records[keys[0]] if keys else (None, {})
        values = {**base_values(entity, self.ids, next(self.numbers)),
                  **self.sample_record(entity, 0, scope_fields=False),
                  **{k: v for k, v in own.items() if k in SCOPE_FIELDS}, **state}
        record_id = self.create(creator, entity, values)
        try:
            yield record_id
        finally:
            self.remove(entity, record_id)

    # -- values for every writable field, in two variants that differ everywhere ---------------
    def writable(self, entity: str) -> set[str]:
        return {f.name for f in self.spec(entity).fields if f.kind != "computed"}

    def sample_record(self, entity: str, variant: int, scope_fields: bool = True) -> dict[str, Any]:
        return {f.name: self.sample(f, variant) for f in self.spec(entity).fields
                if f.kind != "computed" and (scope_fields or f.name not in SCOPE_FIELDS)}

    def sample(self, spec, variant: int) -> Any:
        kind, options, n = spec.kind, spec.options, next(self.numbers)
        if kind == "string":
            return f"{'аб'[variant]}{n}"[:options.get("max_length", 255)]
        if kind == "integer":
            return options.get("min", 1) + variant
        if kind in ("select", "multiselect"):
            codes = ([c["value"] for c in options["choices"]] if "choices" in options
                     else [i.code for i in self.spec(options["handbook"]).handbook_items])
            return codes[variant] if kind == "select" else [codes[variant]]
        if kind == "link":
            return sorted(self.ids[options["entity"]].values())[variant]
        if kind == "file":
            return [self.files[variant]] if options.get("multiple") else self.files[variant]
        if kind == "child_table":
            return [{c.name: self.sample(c, variant) for c in spec.children}]
        return {
            "text": f"Текст {variant}", "decimal": str(10 + 5 * variant), "money": str(1000 + 500 * variant),
            "boolean": bool(variant), "date": f"2026-10-1{variant}", "datetime": f"2026-10-1{variant}T07:00:00Z",
            "duration": 600 * (1 + variant), "user": ("kozlova.n", "zaitseva.y")[variant],
            "department": ("arbitration", "accounting")[variant], "email": f"v{variant}@example.ru",
            "phone": f"+7 900 000-00-1{variant}", "url": f"https://example.ru/{variant}",
            "checklist": [f"Пункт {variant}"],
        }[kind]


def _actors(sf) -> dict[str, Actor]:
    actors = {role: sf.actor(user) for role, user in USERS.items()}
    actors["head_of_firm"] = dataclasses.replace(
        actors["head_of_firm"], roles=MappingProxyType({APP: frozenset({"head_of_firm"})}))
    assert {role: actor.roles_in(APP) for role, actor in actors.items()} == {r: {r} for r in USERS}
    return actors


def _prepare(url: str, root, installed_sqlite) -> Matrix:
    crm = build(url, root / "files", Clock(START), installed_sqlite)
    sf = crm.sf
    files = tuple(sf.files.put(f"скан-{i}.pdf", "application/pdf", b"%PDF-1.4 " + bytes([i]), None).id
                  for i in range(2))
    matrix = Matrix(sf, {}, files, _actors(sf))
    for entity, records in DATASET.items():
        matrix.ids[entity] = {}
        for key, (creator, values) in records.items():
            values = {**base_values(entity, matrix.ids, next(matrix.numbers)), **values}
            matrix.ids[entity][key] = matrix.create(creator, entity, values)
    for relation, members in (("watcher", WATCHERS), ("granted", GRANTED), ("denied", DENIED)):
        for key, users in members.items():
            for user in (users,) if isinstance(users, str) else users:
                sf.records.set_member(SYSTEM, APP, "deal", matrix.ids["deal"][key], user, relation)
    return matrix


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def matrix(request, tmp_path_factory, installed_sqlite):
    """The app with DATASET on SQLite and on PostgreSQL, once per module."""
    root = tmp_path_factory.mktemp("permission_matrix")
    if request.param == "sqlite":
        prepared = _prepare(f"sqlite:///{root}/stageflow.db", root, installed_sqlite)
        yield prepared
        prepared.sf.close()
        return
    admin_engine, admin_url = request.getfixturevalue("_pg_admin_engine"), request.getfixturevalue("pg_admin_url")
    with contextmanager(_fresh_pg_database)(admin_engine, admin_url) as url:
        prepared = _prepare(url, root, None)
        yield prepared
        prepared.sf.close()


# -- the tests ---------------------------------------------------------------------------------

def test_pl18_the_tables_cover_every_role_and_entity(matrix):
    app = matrix.sf.catalog.get(APP).spec
    assert set(RIGHT_OF) == set(USERS) == set(app.roles)
    assert set(ALL_ENTITIES) == set(app.entities)
    assert {e for e in app.entities if app.entities[e].is_handbook} == set(HANDBOOKS)
    for role, entities in SCOPES.items():
        for entity in entities:
            assert "R" in RIGHT_OF[role][entity], (role, entity)
    for entities in FIELDS.values():
        for entity, rules in entities.items():
            assert all(names <= {f.name for f in app.entities[entity].fields} for _, names, _ in rules), entity
    for entity in DATASET:  # nothing left behind by the other tests
        assert matrix.universe(entity) == set(matrix.ids[entity].values()), entity


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize(("role", "entity"), [(r, e) for r in USERS for e in ALL_ENTITIES])
def test_pl18_rights_of_each_role_on_each_entity(matrix, role, entity, action):
    actor, records = matrix.actors[role], matrix.sf.records
    allowed = ACTIONS[action] in RIGHT_OF[role][entity]
    if action == "read":
        target = matrix.visible_record(role, entity)
        calls = (lambda: records.get(actor, APP, entity, target), lambda: records.list(actor, APP, entity),
                 lambda: records.count(actor, APP, entity))
        if allowed:  # what the lists hold is test_pl18_record_rules_...'s business
            get, listed, counted = (call() for call in calls)
            assert get["id"] == target and listed.items and counted > 0
        for call in calls if not allowed else ():
            with pytest.raises(AccessDenied, match=f"may not read records of {APP}.{entity}"):
                call()
    elif action == "create":
        values = base_values(entity, matrix.ids, next(matrix.numbers))
        before = records.count(SYSTEM, APP, entity)
        if allowed:
            created = records.create(actor, APP, entity, values, automation=False)
            try:
                assert matrix.system_get(entity, created["id"])["created_by"] == USERS[role]
            finally:
                matrix.discard(entity, created["id"])
        else:
            with pytest.raises(AccessDenied, match=f"may not create records of {APP}.{entity}"):
                records.create(actor, APP, entity, values)
        assert records.count(SYSTEM, APP, entity) == before
    elif action == "update":
        target = matrix.visible_record(role, entity)
        field = NEUTRAL.get(entity, "sort_order")
        old = matrix.system_get(entity, target)
        value = (old[field] or 0) + 1 if field == "sort_order" else f"правка {next(matrix.numbers)}"
        if allowed:
            records.update(actor, APP, entity, target, {field: value}, automation=False)
            assert matrix.system_get(entity, target)[field] == value
        else:
            with pytest.raises(AccessDenied, match=f"may not update records of {APP}.{entity}"):
                records.update(actor, APP, entity, target, {field: value})
            assert matrix.system_get(entity, target) == old
    else:
        target = matrix.fresh(entity)
        try:
            if allowed:
                records.delete(actor, APP, entity, target, automation=False)
                with pytest.raises(RecordNotFound):
                    matrix.system_get(entity, target)
            else:
                with pytest.raises(AccessDenied, match=f"may not delete records of {APP}.{entity}"):
                    records.delete(actor, APP, entity, target)
                assert matrix.system_get(entity, target)["id"] == target
        finally:
            matrix.discard(entity, target)


@pytest.mark.parametrize(("role", "entity"), READERS)
def test_pl18_record_rules_in_list_count_search_and_get(matrix, role, entity):
    actor, records = matrix.actors[role], matrix.sf.records
    expected, everything = matrix.expected_ids(role, entity), matrix.universe(entity)
    assert expected and expected <= everything
    assert matrix.seen(actor, entity) == expected
    assert records.count(actor, APP, entity) == len(expected)
    term = matrix.search_term(entity)
    found = matrix.seen(SYSTEM, entity, search=term)
    assert found and found != everything, f"search {term!r} should find some {entity} records, not all"
    assert matrix.seen(actor, entity, search=term) == expected & found
    assert records.count(actor, APP, entity, search=term) == len(expected & found)
    hidden = sorted(everything - expected)
    for record_id in hidden:
        with pytest.raises(RecordNotFound):
            records.get(actor, APP, entity, record_id)
    if hidden and "U" in RIGHT_OF[role][entity]:
        with pytest.raises(RecordNotFound):
            records.update(actor, APP, entity, hidden[0], {NEUTRAL.get(entity, "sort_order"): 7})
    for record_id in sorted(expected):
        assert records.get(actor, APP, entity, record_id)["id"] == record_id


@pytest.mark.parametrize(("role", "entity"), READERS)
def test_pl18_hidden_fields_are_not_shown_filtered_or_sorted(matrix, role, entity):
    actor, records = matrix.actors[role], matrix.sf.records
    fields = queryable_fields(matrix.spec(entity))
    ever_hidden = field_rules(role, entity, "hidden", None)
    for name in sorted(ever_hidden):
        where = {"field": name, "op": "is_empty"}
        for query in ({"where": where}, {"where": {"not": where}}, {"sort": name}, {"sort": f"-{name}"}):
            with pytest.raises(FilterError, match=f"field '{name}' is hidden from you"):
                records.list(actor, APP, entity, **query)
        with pytest.raises(FilterError, match=f"field '{name}' is hidden from you"):
            records.count(actor, APP, entity, where=where)
    # Every other field at once: one refused field would refuse the whole query.
    shown = [name for name in fields if name not in ever_hidden]
    where = {"any": [{"field": "id", "op": "is_not_empty"}, *({"field": name, "op": "is_empty"} for name in shown)]}
    assert matrix.seen(actor, entity, where=where) == matrix.expected_ids(role, entity)
    records.count(actor, APP, entity, where=where)
    records.list(actor, APP, entity, sort=[name for name in shown if fields[name].kind not in LIST_KINDS])
    children = {f.name for f in matrix.spec(entity).fields if f.kind == "child_table"}
    for state, (values, conditions) in STATES.get(entity, {"plain": ({}, set())}).items():
        hidden = field_rules(role, entity, "hidden", conditions)
        with matrix.placed(role, entity, values) as rid:
            assert set(records.get(actor, APP, entity, rid)) == set(fields) - hidden | children - hidden, state
            [item] = records.list(actor, APP, entity, where={"field": "id", "op": "eq", "value": rid}).items
            assert set(item) == set(fields) - hidden, state
            stored = matrix.system_get(entity, rid)
            for name in hidden:  # none of them is searchable today; if one becomes so, it stays unsearchable
                if isinstance(stored[name], str) and matrix.spec(entity).field(name).kind in ("string", "text"):
                    assert rid not in matrix.seen(actor, entity, search=stored[name]), name


UPDATERS = [(role, entity) for role, entity in READERS if "U" in RIGHT_OF[role][entity]]
CREATORS = [(role, entity) for role, entity in READERS if "C" in RIGHT_OF[role][entity]]


@pytest.mark.parametrize(("role", "entity"), UPDATERS)
def test_pl18_read_only_and_hidden_fields_are_refused_on_update_others_accepted(matrix, role, entity):
    actor, records = matrix.actors[role], matrix.sf.records
    writable = matrix.writable(entity)
    for state, (values, conditions) in STATES.get(entity, {"plain": ({}, set())}).items():
        refused = (field_rules(role, entity, "hidden", conditions)
                   | field_rules(role, entity, "read_only", conditions)) & writable
        with matrix.placed(role, entity, values) as rid:
            before = matrix.system_get(entity, rid)
            first = matrix.sample_record(entity, 0)  # where the state holds the second value already
            changes = {f: v if v != before[f] else first[f] for f, v in matrix.sample_record(entity, 1).items()}
            if refused:
                with pytest.raises(RecordValidationError) as error:
                    records.update(actor, APP, entity, rid, {f: changes[f] for f in refused})
                assert error.value.errors == {f: "is read-only for you" for f in refused}, state
                assert matrix.system_get(entity, rid) == before
            shown = records.update(actor, APP, entity, rid, {f: changes[f] for f in writable - refused},
                                   automation=False)
            assert not set(shown) & field_rules(role, entity, "hidden", conditions), state
            after = matrix.system_get(entity, rid)
            assert sorted(f for f in writable - refused if after[f] == before[f]) == [], state
            assert [f for f in refused if after[f] != before[f]] == [], state


@pytest.mark.parametrize(("role", "entity"), CREATORS)
def test_pl18_read_only_and_hidden_fields_are_refused_on_create_others_accepted(matrix, role, entity):
    # On a new record the conditions of the field rules do not hold yet (no stage, no recorded
    # next action, not button-only), so only the unconditional rules apply.
    actor, records = matrix.actors[role], matrix.sf.records
    refused = (field_rules(role, entity, "hidden", set()) | field_rules(role, entity, "read_only", set()))
    refused &= matrix.writable(entity)
    values = {**base_values(entity, matrix.ids, next(matrix.numbers)), **matrix.sample_record(entity, 0)}
    count = records.count(SYSTEM, APP, entity)
    if refused:
        with pytest.raises(RecordValidationError) as error:
            records.create(actor, APP, entity, values)
        assert error.value.errors == {f: "is read-only for you" for f in refused}
        assert records.count(SYSTEM, APP, entity) == count
    accepted = {f: v for f, v in values.items() if f not in refused}
    created = records.create(actor, APP, entity, accepted, automation=False)
    try:
        stored = matrix.system_get(entity, created["id"])
        assert [f for f in accepted if stored[f] in (None, [])] == []
        assert not set(created) & field_rules(role, entity, "hidden", set())
    finally:
        matrix.remove(entity, created["id"])


def test_pl18_roles_of_one_user_add_up(matrix):
    """morozov.a is sales_head and sales_manager of Moscow. He sees the deals of both roles, and he
    may enter the first payment date: only sales_manager makes it read-only, and a field is
    read-only only when every role says so. sokolov.d, head_of_firm and admin, may delete a
    handbook item, which head_of_firm alone may not."""
    records, morozov = matrix.sf.records, matrix.sf.actor("morozov.a")
    deals = {"handed to sales by ivanova.a", "Moscow sales queue", "taken by novikova.t, lebedev.k denied",
             "at lawyers, egorov.p"}
    assert matrix.seen(morozov, "deal") == {matrix.ids["deal"][key] for key in deals}
    late = records.get(morozov, APP, "deal", matrix.ids["deal"]["at lawyers, egorov.p"])
    assert not set(late) & DEAL_PERSONAL  # both roles hide them from lawyers on
    deal = matrix.fresh("deal", department="sales_msk")
    try:
        records.update(morozov, APP, "deal", deal, {"first_payment_date": "2026-11-23"}, automation=False)
        with pytest.raises(RecordValidationError, match="first_payment_date: is read-only for you"):
            records.update(matrix.actors["sales_manager"], APP, "deal", deal, {"first_payment_date": "2026-11-24"})
    finally:
        matrix.remove("deal", deal)
    item = matrix.fresh("city")
    try:
        with pytest.raises(AccessDenied):
            records.delete(matrix.actors["head_of_firm"], APP, "city", item)
        records.delete(matrix.sf.actor("sokolov.d"), APP, "city", item, automation=False)
        with pytest.raises(RecordNotFound):
            matrix.system_get("city", item)
    finally:
        matrix.discard("city", item)
