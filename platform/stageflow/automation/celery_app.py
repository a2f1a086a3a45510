"""Celery on Redis: the broker is only a doorbell; the outbox and timer tables are the truth.

Each ``stageflow.step`` task runs one bounded round of the same steps as the in-process worker;
beat rings every second so due timers fire even when nobody writes. A task lost with a killed
worker loses nothing: the rows stay pending. The app is assembled by the composition root
(:mod:`stageflow.celery_worker`), which hands it the way to build the engine: this layer never
reaches up to the runtime.
"""
from __future__ import annotations

from collections.abc import Callable

from celery import Celery

from .worker import Automation

STEP_TASK = "stageflow.step"


def build_celery_app(broker_url: str, automation_factory: Callable[[], Automation] | None = None) -> Celery:
    """A Celery app on ``broker_url``. With ``automation_factory`` it also runs the step task
    (a worker); without, it can only ring (a web or CLI process)."""
    app = Celery("stageflow", broker=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        beat_schedule={"stageflow-tick": {"task": STEP_TASK, "schedule": 1.0}},
    )
    if automation_factory is None:
        return app
    built: list[Automation] = []  # one engine per worker process, built on first use

    @app.task(name=STEP_TASK)
    def step() -> int:
        if not built:
            built.append(automation_factory())
        automation = built[0]
        automation.sf.catalog.refresh()
        return automation.run_until_idle(rounds=20)

    return app


def ring(celery_app: Celery) -> None:
    """Wake a worker after a write; failures are harmless (beat rings every second anyway)."""
    try:
        celery_app.send_task(STEP_TASK)
    except Exception:  # noqa: BLE001 - the doorbell is best effort by design
        pass
