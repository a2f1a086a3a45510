"""Celery on Redis: the broker is only a doorbell; the outbox and timer tables are the truth.

``STAGEFLOW_BROKER_URL`` (e.g. redis://127.0.0.1:6379/0) and ``STAGEFLOW_DATABASE_URL`` configure
a worker: ``celery -A stageflow.automation.celery_app worker --beat``. Each task runs one bounded
round of the same steps as the in-process worker; beat rings every second so due timers fire
even when nobody writes. A task lost with a killed worker loses nothing: the rows stay pending.
"""
from __future__ import annotations

import os

from celery import Celery

from ..runtime import create_stageflow
from .worker import Automation

BROKER_URL = os.environ.get("STAGEFLOW_BROKER_URL", "redis://127.0.0.1:6379/0")

app = Celery("stageflow", broker=BROKER_URL)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    beat_schedule={"stageflow-tick": {"task": "stageflow.step", "schedule": 1.0}},
)

_automation: Automation | None = None


def automation() -> Automation:
    global _automation  # one engine per worker process, built on first use
    if _automation is None:
        _automation = Automation(create_stageflow(os.environ.get("STAGEFLOW_DATABASE_URL")))
    return _automation


@app.task(name="stageflow.step")
def step() -> int:
    engine = automation()
    engine.sf.catalog.refresh()
    return engine.run_until_idle(rounds=20)


def ring(celery_app: Celery = app) -> None:
    """Wake a worker after a write; failures are harmless (beat rings every second anyway)."""
    try:
        celery_app.send_task("stageflow.step")
    except Exception:  # noqa: BLE001 - the doorbell is best effort by design
        pass
