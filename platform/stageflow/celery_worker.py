"""The Celery worker's composition root: ``celery -A stageflow.celery_worker worker --beat``.

``STAGEFLOW_BROKER_URL`` (e.g. redis://127.0.0.1:6379/0) and ``STAGEFLOW_DATABASE_URL`` configure
it; ``stageflow worker`` starts the same app with beat embedded.
"""
from __future__ import annotations

import os

from .automation.celery_app import build_celery_app
from .automation.worker import Automation
from .runtime import DEFAULT_BROKER_URL, create_stageflow


def _automation() -> Automation:
    return Automation(create_stageflow(os.environ.get("STAGEFLOW_DATABASE_URL")))


app = build_celery_app(os.environ.get("STAGEFLOW_BROKER_URL", DEFAULT_BROKER_URL), _automation)
