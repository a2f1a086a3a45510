"""Moving SQLite decimal columns to exact integer minor units, inside the caller's transaction.

Earlier releases declared a money or decimal column NUMERIC(p, s) on SQLite, which stores
binary floats; now it is DECIMAL(p, s) holding ``value * 10**s`` as an integer
(:mod:`stageflow.storage.exact_decimal`). Alembic treats NUMERIC and DECIMAL as one type, so
the schema diff never proposes this conversion: :func:`convert_legacy_decimals` finds the old
columns by their declared name, which also makes it idempotent.

A column is converted (and rescaled, when a decimal's scale grows) by the column swap of
:mod:`stageflow.storage.sqlite_column_swap`, with a converter that turns each stored value
into minor units of the new scale: never by a table rebuild, which would delete the
child-table rows of an entity. An interrupted conversion leaves the old column and its values
as they were.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    DECIMAL,
    NUMERIC,
    Connection,
    Engine,
    Integer,
    Numeric,
    Table,
    func,
    inspect,
    select,
)
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table
from sqlalchemy.types import TypeEngine

from ..storage.database import write_transaction
from ..storage.ddl import SchemaChangeRefused
from ..storage.exact_decimal import ExactDecimal, MinorUnitsOutOfRange, from_minor_units, to_minor_units
from ..storage.sqlite_column_swap import swap_column


def is_exact_on_sqlite(sql_type: TypeEngine) -> bool:
    """Whether a column of this declared type holds minor units on SQLite."""
    return isinstance(sql_type, Numeric) and not isinstance(sql_type, Integer)


def legacy_decimals_present(conn: Connection) -> bool:
    """One cheap query for a start-up: does any table still declare a NUMERIC column? (Only
    decimal fields of earlier releases do; platform tables have none.)"""
    if conn.dialect.name != "sqlite":
        return False
    schema = sql_table("sqlite_master", sql_column("type"), sql_column("sql"))
    return conn.execute(select(func.count()).select_from(schema).where(
        schema.c.type == "table", schema.c.sql.like("%NUMERIC(%"))).scalar_one() > 0


def convert_legacy_decimals_at_start(db: Engine, tables: Iterable[Table]) -> list[str]:
    """What an engine start runs after reading the app revisions: nothing but
    :func:`legacy_decimals_present` when no old column is left, else the conversion in a
    write transaction of its own."""
    with db.connect() as conn:
        if not legacy_decimals_present(conn):
            return []
    with write_transaction(db) as conn:
        return convert_legacy_decimals(conn, tables)


def convert_legacy_decimals(conn: Connection, tables: Iterable[Table]) -> list[str]:
    """Convert every decimal column of ``tables`` still declared NUMERIC on SQLite (values kept
    as floats) to DECIMAL of the same shape holding minor units. Returns what changed, one
    ``table.column: old -> new`` line each; nothing on other databases."""
    if not legacy_decimals_present(conn):
        return []
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    changed = []
    for table in tables:
        if table.name not in existing:
            continue
        for reflected in inspector.get_columns(table.name):
            declared = table.c.get(reflected["name"])
            old = reflected["type"]
            if declared is None or not is_exact_on_sqlite(declared.type) or type(old) is not NUMERIC:
                continue
            new = ExactDecimal(old.precision or 18, old.scale if old.scale is not None else 2)
            swap_decimal_column(conn, table.name, reflected["name"], old, new)
            changed.append(f"{table.name}.{reflected['name']}: {old} -> {new.impl}")
    return changed


def swap_decimal_column(conn: Connection, table_name: str, column: str, old: TypeEngine,
                        new: TypeEngine) -> None:
    """Replace ``column`` by one of type ``new`` (an exact decimal) holding the same values.

    ``old`` is the column's reflected type and says how its values are kept: DECIMAL as minor
    units of its scale, NUMERIC as floats, integers as whole numbers. A value that cannot be
    kept exactly refuses the change, naming the record; nothing changes then."""
    new_type = new if isinstance(new, ExactDecimal) else ExactDecimal(new.precision or 18, new.scale or 0)

    def minor_units(raw: Any, row_id: Any) -> int:
        return _minor_units(raw, old, new_type.scale, table_name, column, row_id)

    swap_column(conn, table_name, column, new_type, minor_units)


def _minor_units(raw: Any, old: TypeEngine, scale: int, table_name: str, column: str, row_id: Any) -> int:
    where = f"{table_name.split('__', 1)[-1]} record {row_id}, field {column!r}"
    try:
        value = _stored_value(raw, old)
        # A float of the old NUMERIC storage may carry binary noise past the scale: round it off.
        if isinstance(raw, float):
            value = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
        return to_minor_units(value, scale)
    except (MinorUnitsOutOfRange, InvalidOperation, ValueError) as exc:
        raise SchemaChangeRefused(f"{where}: the value {raw!r} cannot be kept as an exact decimal "
                                  f"({exc}); correct it and load again") from None


def _stored_value(raw: Any, old: TypeEngine) -> Decimal:
    """The decimal a raw stored value stands for, given the column's reflected type."""
    if isinstance(old, DECIMAL):
        if not isinstance(raw, int):
            raise ValueError("not a whole number of minor units")
        return from_minor_units(raw, old.scale or 0)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if isinstance(raw, int):
        return Decimal(raw)
    return Decimal(str(raw).strip())
