"""SQLAlchemy Core tables built from entity specs, in a MetaData of their own per app revision.

One table per entity (``<app>__<entity>``) with the system columns, a column per field, and
one table per child-table field (``<app>__<entity>__<field>``). Retired columns stay in the
table definition so that schema sync never proposes to drop them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from ..core.fields import Storage
from ..core.kinds import Kinds
from ..core.specs import AppSpec, EntitySpec, FieldSpec
from ..storage.column_types import RecordId, column_type, field_column_type


@dataclass(frozen=True)
class RetiredColumn:
    table: str
    column: str
    storage: Storage
    length: int | None = None
    precision: int | None = None
    scale: int | None = None


def index_name(prefix: str, table: str, column: str) -> str:
    """Index names within PostgreSQL's 63-character limit, stable for the same input."""
    name = f"{prefix}_{table}_{column}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f"{name[:52]}_{digest}"


@dataclass
class EntityTables:
    """The main table of an entity and its child tables by field name."""

    main: Table
    children: dict[str, Table] = field(default_factory=dict)


def _field_columns(kinds: Kinds, table_name: str, fields: tuple[FieldSpec, ...]):
    columns, indexes = [], []
    for spec in fields:
        kind = kinds.fields.get(spec.kind)
        if kind.storage_of(spec) is Storage.NONE:
            continue
        columns.append(Column(spec.name, field_column_type(kind, spec), nullable=True))
        storage = kind.storage_of(spec)
        if spec.unique:
            indexes.append(Index(index_name("uq", table_name, spec.name), spec.name, unique=True))
        elif (spec.indexed or spec.kind == "link") and storage is not Storage.JSON and storage is not Storage.TEXT:
            indexes.append(Index(index_name("ix", table_name, spec.name), spec.name))
    return columns, indexes


def build_entity_tables(kinds: Kinds, entity: EntitySpec, metadata: MetaData,
                        retired: list[RetiredColumn] = ()) -> EntityTables:
    name = entity.table_name
    columns, indexes = _field_columns(kinds, name, entity.fields)
    system = [
        Column("id", RecordId, primary_key=True, autoincrement=True),
        Column("version", Integer, nullable=False, default=1),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", String(150)),
        Column("updated_at", DateTime, nullable=False),
        Column("updated_by", String(150)),
    ]
    if entity.has_pipelines:
        system += [Column("pipeline", String(30)), Column("stage", String(30)),
                   Column("stage_changed_at", DateTime)]
        indexes.append(Index(index_name("ix", name, "stage"), "pipeline", "stage"))
    declared = {c.name for c in system + columns}
    kept = [Column(r.column, column_type(r.storage, r.length, r.precision, r.scale), nullable=True)
            for r in retired if r.table == name and r.column not in declared]
    main = Table(name, metadata, *system, *columns, *kept, *indexes)
    tables = EntityTables(main)
    for spec in entity.fields:
        if spec.kind != "child_table":
            continue
        child_name = f"{name}__{spec.name}"
        child_columns, child_indexes = _field_columns(kinds, child_name, spec.children)
        child_declared = {c.name for c in child_columns}
        child_kept = [Column(r.column, column_type(r.storage, r.length, r.precision, r.scale), nullable=True)
                      for r in retired if r.table == child_name and r.column not in child_declared]
        tables.children[spec.name] = Table(
            child_name, metadata,
            Column("id", RecordId, primary_key=True, autoincrement=True),
            Column("parent_id", BigInteger, ForeignKey(f"{name}.id", ondelete="CASCADE"), nullable=False),
            Column("position", Integer, nullable=False),
            *child_columns, *child_kept,
            Index(index_name("ix", child_name, "parent_id"), "parent_id", "position"),
            *child_indexes,
        )
    return tables


@dataclass
class AppTables:
    """Every table of one app revision."""

    app: AppSpec
    metadata: MetaData
    entities: dict[str, EntityTables]

    def main(self, entity: str) -> Table:
        return self.entities[entity].main

    def table_names(self) -> set[str]:
        return set(self.metadata.tables)


def build_app_tables(kinds: Kinds, app: AppSpec, retired: list[RetiredColumn] = ()) -> AppTables:
    metadata = MetaData()
    entities = {name: build_entity_tables(kinds, spec, metadata, retired)
                for name, spec in app.entities.items()}
    return AppTables(app, metadata, entities)
