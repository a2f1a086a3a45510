"""CSV and XLSX export of a list's current filter, read page by page through the RecordService.

Reading through the service means record rules and field rules apply exactly as on screen: a
field hidden from the user is absent from the file. Text that a spreadsheet would run as a
formula (starting with ``= + - @`` or a tab/carriage return) is prefixed with a quote.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook

from ...security import Actor
from .list_columns import CellText, Column
from .list_query import ListQuery

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_PAGE = 500
MAX_EXPORT_ROWS = 100_000


def safe_text(text: str) -> str:
    """``text`` that a spreadsheet shows as text, never evaluates."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_rows(records, actor: Actor, app: str, entity: str, query: ListQuery,
                cells: CellText | None = None, columns: Sequence[Column] = ()) -> Iterator[dict[str, Any]]:
    """Every record of the filter in the list's order (up to MAX_EXPORT_ROWS), page by page;
    with ``cells``, the titles of linked records are read page by page too."""
    cursor, seen = None, 0
    while seen < MAX_EXPORT_ROWS:
        page = records.list(actor, app, entity, where=query.where, search=query.search, sort=query.sort,
                            limit=min(EXPORT_PAGE, MAX_EXPORT_ROWS - seen), after=cursor)
        if cells is not None:
            cells.load_link_titles(records, columns, page.items)
        yield from page.items
        seen += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return


def _number(column: Column, value: Any) -> int | float | Decimal | None:
    if not column.numeric or value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def cell_values(columns: Sequence[Column], cells: CellText, item: dict[str, Any]) -> list[Any]:
    """One exported row: the id, then numbers as numbers and everything else as safe text."""
    row: list[Any] = [item["id"]]
    for column in columns:
        value = item.get(column.name)
        number = _number(column, value)
        row.append(number if number is not None else safe_text(cells.text(column, value)))
    return row


def header(columns: Sequence[Column]) -> list[str]:
    return ["ID", *(safe_text(c.label) for c in columns)]


def to_csv(columns: Sequence[Column], cells: CellText, items) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(columns))
    for item in items:
        writer.writerow(cell_values(columns, cells, item))
    # The byte order mark makes Excel read the file as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[Column], cells: CellText, items, title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append(header(columns))
    for item in items:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in cell_values(columns, cells, item)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\").strip()
    return (cleaned or "Export")[:31]
