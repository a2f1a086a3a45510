"""SQL column types for each storage class, on SQLite and PostgreSQL.

Decimals (money included) are NUMERIC on PostgreSQL and integer minor units on SQLite
(:mod:`.exact_decimal`), so both are exact; every other storage class is the same on both.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from ..core.fields import FieldKind, Storage
from .exact_decimal import ExactDecimal

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
RecordId = BigInteger().with_variant(Integer(), "sqlite")
# An empty list field is SQL NULL, not JSON null, so "is empty" filters find it.
JsonValue = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def column_type(storage: Storage, length: int | None = None,
                precision: int | None = None, scale: int | None = None) -> TypeEngine:
    if storage is Storage.STRING:
        return String(length or 255)
    if storage is Storage.TEXT:
        return Text()
    if storage is Storage.INTEGER:
        return BigInteger()
    if storage is Storage.DECIMAL:
        precision, scale = precision or 18, scale if scale is not None else 2
        return Numeric(precision, scale, asdecimal=True).with_variant(ExactDecimal(precision, scale), "sqlite")
    if storage is Storage.BOOLEAN:
        return Boolean()
    if storage is Storage.DATE:
        return Date()
    if storage is Storage.DATETIME:
        return DateTime()
    if storage is Storage.JSON:
        return JsonValue
    raise ValueError(f"storage {storage} has no column")


def field_column_type(kind: FieldKind, field) -> TypeEngine:
    storage = kind.storage_of(field)
    precision, scale = kind.decimal_shape(field)
    return column_type(storage, kind.string_length(field), precision, scale)


def describe_type(storage: Storage, length: int | None, precision: int | None, scale: int | None) -> str:
    if storage is Storage.STRING:
        return f"string({length})"
    if storage is Storage.DECIMAL:
        return f"decimal({precision},{scale})"
    return storage.value
