"""The action-kind interface and what an action sees while it runs (PL08)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Connection, select

from ...core.events import Cause
from ...core.formula import FormulaError, parse_formula
from ...core.problems import Code
from ...core.specs import AppSpec, EntitySpec, RuleSpec
from ...security import SYSTEM
from ...security.permissions import RecordRelation
from ...storage import platform_tables as st
from ..context import RuleScope, render_text, template_problem

if TYPE_CHECKING:
    from ...data.records import RecordService

# A value in action options: a literal, {"formula": "..."}, {"template": "..."} or {"ref": "name"}.
VALUE_SCHEMA: dict = {}
RECIPIENTS_SCHEMA = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {
        "users": {"type": "array", "items": {"type": "string"}},
        "fields": {"type": "array", "items": {"type": "string"}},
        "departments": {"type": "array", "items": {"type": "string"}},
        "department_heads": {"type": "array", "items": {"type": "string"}},
        "heads_of_field": {"type": "array", "items": {"type": "string"}},
        "members_of_field": {"type": "array", "items": {"type": "string"}},
        "email_fields": {"type": "array", "items": {"type": "string"}},
        "watchers": {"type": "boolean"},
        "actor": {"type": "boolean"},
    },
}


def check_value_specs(values: Mapping[str, Any], at: str) -> Iterator[tuple[str, str, Code]]:
    """Formulas that do not parse and templates that do not compile, found at load, not at run time."""
    for name, spec in values.items():
        if not isinstance(spec, Mapping):
            continue
        if isinstance(spec.get("formula"), str):
            try:
                parse_formula(spec["formula"])
            except FormulaError as exc:
                yield f"{at}/{name}/formula", str(exc), Code.FORMULA_SYNTAX
        if isinstance(spec.get("template"), str) and (problem := template_problem(spec["template"])):
            yield f"{at}/{name}/template", problem, Code.BAD_VALUE


def check_templates(action: Mapping[str, Any], *names: str) -> Iterator[tuple[str, str, Code]]:
    for name in names:
        if isinstance(action.get(name), str) and (problem := template_problem(action[name])):
            yield name, problem, Code.BAD_VALUE


class ActionKind:
    kind: ClassVar[str]
    options_schema: ClassVar[dict] = {"type": "object", "properties": {"kind": {}}, "additionalProperties": False}

    def check(self, action: Mapping[str, Any], entity: EntitySpec, app: AppSpec) -> Iterator[tuple[str, str]]:
        """Meaning problems: (option path, message), or (option path, message, code) where the
        problem is not a bad reference."""
        return iter(())

    def run(self, action: Mapping[str, Any], run: ActionRun) -> str:
        """Do the action inside the rule's transaction; returns a line for the run log."""
        raise NotImplementedError


class ActionStop(Exception):
    """An action ends the rule's run here (a wait scheduled the rest for later)."""

    def __init__(self, summary: str):
        super().__init__(summary)
        self.summary = summary


