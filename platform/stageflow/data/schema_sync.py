"""Keeping the live database in step with the specs, through Alembic operations.

Sync is additive and idempotent: new tables, columns and indexes are created; a column whose
field left the metadata is *retired* (kept, with its data, listed in ``sf_retired_column``);
a type change that could lose data is refused unless the column holds no data yet. Works on
SQLite (type changes through a column swap, never a table rebuild) and PostgreSQL (``lock_timeout`` so an
ALTER never hangs behind an idle transaction: a table another transaction holds is refused as
busy, and nothing changes).
"""
from __future__ import annotations

import datetime as dt

from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    func,
    inspect,
    select,
)
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table
from sqlalchemy.types import TypeEngine

from ..core.fields import Storage
from ..core.kinds import Kinds
from ..core.specs import PIPELINE_FIELDS, SYSTEM_FIELDS, AppSpec
from ..storage import platform_tables as st
from ..storage.ddl import DEFAULT_LOCK_TIMEOUT, SchemaChangeRefused, SyncReport, busy_table_refused, lock_timeout
from ..storage.sqlite_column_swap import swap_column
from .money_migration import convert_legacy_decimals, is_exact_on_sqlite, swap_decimal_column
from .tables import AppTables, RetiredColumn, build_app_tables


def storage_of_sql_type(sql_type: TypeEngine) -> RetiredColumn:
    """What a reflected column holds, to keep it as a retired column."""
    if isinstance(sql_type, Boolean):
        return RetiredColumn("", "", Storage.BOOLEAN)
    if isinstance(sql_type, (Integer, BigInteger)):
        return RetiredColumn("", "", Storage.INTEGER)
    if isinstance(sql_type, Numeric):
        return RetiredColumn("", "", Storage.DECIMAL, precision=sql_type.precision or 18, scale=sql_type.scale or 2)
    if isinstance(sql_type, DateTime):
        return RetiredColumn("", "", Storage.DATETIME)
    if isinstance(sql_type, Date):
        return RetiredColumn("", "", Storage.DATE)
    if isinstance(sql_type, JSON) or sql_type.__class__.__name__.upper() in ("JSON", "JSONB"):
        return RetiredColumn("", "", Storage.JSON)
    if isinstance(sql_type, Text) or (isinstance(sql_type, String) and sql_type.length is None):
        return RetiredColumn("", "", Storage.TEXT)
    if isinstance(sql_type, String):
        return RetiredColumn("", "", Storage.STRING, length=sql_type.length)
    return RetiredColumn("", "", Storage.TEXT)


def _widens(old: TypeEngine, new: TypeEngine) -> bool:
    """True when every value of ``old`` fits ``new`` unchanged."""
    if isinstance(old, String) and not isinstance(old, Text) and isinstance(new, String):
        return isinstance(new, Text) or new.length is None or (old.length or 0) <= new.length
    if isinstance(old, (Integer, BigInteger)) and isinstance(new, (Integer, BigInteger)):
        return isinstance(new, BigInteger) or not isinstance(old, BigInteger)
    if isinstance(old, Numeric) and isinstance(new, Numeric) and not isinstance(old, (Integer,)):
        o_p, o_s = old.precision or 18, old.scale or 0
        n_p, n_s = new.precision or 18, new.scale or 0
        return n_s >= o_s and (n_p - n_s) >= (o_p - o_s)
    if isinstance(old, (Integer, BigInteger)) and isinstance(new, Numeric):
        return (new.precision or 18) - (new.scale or 0) >= 19
    return False


