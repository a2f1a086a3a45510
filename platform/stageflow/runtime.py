"""The engine object: one database, one set of registries, the installed apps and services.

Built by :func:`create_stageflow`; nothing here lives in module globals, so tests and
processes can hold several engines side by side.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from .automation.actions import default_actions
from .automation.celery_app import build_celery_app, ring
from .automation.triggers import default_triggers
from .automation.worker import Automation, InProcessWorker
from .core.conditions import default_operators
from .core.fields import default_field_kinds
from .core.kinds import Kinds
from .data import AppCatalog, FileStore, RecordService, SchemaSync, default_stage_gates, open_database
from .data.constraints import default_constraints
from .data.installer import AppInstaller, InstallResult
from .data.records import utcnow
from .metadata import SchemaSet
from .security import SYSTEM, Actor, load_actor
from .storage.database import read_connection, write_transaction

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"


def default_kinds() -> Kinds:
    """Every kind the platform ships: field kinds, operators, triggers, actions, constraints."""
    return Kinds(fields=default_field_kinds(), operators=default_operators(),
                 triggers=default_triggers(), actions=default_actions(), constraints=default_constraints())


def default_files_dir(db: Engine) -> Path:
    if os.environ.get("STAGEFLOW_FILES_DIR"):
        return Path(os.environ["STAGEFLOW_FILES_DIR"])
    if db.dialect.name == "sqlite" and db.url.database not in (None, "", ":memory:"):
        return Path(db.url.database).with_suffix(".files")
    return Path("stageflow-files").resolve()


class Stageflow:
    def __init__(self, db: Engine, kinds: Kinds, files_dir: Path,
                 clock: Callable[[], dt.datetime] = utcnow):
        self.db, self.kinds, self.clock = db, kinds, clock
        self.schemas = SchemaSet()
        self.gates = default_stage_gates()
        self.catalog = AppCatalog(db, kinds, self.schemas)
        self.files = FileStore(db, files_dir)
        self.records = RecordService(db, self.catalog, self.gates, clock)
        self.installer = AppInstaller(db, kinds, self.schemas, self.catalog, clock)

    def init_db(self) -> None:
        """Create the platform's own tables (idempotent) and load the installed apps."""
        with write_transaction(self.db) as conn:
            SchemaSync(self.kinds).sync_platform_tables(conn)
        self.catalog.refresh()

    def start_automation(self):
        """Run the automation: with ``STAGEFLOW_BROKER_URL`` the Celery workers do it and writes
        ring them; otherwise an in-process worker thread (returned, so it can be stopped)."""
        broker = os.environ.get("STAGEFLOW_BROKER_URL")
        if broker:
            doorbell = build_celery_app(broker)
            self.records.after_commit.append(lambda: ring(doorbell))
            return None
        worker = InProcessWorker(Automation(self)).start()
        self.records.after_commit.append(worker.ring)
        return worker

    def install(self, source, actor: str | None = None) -> InstallResult:
        return self.installer.install(source, actor)

    def actor(self, username: str) -> Actor:
        with read_connection(self.db) as conn:
            return load_actor(conn, username)

    @property
    def system(self) -> Actor:
        return SYSTEM

    def close(self) -> None:
        self.db.dispose()


def create_stageflow(url: str | None = None, *, files_dir: Path | str | None = None,
                     clock: Callable[[], dt.datetime] = utcnow, kinds: Kinds | None = None) -> Stageflow:
    db = open_database(url)
    engine = Stageflow(db, kinds or default_kinds(), Path(files_dir) if files_dir else default_files_dir(db), clock)
    engine.init_db()
    return engine
