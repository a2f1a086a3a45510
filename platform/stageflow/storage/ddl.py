"""Changing the schema of a live database safely: lock time limits, busy tables, what changed.

Shared by the platform-table migration (:mod:`.platform_schema`) and the sync of app tables
(:mod:`stageflow.data.schema_sync`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

# How long a schema change waits for a table lock on PostgreSQL before it gives up.
DEFAULT_LOCK_TIMEOUT = 5.0
# PostgreSQL's SQLSTATE for "lock_not_available" (what a lock_timeout raises).
LOCK_NOT_AVAILABLE = "55P03"


class SchemaChangeRefused(Exception):
    """A metadata change the database cannot take: it would lose data, or a table is busy."""


class TableBusy(SchemaChangeRefused):
    """A table the change must lock is held by another transaction; trying again later works."""


def _lock_timed_out(error: DBAPIError) -> bool:
    original = error.orig
    return LOCK_NOT_AVAILABLE in (getattr(original, "sqlstate", None), getattr(original, "pgcode", None))


@contextmanager
def busy_table_refused(table: str | None, timeout: float) -> Iterator[None]:
    """Turn a PostgreSQL lock timeout while changing ``table`` into a clear :class:`TableBusy`."""
    try:
        yield
    except DBAPIError as error:
        if not _lock_timed_out(error):
            raise
        raise TableBusy(f"table {table or '?'!r} is busy: another transaction is using it and the "
                        f"schema change could not lock it within {timeout:g} s; try again when that "
                        f"transaction has finished") from None


@contextmanager
def lock_timeout(conn: Connection, seconds: float) -> Iterator[None]:
    """On PostgreSQL, DDL in the block waits at most ``seconds`` for a lock, instead of queueing
    behind an idle transaction (and making every later reader queue behind the ALTER). The
    setting is local to the transaction and restored afterwards, so later row writes of the
    same transaction wait as usual."""
    if conn.dialect.name != "postgresql":
        yield
        return
    previous = conn.execute(select(func.current_setting("lock_timeout"))).scalar_one()
    conn.execute(select(func.set_config("lock_timeout", f"{max(1, round(seconds * 1000))}ms", True)))
    yield
    conn.execute(select(func.set_config("lock_timeout", previous, True)))


@dataclass
class SyncReport:
    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    retired_columns: list[str] = field(default_factory=list)
    changed_types: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    dropped_indexes: list[str] = field(default_factory=list)  # platform indexes of earlier releases

    @property
    def changed(self) -> bool:
        return any((self.created_tables, self.added_columns, self.retired_columns,
                    self.changed_types, self.indexes, self.dropped_indexes))
