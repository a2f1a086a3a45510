"""Helpers shared by the record-service tests: their start time and raw reads of system tables."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from stageflow.storage import platform_tables as st

START = dt.datetime(2026, 3, 2, 9, 0, 0)


def iso(moment: dt.datetime) -> str:
    """A naive UTC datetime as the API shows it."""
    return moment.isoformat() + "Z"


def outbox(sf, record_id: int | None = None, entity: str = "deal") -> list[dict[str, Any]]:
    """Outbox rows in order, payload decoded."""
    query = select(st.outbox).where(st.outbox.c.entity == entity).order_by(st.outbox.c.id)
    if record_id is not None:
        query = query.where(st.outbox.c.record_id == record_id)
    with sf.db.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**row, "payload": json.loads(row["payload"])} for row in rows]


def history(sf, record_id: int, table: str = "mini__deal") -> list[dict[str, Any]]:
    """Raw field-history rows of one record in order, old/new decoded."""
    h = st.history
    with sf.db.connect() as conn:
        rows = conn.execute(select(h).where(h.c.entity_table == table, h.c.record_id == record_id)
                            .order_by(h.c.id)).mappings().all()
    return [{**row, "old": json.loads(row["old_value"]), "new": json.loads(row["new_value"])} for row in rows]


def count_rows(sf, table_name: str) -> int:
    """Rows of any table, platform or app (``mini__deal``, ``sf_outbox``...)."""
    with sf.db.connect() as conn:
        if table_name in st.platform_metadata.tables:
            table = st.platform_metadata.tables[table_name]
        else:
            table = sf.catalog.get("mini").tables.metadata.tables[table_name]
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def footprint(sf) -> dict[str, int]:
    """Row counts of everything a record write may touch."""
    names = ["mini__deal", "mini__deal__creditors", "mini__client", "mini__city",
             "sf_outbox", "sf_history", "sf_record_member"]
    return {name: count_rows(sf, name) for name in names}
