"""The engine object: one database, one set of registries, the installed apps and services.

Built by :func:`create_stageflow`; nothing here lives in module globals, so tests and
processes can hold several engines side by side.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from .automation.actions import default_actions
from .automation.triggers import default_triggers
from .core.conditions import default_operators
from .core.fields import default_field_kinds
from .core.kinds import Kinds
from .data import AppCatalog, FileStore, RecordService, default_stage_gates, open_database
from .data.accounts import UserAccounts
from .data.attachments import AttachmentService
from .data.comments import CommentService
from .data.constraints import default_constraints
from .data.drafts import DraftService
from .data.installer import AppInstaller, InstallResult
from .data.money_migration import convert_legacy_decimals_at_start
from .data.notifications import Inbox
from .data.org_directory import OrgDirectory
from .data.records import utcnow
from .data.user_settings import UserSettings
from .data.versions import VersionService
from .metadata import SchemaSet
from .security import SYSTEM, Actor, load_actor
from .storage.database import connection_scope, read_connection, write_transaction
from .storage.ddl import SyncReport
from .storage.platform_schema import ensure_platform_schema, migrate_platform_tables

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
        self.drafts = DraftService(db, kinds, self.schemas, self.catalog, self.installer, clock)
        self.versions = VersionService(db, self.catalog, self.installer)
        # Services for people's screens and the API; each carries its own access rules.
        self.comments = CommentService(db, self.records, self.files, clock)
        self.attachments = AttachmentService(self.catalog, kinds, self.records, self.files, self.comments, clock)
        self.inbox = Inbox(db, clock)
        self.settings = UserSettings(db, clock)
        self.org = OrgDirectory(db)
        self.accounts = UserAccounts(db)

    def init_db(self, migrate: bool | None = None) -> None:
        """Check the platform's own tables against this release (a digest read; see
        :func:`~stageflow.storage.platform_schema.ensure_platform_schema` for when it migrates)
        and load the installed apps."""
        ensure_platform_schema(self.db, migrate)
        self.catalog.refresh()
        # A SQLite database of an earlier release holds money as binary floats: made exact once.
        convert_legacy_decimals_at_start(self.db, [table for name in self.catalog.names()
                                                   for table in self.catalog.get(name).tables.metadata.sorted_tables])

    def migrate(self) -> SyncReport:
        """Bring the platform's own tables to this release, whatever the recorded digest says."""
        with write_transaction(self.db) as conn:
            report = migrate_platform_tables(conn)
        self.catalog.refresh()
        return report

    def start_automation(self):
        """Run the automation: with ``STAGEFLOW_BROKER_URL`` the Celery workers do it and writes
        ring them; otherwise an in-process worker thread (returned, so it can be stopped)."""
        broker = os.environ.get("STAGEFLOW_BROKER_URL")
        if broker:
            # Celery (with kombu) costs ~0.1 s to import: only processes that ring a broker pay it.
            from .automation.celery_app import build_celery_app, ring

            doorbell = build_celery_app(broker)
            self.records.after_commit.append(lambda: ring(doorbell))
            return None
        # The worker's modules (SMTP, the dispatcher's ORM aliases) load only in processes that run it.
        from .automation.worker import Automation, InProcessWorker

        worker = InProcessWorker(Automation(self)).start()
        self.records.after_commit.append(worker.ring)
        return worker

    def install(self, source, actor: str | None = None) -> InstallResult:
        return self.installer.install(source, actor)

    def request_scope(self):
        """A context in which reads share one pooled connection (a web request's lifetime)."""
        return connection_scope(self.db)

    def ping(self) -> None:
        """Ask the database to answer; raises when it cannot."""
        with read_connection(self.db) as conn:
            conn.execute(text("SELECT 1"))

    def actor(self, username: str) -> Actor:
        with read_connection(self.db) as conn:
            return load_actor(conn, username)

    @property
    def system(self) -> Actor:
        return SYSTEM

    def close(self) -> None:
        self.db.dispose()


def create_stageflow(url: str | None = None, *, files_dir: Path | str | None = None,
                     clock: Callable[[], dt.datetime] = utcnow, kinds: Kinds | None = None,
                     migrate: bool | None = None) -> Stageflow:
    """The engine on ``url``. ``migrate`` says whether a start may migrate the platform tables
    when their digest differs: None (default) on SQLite only, True always, False never."""
    db = open_database(url)
    engine = Stageflow(db, kinds or default_kinds(), Path(files_dir) if files_dir else default_files_dir(db), clock)
    engine.init_db(migrate)
    return engine
