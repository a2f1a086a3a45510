"""What every test of an installed app does with its automation: run it, let time pass, call a
webhook rule, and read the rule run log back."""
from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import select

from stageflow.automation.schedules import Schedules
from stageflow.automation.worker import Automation
from stageflow.core.registry import Registry
from stageflow.storage import platform_tables as st

from .clock import Clock
from .gateways import recording_gateways


class AutomationDriver:
    """One engine, its in-process automation on recording gateways, and readers of what ran.
    Each app's harness names its app and adds how its people act and what its tests read."""

    app: ClassVar[str]

    def __init__(self, sf, clock: Clock, gateways: Registry | None = None):
        self.sf, self.clock = sf, clock
        self.gateways = gateways or recording_gateways()
        self.automation = Automation(sf, gateways=self.gateways)

    @property
    def engine(self):
        return self.automation.dispatcher.engine

    def run(self) -> int:
        """The automation catches up with everything due at the clock's time."""
        return self.automation.run_until_idle()

    def later(self, **delta: float) -> int:
        """Time passes, then the automation catches up (due timers fire)."""
        self.clock.advance(**delta)
        return self.run()

    def webhook(self, rule: str, payload: dict[str, Any]) -> str:
        """An inbound call to a webhook rule's secret URL (a new secret each call), the way the
        web endpoint makes it."""
        schedules = Schedules(self.engine)
        return schedules.receive(self.app, rule, schedules.webhook_token(self.app, rule), payload)

    def _rows(self, query) -> list[dict[str, Any]]:
        with self.sf.db.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def runs(self, rule: str | None = None, record_id: int | None = None) -> list[dict[str, Any]]:
        """The rule run log (``sf_rule_run``), oldest first."""
        r = st.rule_runs
        query = select(r).order_by(r.c.id)
        if rule:
            query = query.where(r.c.rule == rule)
        if record_id is not None:
            query = query.where(r.c.record_id == record_id)
        return self._rows(query)

    def outcomes(self, rule: str | None = None, record_id: int | None = None) -> list[str]:
        return [r["outcome"] for r in self.runs(rule, record_id)]
