"""Exact decimals on SQLite: money and decimal values kept as integer minor units.

SQLite has no decimal type: a column declared NUMERIC(18, 2) stores 0.1 as a binary float, so
sums drift (0.10 + 0.20 is not 0.30). On SQLite a decimal column therefore holds
``value * 10**scale`` as a 64-bit integer, declared ``DECIMAL(precision, scale)`` so that
reflection still sees the shape (Alembic compares it, retired columns keep it, and the
declared name tells a converted column from an old NUMERIC one, see
:mod:`stageflow.data.money_migration`). :class:`ExactDecimal` converts at the driver boundary,
so inserts, updates, every bound comparison (eq, ne, lt, gt, between, in), ORDER BY and the
aggregates SUM, MIN and MAX see and return ``Decimal`` values exactly as on PostgreSQL, which
keeps its native NUMERIC. AVG is the one aggregate SQLAlchemy leaves untyped: use
:func:`average`.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, types
from sqlalchemy.sql import ColumnElement

# SQLite integers are signed 64-bit: every value of at most 18 digits fits, some of 19 do.
LARGEST_MINOR_UNITS = 2**63 - 1
EXACT_DIGITS = 18


class MinorUnitsOutOfRange(ValueError):
    """A decimal that cannot be stored exactly as integer minor units."""


def to_minor_units(value: Any, scale: int) -> int:
    """``value`` times ``10**scale`` as an int; refuses a value with more decimal places than
    ``scale`` (rounding it would change what a filter compares) or too large for 64 bits."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise MinorUnitsOutOfRange(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise MinorUnitsOutOfRange(f"{value!r} is not a finite number")
    minor = number.scaleb(scale)
    if minor != minor.to_integral_value():
        raise MinorUnitsOutOfRange(f"{value} has more than {scale} decimal places")
    units = int(minor)
    if abs(units) > LARGEST_MINOR_UNITS:
        raise MinorUnitsOutOfRange(
            f"{value} does not fit an exact decimal on SQLite (at most {EXACT_DIGITS} digits "
            f"in all); PostgreSQL stores it")
    return units


def from_minor_units(stored: Any, scale: int) -> Decimal:
    """The Decimal a stored value stands for. An int is exact; a float only comes from AVG
    (SQLite averages integers in floating point), read at its shortest exact spelling."""
    if isinstance(stored, float):
        return Decimal(repr(stored)).scaleb(-scale)
    return Decimal(stored).scaleb(-scale)


class _MinorUnitsColumn(types.DECIMAL):
    """Declared DECIMAL(p, s) with no conversion of its own: :class:`ExactDecimal` does it."""

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None


class ExactDecimal(types.TypeDecorator):
    """A decimal column kept as integer minor units; used on SQLite only (see
    :func:`stageflow.storage.column_types.column_type`)."""

    impl = _MinorUnitsColumn
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2):
        super().__init__(precision, scale)
        self.precision, self.scale = precision, scale

    @property
    def python_type(self):
        return Decimal

    def process_bind_param(self, value, dialect):
        return None if value is None else to_minor_units(value, self.scale)

    def process_literal_param(self, value, dialect):
        return "NULL" if value is None else str(to_minor_units(value, self.scale))

    def process_result_value(self, value, dialect):
        return None if value is None else from_minor_units(value, self.scale)


def average(column: ColumnElement) -> ColumnElement:
    """AVG that returns the column's own kind of value. ``func.avg`` is untyped in SQLAlchemy,
    so on SQLite it would return the average of the minor units (a hundred times too much)."""
    return func.avg(column, type_=column.type)
