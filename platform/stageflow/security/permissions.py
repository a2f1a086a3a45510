"""What an actor may do with one entity: rights, visible records, hidden and read-only fields.

Rights and record rules of all the actor's roles add up (a record is visible when any rule of
any role grants it). A field is hidden only when every role that grants the entity hides it
for that record, so adding a role never takes access away. On top of the roles, per-record
grants add access and denials remove it (BK19: the others lose access to a taken deal).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Table, and_, any_, exists, false, func, not_, or_, select, true
from sqlalchemy.sql import ColumnElement

from ..core.specs import (
    AppSpec,
    EntityGrant,
    EntitySpec,
    FieldAccess,
    RecordRule,
    RecordScope,
    Right,
)
from ..storage import platform_tables as st
from .actor import Actor

ALL_RIGHTS = frozenset(Right)


class AccessDenied(PermissionError):
    """The actor may not do this; the message says what and where."""


class RecordRelation:
    WATCHER = "watcher"
    GRANTED = "granted"
    DENIED = "denied"
    ALL = frozenset({WATCHER, GRANTED, DENIED})


class EntityPolicy:
    def __init__(self, app: AppSpec, entity: EntitySpec, actor: Actor,
                 matches: Callable[[Mapping[str, Any], Mapping[str, Any]], bool]):
        # ``matches(condition, record)`` evaluates a condition over a stored record.
        self.app, self.entity, self.actor, self.matches = app, entity, actor, matches
        self.unrestricted = actor.unrestricted or any(
            app.roles[r].admin for r in actor.roles_in(app.name) if r in app.roles)
        self.grants: list[EntityGrant] = [] if self.unrestricted else [
            app.roles[r].entities[entity.name] for r in sorted(actor.roles_in(app.name))
            if r in app.roles and entity.name in app.roles[r].entities
        ]

        if entity.is_handbook and not self.unrestricted and not self.grants and actor.roles_in(app.name):
            # Everyone working in an app reads its handbooks: select fields need the items.
            self.grants = [EntityGrant(rights=frozenset({Right.READ}))]
        self.has_field_rules = any(g.fields for g in self.grants)

    # -- rights ----------------------------------------------------------------------------
    @property
    def rights(self) -> frozenset[Right]:
        if self.unrestricted:
            return ALL_RIGHTS
        if self.entity.is_handbook and self.actor.roles_in(self.app.name):
            return frozenset({Right.READ}).union(*(g.rights for g in self.grants))
        return frozenset().union(*(g.rights for g in self.grants)) if self.grants else frozenset()

    def require(self, right: Right) -> None:
        if right not in self.rights:
            raise AccessDenied(f"{self.actor.username or 'anonymous'} may not {right.value} "
                               f"records of {self.app.name}.{self.entity.name}")

    # -- records ---------------------------------------------------------------------------
    def record_filter(self, table: Table, compile_condition: Callable[[Mapping[str, Any]], ColumnElement],
                      dialect: str = "default") -> ColumnElement | None:
        """A WHERE clause selecting the records the actor may see; None when all are visible.

        ``dialect`` (the database's SQLAlchemy dialect name) picks the form of the per-record
        probes the planner of that database handles best (see :meth:`_member_of`).
        """
        if self.actor.is_system:
            return None
        if self.unrestricted:
            return None
        denied = self._member(table, RecordRelation.DENIED)
        rules = [rule for grant in self.grants
                 for rule in (grant.records if grant.records is not None else (RecordRule(RecordScope.ALL),))]
        if any(rule.scope is RecordScope.ALL for rule in rules):
            return not_(denied)
        allowed = [self._rule_sql(rule, table, compile_condition, dialect) for rule in rules]
        allowed.append(self._member_of(table, RecordRelation.GRANTED, dialect))
        return and_(or_(false(), *allowed), not_(denied))

    def _member_where(self, table: Table, relation: str) -> tuple[ColumnElement, ...]:
        rm = st.record_members
        return (rm.c.entity_table == table.name, rm.c.username == (self.actor.username or ""),
                rm.c.relation == relation)

    def _member(self, table: Table, relation: str) -> ColumnElement:
        """The actor is ``relation`` of the row: a correlated EXISTS (a denial's anti-join)."""
        rm = st.record_members
        return exists().where(rm.c.record_id == table.c.id, *self._member_where(table, relation))

    def _member_of(self, table: Table, relation: str, dialect: str) -> ColumnElement:
        """The same test for a branch of the rules' OR (a grant, watching).

        On PostgreSQL it reads ``id = ANY(ARRAY(SELECT record_id ...))``: the array is computed
        once per query, so the planner can combine the primary key with the other branches'
        indexes (BitmapOr). A correlated EXISTS under OR is a per-row subplan that keeps the
        rule's own index unused: on 1,000,000 rows the "assigned" list took 1.5x its plain
        query that way (bench/README.md). SQLite plans the EXISTS well and has no arrays.
        """
        if dialect != "postgresql":
            return self._member(table, relation)
        ids = select(st.record_members.c.record_id).where(*self._member_where(table, relation)).correlate(None)
        return table.c.id == any_(func.array(ids.scalar_subquery()))

    def _rule_sql(self, rule: RecordRule, table: Table, compile_condition, dialect: str) -> ColumnElement:
        me = self.actor.username or ""
        if rule.scope is RecordScope.OWN:
            return table.c.created_by == me
        if rule.scope is RecordScope.ASSIGNED:
            return table.c[rule.field] == me
        if rule.scope is RecordScope.WATCHING:
            return self._member_of(table, RecordRelation.WATCHER, dialect)
        if rule.scope is RecordScope.DEPARTMENT:
            mine = sorted(self.actor.departments_in(self.app.name))
            if not mine:
                return false()
            kind = "user" if rule.field in ("created_by", "updated_by") else self.entity.field(rule.field).kind
            if kind == "department":
                return table.c[rule.field].in_(mine)
            dm = st.department_members
            members = select(dm.c.username).where(dm.c.app == self.app.name, dm.c.department.in_(mine))
            heads = select(st.departments.c.head).where(st.departments.c.app == self.app.name,
                                                        st.departments.c.name.in_(mine),
                                                        st.departments.c.head.is_not(None))
            return or_(table.c[rule.field].in_(members), table.c[rule.field].in_(heads))
        if rule.scope is RecordScope.CONDITION:
            return compile_condition(rule.condition)
        return true()

    # -- fields ----------------------------------------------------------------------------
    def _restricted(self, record: Mapping[str, Any], levels: set[FieldAccess]) -> set[str]:
        if self.unrestricted or not self.grants:
            return set()
        per_role: list[set[str]] = []
        for grant in self.grants:
            names = {rule.field for rule in grant.fields if rule.access in levels and (
                rule.when is None or self.matches(rule.when, record))}
            per_role.append(names)
        return set.intersection(*per_role)

    def hidden_fields(self, record: Mapping[str, Any]) -> set[str]:
        return self._restricted(record, {FieldAccess.HIDDEN})

    def read_only_fields(self, record: Mapping[str, Any]) -> set[str]:
        return self._restricted(record, {FieldAccess.HIDDEN, FieldAccess.READ_ONLY})

    def ever_hidden(self) -> set[str]:
        """Fields some rule may hide from this actor: not usable in filters, sorts or search."""
        if self.unrestricted or not self.grants:
            return set()
        per_role = [{r.field for r in g.fields if r.access is FieldAccess.HIDDEN} for g in self.grants]
        return set.intersection(*per_role)


def may_configure(actor: Actor, app: AppSpec) -> bool:
    """Whether ``actor`` may change the app's metadata: platform administrators and holders of
    one of the app's administrator roles (business admins build their apps while they run)."""
    if actor.unrestricted:
        return True
    return any(app.roles[name].admin for name in actor.roles_in(app.name) if name in app.roles)