class SchemaSync:
    def __init__(self, kinds: Kinds, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.kinds, self.lock_timeout = kinds, lock_timeout

    def known_retired(self, conn: Connection) -> list[RetiredColumn]:
        rows = conn.execute(select(st.retired_columns)).mappings()
        return [RetiredColumn(r["entity_table"], r["column"], Storage(r["storage"]), r["length"],
                              r["precision"], r["scale"]) for r in rows]

    def sync(self, conn: Connection, app: AppSpec, now: dt.datetime | None = None) -> tuple[AppTables, SyncReport]:
        """Bring the app's tables in line with its spec inside the caller's transaction."""
        now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        report = SyncReport()
        retired = self.known_retired(conn)
        retired += self._retire_removed_fields(conn, app, retired, now, report)
        tables = build_app_tables(self.kinds, app, retired)
        # Before the diff: it sees NUMERIC and DECIMAL as one type, and a scale change below
        # must know the column holds minor units.
        report.changed_types += convert_legacy_decimals(conn, tables.metadata.sorted_tables)
        names = tables.table_names()

        def include_name(name, type_, parent_names):
            if type_ == "table":
                return name in names
            return True

        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        migration = produce_migrations(context, tables.metadata)
        operations = Operations(context)
        with lock_timeout(conn, self.lock_timeout):
            for op in migration.upgrade_ops.ops:
                with busy_table_refused(getattr(op, "table_name", None), self.lock_timeout):
                    self._apply(conn, operations, op, report)
        self._unretire(conn, tables, retired)
        return tables, report

    def _retire_removed_fields(self, conn, app, retired, now, report) -> list[RetiredColumn]:
        inspector = inspect(conn)
        existing = set(inspector.get_table_names())
        known = {(r.table, r.column) for r in retired}
        fresh: list[RetiredColumn] = []
        probe = build_app_tables(self.kinds, app)
        for table in probe.metadata.sorted_tables:
            if table.name not in existing:
                continue
            declared = set(table.c.keys()) | set(SYSTEM_FIELDS) | set(PIPELINE_FIELDS)
            for column in inspector.get_columns(table.name):
                if column["name"] in declared or (table.name, column["name"]) in known:
                    continue
                kept = storage_of_sql_type(column["type"])
                kept = RetiredColumn(table.name, column["name"], kept.storage, kept.length, kept.precision, kept.scale)
                conn.execute(st.retired_columns.insert().values(
                    entity_table=kept.table, column=kept.column, storage=kept.storage.value,
                    length=kept.length, precision=kept.precision, scale=kept.scale, retired_at=now))
                fresh.append(kept)
                report.retired_columns.append(f"{table.name}.{column['name']}")
        return fresh

    def _unretire(self, conn, tables: AppTables, retired: list[RetiredColumn]) -> None:
        """A field that comes back takes its old column (and data) back."""
        for r in retired:
            table = tables.metadata.tables.get(r.table)
            spec_table = r.table.split("__")
            entity = tables.app.entities.get(spec_table[1]) if len(spec_table) >= 2 else None
            if table is None or entity is None:
                continue
            names = {f.name for f in entity.fields}
            if len(spec_table) == 3 and entity.has_field(spec_table[2]):
                names = {f.name for f in entity.field(spec_table[2]).children}
            if r.column in names:
                conn.execute(st.retired_columns.delete().where(
                    st.retired_columns.c.entity_table == r.table, st.retired_columns.c.column == r.column))

    def _apply(self, conn, operations: Operations, op, report: SyncReport) -> None:
        if isinstance(op, ops.CreateTableOp):
            operations.invoke(op)
            report.created_tables.append(op.table_name)
            return
        if isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp)):
            if op.index_name and op.index_name.startswith(("ix_", "uq_")):
                operations.invoke(op)
                report.indexes.append(op.index_name)
            return
        if isinstance(op, ops.ModifyTableOps):
            for sub in op.ops:
                self._apply_table_change(conn, operations, op.table_name, sub, report)
            return
        # Drops of tables or anything else Stageflow did not create are never applied.

    def _apply_table_change(self, conn, operations, table_name: str, op, report: SyncReport) -> None:
        if isinstance(op, ops.AddColumnOp):
            operations.invoke(op)
            report.added_columns.append(f"{table_name}.{op.column.name}")
        elif isinstance(op, ops.AlterColumnOp) and op.modify_type is not None:
            self._change_type(conn, operations, table_name, op, report)
        elif isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp)):
            self._apply(conn, operations, op, report)

    def _change_type(self, conn, operations, table_name: str, op, report: SyncReport) -> None:
        old, new, column = op.existing_type, op.modify_type, op.column_name
        empty_column = False
        if not _widens(old, new):
            filled = conn.execute(select(func.count()).select_from(sql_table(table_name, sql_column(column)))
                                  .where(sql_column(column).is_not(None))).scalar_one()
            if filled:
                raise SchemaChangeRefused(
                    f"field {column!r} of {table_name.split('__', 1)[1]!r}: changing the type from "
                    f"{old} to {new} could lose data in {filled} record(s); add a new field and copy "
                    f"the values instead")
            empty_column = True
        if conn.dialect.name == "sqlite" and is_exact_on_sqlite(new):
            # Values become minor units of the new scale (the old ones may be whole numbers).
            swap_decimal_column(conn, table_name, column, old, new)
        elif conn.dialect.name == "sqlite":
            # Never a batch table rebuild: dropping the old table with foreign keys on deletes
            # the rows of its child tables (ON DELETE CASCADE).
            swap_column(conn, table_name, column, new)
        else:
            # An empty column needs no cast; a widening is one PostgreSQL casts by itself.
            kwargs = {"postgresql_using": "NULL"} if empty_column else {}
            operations.alter_column(table_name, column, type_=new, existing_type=old, **kwargs)
        report.changed_types.append(f"{table_name}.{column}: {old} -> {new}")
