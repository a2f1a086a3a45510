"""Changing a column's type on SQLite without rebuilding its table: the column swap.

SQLite cannot change a column's type in place. Its documented way, the table rebuild that
Alembic's batch mode runs (create a new table, copy, drop the old one, rename), loses data
with foreign keys on (the platform turns them on): dropping the old table runs ON DELETE
CASCADE and deletes every row of the child tables that reference it, and ``PRAGMA
foreign_keys`` cannot change inside a transaction. The swap touches the one column instead:
it adds a column of the new type, fills it, drops the old column, gives the new one the old
name and recreates the indexes over it (SQLite 3.35 or later). The column moves to the end of
the table; nothing reads columns by position.

What is kept: every value (SQLite's own assignment copies it, or a converter computes it),
NOT NULL with its default, and every index over the column, replayed from the DDL SQLite
stored for it (unique, partial and expression indexes alike). A column SQLite cannot drop is
refused before anything changes, naming the table and the column: a primary key, a column of
a foreign key (on either side), of a UNIQUE or CHECK constraint, or NOT NULL without a default
(SQLite adds such a column to no table that has rows). Whatever else DROP COLUMN rejects (a
view, a trigger, a generated column) is refused the same way. The swap runs in a savepoint:
a failure half-way leaves the table as it was, even when the caller goes on.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, Connection, bindparam, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table
from sqlalchemy.types import TypeEngine

from .ddl import SchemaChangeRefused

# Field names never hold a double underscore, so this suffix cannot meet a field's column.
SWAP_SUFFIX = "__swap"
# ALTER TABLE ... DROP COLUMN came with SQLite 3.35.
DROP_COLUMN_SINCE = (3, 35)

# A stored value and its row id in, the value the new column keeps out (NULLs are never passed).
ValueConverter = Callable[[Any, Any], Any]

_TABLE_INFO = text('SELECT name, "notnull", dflt_value, pk FROM pragma_table_info(:table_name)')
_OWN_FOREIGN_KEYS = text('SELECT "from" FROM pragma_foreign_key_list(:table_name)')
_REFERRING_TABLES = text(
    'SELECT m.name FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS fk '
    'WHERE m.type = \'table\' AND fk."table" = :table_name AND fk."to" = :column_name')
_INDEX_LIST = text("SELECT name, origin, partial FROM pragma_index_list(:table_name)")
_INDEX_COLUMNS = text("SELECT cid, name, key FROM pragma_index_xinfo(:index_name)")
_SCHEMA = sql_table("sqlite_master", sql_column("type"), sql_column("name"), sql_column("sql"))


@dataclass(frozen=True)
class _StoredIndex:
    name: str
    ddl: str  # as SQLite stored it: replaying it recreates the index exactly


def swap_column(conn: Connection, table_name: str, column: str, new_type: TypeEngine,
                convert: ValueConverter | None = None) -> None:
    """Give ``column`` of ``table_name`` the type ``new_type``, keeping its values, inside the
    caller's transaction. Without ``convert`` each value is copied as it is (SQLite applies
    the new column's affinity); with it, ``convert(value, row_id)`` gives the value to keep
    and may raise :class:`SchemaChangeRefused` to refuse the change."""
    not_null, default = _check_swappable(conn, table_name, column)
    indexes = _indexes_over(conn, table_name, column)
    scratch = f"{column}{SWAP_SUFFIX}"
    with conn.begin_nested():
        operations = Operations(MigrationContext.configure(conn))
        for index in indexes:
            operations.drop_index(index.name, table_name=table_name)
        server_default = text(default) if default is not None else None
        operations.add_column(table_name, Column(scratch, new_type, nullable=not not_null,
                                                 server_default=server_default))
        _fill(conn, table_name, column, scratch, convert)
        _drop_old_column(operations, table_name, column)
        operations.alter_column(table_name, scratch, new_column_name=column)
        _recreate_indexes(conn, indexes)


def _refusal(table_name: str, column: str, reason: str) -> SchemaChangeRefused:
    return SchemaChangeRefused(
        f"table {table_name!r}, column {column!r}: SQLite cannot change this column's type "
        f"without rebuilding the table, which would delete the rows of the tables that refer to "
        f"it; {reason}; nothing was changed")


def _check_swappable(conn: Connection, table_name: str, column: str) -> tuple[bool, str | None]:
    """Refuse what DROP COLUMN cannot take; return whether the column is NOT NULL, and its default."""
    version = conn.dialect.server_version_info or (0,)
    if tuple(version[:2]) < DROP_COLUMN_SINCE:
        raise _refusal(table_name, column, f"SQLite {'.'.join(map(str, version))} cannot drop a "
                                           f"column (3.35 or later can)")
    info = {row.name: row for row in conn.execute(_TABLE_INFO, {"table_name": table_name})}
    if column not in info:
        raise _refusal(table_name, column, "the table has no such column")
    if info[column].pk:
        raise _refusal(table_name, column, "it is (part of) the primary key")
    if column in set(conn.execute(_OWN_FOREIGN_KEYS, {"table_name": table_name}).scalars()):
        raise _refusal(table_name, column, "it is part of a foreign key")
    referring = conn.execute(_REFERRING_TABLES, {"table_name": table_name, "column_name": column}).scalars().all()
    if referring:
        raise _refusal(table_name, column, f"the foreign keys of {', '.join(sorted(set(referring)))} refer to it")
    for index in conn.execute(_INDEX_LIST, {"table_name": table_name}):
        if index.origin in ("u", "pk") and column in _index_column_names(conn, index.name):
            raise _refusal(table_name, column, "it is part of a UNIQUE constraint")
    named = re.compile(rf'(?<![\w"]){re.escape(column)}(?![\w"])|"{re.escape(column)}"')
    if any(named.search(check["sqltext"]) for check in inspect(conn).get_check_constraints(table_name)):
        raise _refusal(table_name, column, "a CHECK constraint names it")
    not_null, default = bool(info[column].notnull), info[column].dflt_value
    if not_null and default is None:
        raise _refusal(table_name, column, "it is NOT NULL without a default, and SQLite adds such "
                                           "a column to no table")
    return not_null, default


def _index_column_names(conn: Connection, index_name: str) -> list[str | None]:
    """The key columns of an index; None stands for an expression."""
    return [row.name for row in conn.execute(_INDEX_COLUMNS, {"index_name": index_name}) if row.key]


def _indexes_over(conn: Connection, table_name: str, column: str) -> list[_StoredIndex]:
    """The created indexes DROP COLUMN would trip over: those naming the column, and (as their
    expressions or conditions may name it) every expression or partial index."""
    touching = []
    for index in conn.execute(_INDEX_LIST, {"table_name": table_name}):
        if index.origin != "c":
            continue
        names = _index_column_names(conn, index.name)
        if column in names or None in names or index.partial:
            touching.append(index.name)
    if not touching:
        return []
    stored = dict(conn.execute(select(_SCHEMA.c.name, _SCHEMA.c.sql).where(
        _SCHEMA.c.type == "index", _SCHEMA.c.name.in_(touching))).all())
    return [_StoredIndex(name, stored[name]) for name in touching]


def _fill(conn: Connection, table_name: str, column: str, scratch: str, convert: ValueConverter | None) -> None:
    table = sql_table(table_name, sql_column("id"), sql_column(column), sql_column(scratch))
    if convert is None:
        conn.execute(table.update().values({table.c[scratch]: table.c[column]}))
        return
    stored = conn.execute(select(table.c.id, table.c[column]).where(table.c[column].is_not(None))).all()
    rows = [{"sf_row_id": row_id, "sf_value": convert(value, row_id)} for row_id, value in stored]
    if rows:
        conn.execute(table.update().where(table.c.id == bindparam("sf_row_id"))
                     .values({table.c[scratch]: bindparam("sf_value")}), rows)


def _drop_old_column(operations: Operations, table_name: str, column: str) -> None:
    try:
        operations.drop_column(table_name, column)
    except OperationalError as error:  # a view, a trigger or a generated column uses it
        raise _refusal(table_name, column, f"SQLite refused to drop it ({error.orig})") from None


def _recreate_indexes(conn: Connection, indexes: list[_StoredIndex]) -> None:
    for index in indexes:
        # SQLite's own stored DDL, replayed as it is (the column has its old name again).
        conn.exec_driver_sql(index.ddl)