@dataclass
class ActionRun:
    conn: Connection
    records: RecordService
    app: AppSpec
    entity: EntitySpec
    rule: RuleSpec
    record_id: int | None
    record: dict[str, Any]
    scope: RuleScope
    now: dt.datetime
    source: str
    depth: int
    index: int = 0
    notes: list[str] = field(default_factory=list)
    # Fields this run changed: later rules of the same event read them as stored, not as the
    # event left them.
    written: set[str] = field(default_factory=set)

    @property
    def cause(self) -> dict[str, Any]:
        return Cause(self.rule.name, self.source, self.depth + 1).to_json()

    def value(self, spec: Any) -> Any:
        if isinstance(spec, Mapping):
            if "formula" in spec:
                return parse_formula(spec["formula"]).evaluate(self.scope.values)
            if "template" in spec:
                return self.render(spec["template"])
            if "ref" in spec:
                return self.scope.values.get(spec["ref"])
        return spec

    def render(self, template: str) -> str:
        return render_text(template, self.scope)

    @property
    def seen(self) -> Mapping[str, Any]:
        """The record as the rule sees it: the event's values over the stored record."""
        return self.scope.json_record

    def update(self, values: Mapping[str, Any]) -> dict[str, Any]:
        before = self.record
        self.record = self.records.update(SYSTEM, self.app.name, self.entity.name, self.record_id, values,
                                          conn=self.conn, cause=self.cause)
        changes = {name: value for name, value in self.record.items() if before.get(name) != value}
        self.written.update(changes)
        self.scope.apply(changes)
        return self.record

    def create(self, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        return self.records.create(SYSTEM, self.app.name, entity, values, conn=self.conn, cause=self.cause)

    def recipients(self, spec: Mapping[str, Any]) -> list[str]:
        """Usernames named by a recipients object, active users only, in a stable order."""
        names: set[str] = set(spec.get("users", ()))
        for name in spec.get("fields", ()):
            value = self.seen.get(name)
            names.update(value if isinstance(value, list) else [value] if value else [])
        deps = set(spec.get("departments", ()))
        deps.update(self.seen.get(f) for f in spec.get("members_of_field", ()) if self.seen.get(f))
        if deps:
            dm = st.department_members
            names.update(self.conn.execute(select(dm.c.username).where(
                dm.c.app == self.app.name, dm.c.department.in_(sorted(deps)))).scalars())
        heads = set(spec.get("department_heads", ()))
        heads.update(self.seen.get(f) for f in spec.get("heads_of_field", ()) if self.seen.get(f))
        if heads:
            d = st.departments
            names.update(h for h in self.conn.execute(select(d.c.head).where(
                d.c.app == self.app.name, d.c.name.in_(sorted(heads)))).scalars() if h)
        if spec.get("watchers"):
            rm = st.record_members
            names.update(self.conn.execute(select(rm.c.username).where(
                rm.c.entity_table == self.entity.table_name, rm.c.record_id == self.record_id,
                rm.c.relation == RecordRelation.WATCHER)).scalars())
        if spec.get("actor") and self.scope.values.get("actor"):
            names.add(self.scope.values["actor"])
        names.discard(None)
        if not names:
            return []
        active = set(self.conn.execute(select(st.users.c.username).where(
            st.users.c.username.in_(sorted(names)), st.users.c.active.is_(True))).scalars())
        return sorted(active)

    def addresses(self, spec: Mapping[str, Any]) -> list[str]:
        """E-mail addresses held in the record's e-mail fields (people who are not users: a
        client's contact, the requester of a ticket)."""
        found = (self.seen.get(name) for name in spec.get("email_fields", ()))
        return sorted({address.strip() for address in found if isinstance(address, str) and address.strip()})


def check_recipients(spec: Mapping[str, Any], entity: EntitySpec, app: AppSpec, at: str) -> Iterator[tuple[str, str]]:
    users = {u.username for u in app.users}
    departments = {d.name for d in app.departments}
    for i, name in enumerate(spec.get("users", ())):
        if name not in users:
            yield f"{at}/users/{i}", f"{name!r} is not a user of this app"
    for key in ("departments", "department_heads"):
        for i, name in enumerate(spec.get(key, ())):
            if name not in departments:
                yield f"{at}/{key}/{i}", f"{name!r} is not a department of this app"
    for key, kinds in (("fields", ("user",)), ("heads_of_field", ("department",)),
                       ("members_of_field", ("department",)), ("email_fields", ("email",))):
        for i, name in enumerate(spec.get(key, ())):
            if name in ("created_by", "updated_by") and kinds == ("user",):
                continue
            if not entity.has_field(name) or entity.field(name).kind not in kinds:
                yield f"{at}/{key}/{i}", f"{name!r} is not a {' or '.join(kinds)} field of {entity.name!r}"
