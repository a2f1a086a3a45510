"""Actions that shape the run itself: wait, then carry on with the rest (PL08)."""
from __future__ import annotations

import json

from ...storage.platform_tables import timers
from ..triggers import UNITS, add_offset
from .base import ActionKind, ActionRun, ActionStop


class Wait(ActionKind):
    """``{"kind": "wait", "amount": 1, "unit": "minutes"}``: the actions after it run later, from
    a durable timer (NS02: record a target action one minute after it is set)."""

    kind = "wait"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["amount", "unit"],
                      "properties": {"kind": {}, "amount": {"type": "integer", "minimum": 1},
                                     "unit": {"enum": list(UNITS)}}}

    def run(self, action, run: ActionRun) -> str:
        due = add_offset(run.now, action["amount"], action["unit"])
        run.conn.execute(timers.insert(), {
            "app": run.app.name, "entity": run.entity.name, "record_id": run.record_id, "rule": run.rule.name,
            "purpose": "resume", "resume_at": run.index + 1, "due_at": due, "status": "pending",
            "cause": json.dumps({"source": run.source}), "created_at": run.now})
        raise ActionStop(f"waiting until {due.isoformat()}Z")
