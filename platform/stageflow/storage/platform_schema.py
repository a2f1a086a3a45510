"""The version of the platform's own tables: migrate them, record a digest, check it at start.

``stageflow migrate`` (and an install) bring the ``sf_*`` tables to this release through
Alembic's comparison, additively, and record a digest of the schema they now have. An engine
start then compares digests only, one small read instead of a comparison of every platform table
inside a write transaction (0.16-0.7 s per start before). When the digests differ:

- a database with no platform tables yet is set up at once, on every backend (nothing to compare);
- SQLite, the embedded default, migrates itself;
- elsewhere (PostgreSQL) the start is refused with :class:`PlatformSchemaOutdated`, naming
  ``stageflow migrate``: a production schema changes when its operator says so, not when the
  first of many processes happens to start.

A manual change to the tables (an index dropped by hand) does not change the recorded digest:
``stageflow migrate`` repairs it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache

from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy import Column, Connection, DateTime, Engine, Integer, MetaData, String, Table, inspect, select
from sqlalchemy.dialects import registry as dialects
from sqlalchemy.schema import CreateIndex, CreateTable

from . import platform_tables as st
from .database import read_connection, write_transaction
from .ddl import DEFAULT_LOCK_TIMEOUT, SyncReport, busy_table_refused, lock_timeout

# Kept apart from the platform metadata: a backup carries the platform tables' rows, never the
# schema version of the database it came from.
schema_version_metadata = MetaData()
schema_version = Table(
    "sf_platform_schema", schema_version_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: one row
    Column("digest", String(64), nullable=False),
    Column("migrated_at", DateTime, nullable=False),
)
_ROW_ID = 1


class PlatformSchemaOutdated(RuntimeError):
    """The database's platform tables are not those of this release; ``stageflow migrate`` fixes it."""


@lru_cache(maxsize=4)
def platform_schema_digest(dialect_name: str) -> str:
    """SHA-256 of the DDL of every platform table and index, as this dialect writes it."""
    dialect = dialects.load(dialect_name)()
    digest = hashlib.sha256()
    for table in sorted(st.platform_metadata.tables.values(), key=lambda t: t.name):
        digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda i: i.name):
            digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    return digest.hexdigest()


def recorded_digest(conn: Connection) -> str | None:
    """The digest the last migration recorded; None when the database has none."""
    if not inspect(conn).has_table(schema_version.name):
        return None
    return conn.execute(select(schema_version.c.digest).where(schema_version.c.id == _ROW_ID)).scalar()


def migrate_platform_tables(conn: Connection, lock_seconds: float = DEFAULT_LOCK_TIMEOUT) -> SyncReport:
    """Create or extend the platform's ``sf_*`` tables additively and record their digest.

    An upgrade of Stageflow adds tables, columns and indexes to an existing database the way an
    app upgrade does; drops and type changes are never applied, except the indexes of earlier
    releases listed in ``RETIRED_INDEXES``.
    """
    report = SyncReport()
    names = set(st.platform_metadata.tables)
    context = MigrationContext.configure(conn, opts={
        "include_name": lambda name, type_, parents: name in names if type_ == "table" else True})
    operations = Operations(context)
    with lock_timeout(conn, lock_seconds):
        for op in produce_migrations(context, st.platform_metadata).upgrade_ops.ops:
            with busy_table_refused(getattr(op, "table_name", None), lock_seconds):
                _apply(operations, op, report)
    _record_digest(conn)
    return report


def _apply(operations: Operations, op, report: SyncReport) -> None:
    # Alembic queues the indexes of a new table (and any missing index) as CreateIndexOp inside
    # a ModifyTableOps.
    if isinstance(op, ops.ModifyTableOps):
        for sub in op.ops:
            _apply(operations, sub, report)
    elif isinstance(op, ops.AddColumnOp):
        operations.invoke(op)
        report.added_columns.append(f"{op.table_name}.{op.column.name}")
    elif isinstance(op, ops.CreateTableOp):
        operations.invoke(op)
        report.created_tables.append(op.table_name)
    elif isinstance(op, ops.CreateIndexOp):
        operations.invoke(op)
        report.indexes.append(op.index_name)
    elif isinstance(op, ops.DropIndexOp) and op.index_name in st.RETIRED_INDEXES:
        operations.invoke(op)
        report.dropped_indexes.append(op.index_name)


def _record_digest(conn: Connection) -> None:
    schema_version_metadata.create_all(conn)
    values = {"digest": platform_schema_digest(conn.dialect.name),
              "migrated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    updated = conn.execute(schema_version.update().where(schema_version.c.id == _ROW_ID).values(**values))
    if not updated.rowcount:
        conn.execute(schema_version.insert().values(id=_ROW_ID, **values))


def _has_platform_tables(conn: Connection) -> bool:
    return inspect(conn).has_table(st.apps.name)


def ensure_platform_schema(db: Engine, migrate: bool | None = None) -> SyncReport | None:
    """Make sure the platform tables are this release's; what was migrated, or None.

    ``migrate``: True migrates whenever the digest differs; False never migrates a database that
    has platform tables (refuses instead); None (the default) migrates SQLite only.
    """
    wanted = platform_schema_digest(db.dialect.name)
    with read_connection(db) as conn:
        found = recorded_digest(conn)
        if found == wanted:
            return None
        fresh = found is None and not _has_platform_tables(conn)
    allowed = migrate if migrate is not None else db.dialect.name == "sqlite"
    if not (fresh or allowed):
        raise PlatformSchemaOutdated(
            f"the platform tables of {db.url.render_as_string(hide_password=True)} are not those of this "
            f"release ({'no schema digest recorded' if found is None else 'schema digest differs'}); "
            f"run `stageflow migrate --db <url>` once, then start again")
    with write_transaction(db) as conn:
        if recorded_digest(conn) == wanted:  # another process migrated meanwhile
            return None
        return migrate_platform_tables(conn)
