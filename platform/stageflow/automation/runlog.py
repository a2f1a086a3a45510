"""Reading the rule run log (PL10): why each rule fired, was skipped or failed, per record."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ..core.specs import Right
from ..security import AccessDenied
from ..storage.platform_tables import rule_runs


def run_log(stageflow, actor, app: str, entity: str, record_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The runs of rules on one record, newest first: for administrators of the app."""
    ctx = stageflow.catalog.context(app, entity)
    policy = ctx.policy(actor)
    if not policy.unrestricted:
        raise AccessDenied("the automation log is for administrators")
    policy.require(Right.READ)
    with stageflow.db.connect() as conn:
        return runs_of(conn, app, entity, record_id, limit)


def runs_of(conn: Connection, app: str, entity: str, record_id: int, limit: int = 200) -> list[dict[str, Any]]:
    r = rule_runs
    rows = conn.execute(select(r).where(r.c.app == app, r.c.entity == entity, r.c.record_id == record_id)
                        .order_by(r.c.id.desc()).limit(limit)).mappings().all()
    return [{"rule": row["rule"], "outcome": row["outcome"], "reason": row["reason"], "source": row["source"],
             "at": row["created_at"].isoformat() + "Z"} for row in rows]
