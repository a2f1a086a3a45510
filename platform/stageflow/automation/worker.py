"""Running the automation: an in-process worker thread (``make demo``, tests, small installs)
and the doorbell that wakes it. Celery workers (``celery_app``) run the same loop steps."""
from __future__ import annotations

import logging
import threading

from ..storage.database import write_transaction
from .dispatcher import Dispatcher
from .messages import MessageSender, default_gateways
from .schedules import Schedules

log = logging.getLogger(__name__)


class Automation:
    """The automation of one Stageflow engine: dispatcher, timers and message sending."""

    def __init__(self, stageflow, gateways=None):
        self.sf = stageflow
        self.dispatcher = Dispatcher(stageflow)
        self.sender = MessageSender(stageflow.db, gateways or default_gateways(), stageflow.clock)
        self._schedules_checked = None

    SCHEDULE_CHECK = 30  # seconds between checks that every schedule rule has its next run planned

    def step(self) -> int:
        """One round: pending events, due timers, due messages. Returns the work done."""
        now = self.sf.clock()
        if self._schedules_checked is None or (now - self._schedules_checked).total_seconds() >= self.SCHEDULE_CHECK:
            self.ensure_schedules()
        return self.dispatcher.drain(200) + self.dispatcher.sweep(200) + self.sender.send_due(50)

    def ensure_schedules(self) -> int:
        self._schedules_checked = self.sf.clock()
        with write_transaction(self.sf.db) as conn:
            return Schedules(self.dispatcher.engine).ensure(conn, self._schedules_checked)

    def run_until_idle(self, rounds: int = 100) -> int:
        total = 0
        for _ in range(rounds):
            done = self.step()
            total += done
            if not done:
                break
        return total


class InProcessWorker:
    """A daemon thread looping over :meth:`Automation.step`; a doorbell ring wakes it at once,
    otherwise it polls every ``interval`` seconds (so a lost ring only delays, never loses)."""

    def __init__(self, automation: Automation, interval: float = 1.0):
        self.automation, self.interval = automation, interval
        self.doorbell = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ring(self) -> None:
        self.doorbell.set()

    def start(self) -> InProcessWorker:
        self._thread = threading.Thread(target=self._loop, name="stageflow-automation", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self.doorbell.set()
        if self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.automation.step()
            except Exception:  # noqa: BLE001 - keep the worker alive; the database keeps the work
                log.exception("automation step failed; retrying")
                busy = 0
            if not busy:
                self.doorbell.wait(self.interval)
                self.doorbell.clear()
