"""Sorting and keyset pagination: pages stay fast deep into a million rows.

A page's cursor holds the sort values of its last row (and the id, which breaks ties), so
the next page is a range seek on an index instead of an OFFSET scan. Empty values sort last
when ascending and first when descending (PostgreSQL's natural order, so a plain index
serves both directions); SQLite is told the same explicitly.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, false, or_
from sqlalchemy.sql import ColumnElement

from .filters import FilterError


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


def parse_sort(sort: str | Sequence[str] | None) -> list[SortKey]:
    """``"-amount,title"`` or ``["-amount", "title"]``: minus means descending."""
    if not sort:
        return []
    items = sort.split(",") if isinstance(sort, str) else list(sort)
    keys = []
    for item in items:
        item = item.strip()
        if item:
            keys.append(SortKey(item.lstrip("-+"), item.startswith("-")))
    return keys


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "n" in value:
            return Decimal(value["n"])
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list):
            raise ValueError
        return [_decode(v) for v in values]
    except (ValueError, TypeError):
        raise FilterError("the page cursor is not valid; start from the first page") from None


class Keyset:
    """ORDER BY and the seek predicate for a list of sort keys (id appended as tie-breaker)."""

    def __init__(self, table: Table, keys: list[SortKey], parse=None):
        self.table = table
        # The id is unique, so keys after it never matter; without it, it breaks ties last.
        ids = [i for i, k in enumerate(keys) if k.field == "id"]
        self.keys = keys[:ids[0]] if ids else list(keys)
        self.id_key = keys[ids[0]] if ids else SortKey("id", not self.keys)
        # parse(field, value) turns a cursor value back into the column's type, or raises.
        self.parse = parse

    def order_by(self) -> list[ColumnElement]:
        clauses = []
        for key in self.keys:
            column = self.table.c[key.field]
            clauses.append(column.desc().nulls_first() if key.descending else column.asc().nulls_last())
        column = self.table.c.id
        clauses.append(column.desc() if self.id_key.descending else column.asc())
        return clauses

    def row_values(self, row: Any) -> list[Any]:
        return [row[k.field] for k in self.keys] + [row["id"]]

    @staticmethod
    def _boolean_step(column, value: bool, descending: bool) -> tuple[ColumnElement, ColumnElement]:
        if descending:  # true, false, then nothing: nulls came first
            return column.is_(value), (column.is_(False) if value else false())
        return column.is_(value), or_(column.is_(True) if not value else false(), column.is_(None))

    def after(self, cursor: str) -> ColumnElement:
        values = decode_cursor(cursor)
        if len(values) != len(self.keys) + 1 or not isinstance(values[-1], int) or isinstance(values[-1], bool):
            raise FilterError("the page cursor does not match the sort; start from the first page")
        if self.parse is not None:
            try:
                values = [v if v is None else self.parse(k.field, v) for k, v in zip(self.keys, values)] + values[-1:]
            except (ValueError, TypeError):
                raise FilterError("the page cursor does not match the sort; start from the first page") from None
        # Lexicographic "comes after": for each position, all earlier keys equal and this one later.
        steps: list[tuple[ColumnElement, ColumnElement]] = []  # (equal, later)
        for key, value in zip(self.keys, values):
            column = self.table.c[key.field]
            if isinstance(value, bool):  # SQL booleans have no "<": false < true spelled out
                steps.append(self._boolean_step(column, value, key.descending))
            elif key.descending:
                if value is None:  # nulls come first; every value comes after them
                    steps.append((column.is_(None), column.is_not(None)))
                else:
                    steps.append((column == value, column < value))
            elif value is None:  # nulls come last; nothing but other nulls after them
                steps.append((column.is_(None), false()))
            else:
                steps.append((column == value, or_(column > value, column.is_(None))))
        id_column = self.table.c.id
        last_id = values[-1]
        steps.append((false(), id_column < last_id if self.id_key.descending else id_column > last_id))
        options = []
        for i, (_, later) in enumerate(steps):
            options.append(and_(*[eq for eq, _ in steps[:i]], later))
        return or_(*options)
