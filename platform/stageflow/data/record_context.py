"""Everything the record service needs about one entity, built once per app revision."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Table

from ..core.fields import FieldKind
from ..core.kinds import Kinds
from ..core.specs import AppSpec, EntitySpec
from ..core.system_fields import queryable_fields
from ..security import Actor, EntityPolicy
from .filters import EntityFilters
from .record_values import RecordValues
from .tables import AppTables


class RecordNotFound(LookupError):
    """No such record, or none the actor may see (the two are not told apart)."""


class RecordConflict(Exception):
    """The record changed since the caller read it; reload and try again."""

    def __init__(self, entity: str, record_id: int, current_version: int | None):
        self.current_version = current_version
        super().__init__(f"{entity} #{record_id} was changed by someone else (now version "
                         f"{current_version}); reload it and apply your change again")


@dataclass
class EntityContext:
    app: AppSpec
    entity: EntitySpec
    tables: AppTables
    values: RecordValues
    dialect: str
    # (field name, to_json) for every stored column the API shows.
    outputs: list[tuple[str, Callable[[Any], Any]]]
    kinds: Kinds
    # The columns whose stored value is already JSON data, copied without a call.
    plain: frozenset[str] = frozenset()
    _visibility: OrderedDict = field(default_factory=OrderedDict)

    VISIBILITY_CACHE = 256

    @property
    def table(self) -> Table:
        return self.tables.main(self.entity.name)

    @cached_property
    def insert(self):
        return self.table.insert()

    @property
    def children(self) -> dict[str, Table]:
        return self.tables.entities[self.entity.name].children

    def filters(self, forbidden: set[str] = frozenset()) -> EntityFilters:
        return EntityFilters(self.kinds, self.entity, self.table, self.dialect, forbidden)

    def policy(self, actor: Actor) -> EntityPolicy:
        plain = self.filters()
        return EntityPolicy(self.app, self.entity, actor, plain.matches)

    def visibility(self, actor: Actor):
        """The actor's policy and record filter, cached: both depend only on who acts."""
        key = (actor.username, actor.is_admin, actor.is_system, actor.roles_in(self.app.name),
               actor.departments_in(self.app.name))
        found = self._visibility.get(key)
        if found is None:
            policy = self.policy(actor)
            found = (policy, policy.record_filter(self.table, self.filters().compile, self.dialect))
            self._visibility[key] = found
            if len(self._visibility) > self.VISIBILITY_CACHE:
                self._visibility.popitem(last=False)
        else:
            self._visibility.move_to_end(key)
        return found

    def to_json(self, row: Mapping[str, Any], hidden: set[str] = frozenset()) -> dict[str, Any]:
        plain = self.plain
        return {name: row[name] if name in plain else convert(row[name])
                for name, convert in self.outputs if name not in hidden}

    def child_to_json(self, field: str, rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        spec = self.entity.field(field)
        converters = [(c.name, self.kinds.fields.get(c.kind).to_json) for c in spec.children]
        return [{"id": r["id"], **{n: conv(r[n]) for n, conv in converters}} for r in rows]


def build_context(kinds: Kinds, app: AppSpec, tables: AppTables, entity: EntitySpec, dialect: str) -> EntityContext:
    outputs, plain = [], set()
    for name, spec in queryable_fields(entity).items():
        kind = kinds.fields.get(spec.kind)
        outputs.append((name, kind.to_json))
        if type(kind).to_json is FieldKind.to_json:
            plain.add(name)
    return EntityContext(app=app, entity=entity, tables=tables, values=RecordValues(kinds, entity),
                         dialect=dialect, outputs=outputs, kinds=kinds, plain=frozenset(plain))
