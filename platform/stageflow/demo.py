"""The demo database: the three sample apps with their seed records, and administrators.

``stageflow demo`` loads the apps and ``stageflow create-admin`` adds the administrator; both are
safe to run again. Seeds load only into an app's first revision, so a second demo run adds no
duplicate records, and an existing administrator keeps its password unless asked to reset it.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from .automation.worker import Automation
from .data.seed import load_seed
from .metadata import read_bundle, sample_app_paths
from .runtime import Stageflow
from .security.users import set_admin
from .storage import platform_tables as st

ADMIN = "admin"


@dataclass(frozen=True)
class DemoApp:
    app: str
    revision: int
    records_added: int


@dataclass(frozen=True)
class AdminOutcome:
    """What ``ensure_admin`` did: ``password`` is the one set now, None when nothing changed."""

    username: str
    created: bool
    password: str | None
    is_admin: bool


def load_sample_apps(engine: Stageflow, actor: str = "demo") -> Iterator[DemoApp]:
    for path in sample_app_paths():
        installed_before = set(engine.catalog.names())
        result = engine.install(path, actor=actor)
        added = 0
        if result.app not in installed_before:
            counts = load_seed(engine.records, engine.catalog.get(result.app).spec, read_bundle(path, []).seed)
            added = sum(counts.values())
        yield DemoApp(result.app, result.revision, added)


def settle_events(engine: Stageflow, rounds: int = 1000) -> int:
    """Pass the seeds' queued events through the automation now (seeds run no rules), so a server
    started next begins idle instead of writing a backlog while its first users log in."""
    return Automation(engine).run_until_idle(rounds)


def ensure_admin(engine: Stageflow, password: str | None = None, username: str = ADMIN,
                 reset: bool = False, email: str | None = None) -> AdminOutcome:
    """Create the administrator ``username`` if it does not exist; leave an existing user alone.

    The new administrator gets ``password``, or a random one when None. With ``reset`` an existing
    user gets the password too and becomes an active administrator. Raises ValueError for a
    password that is too short.
    """
    with engine.db.begin() as conn:
        found = conn.execute(select(st.users.c.is_admin, st.users.c.active)
                             .where(st.users.c.username == username)).first()
        if found is not None and not reset:
            return AdminOutcome(username, created=False, password=None, is_admin=found.is_admin and found.active)
        password = password or secrets.token_urlsafe(12)
        created = set_admin(conn, username, password, email,
                            full_name="Administrator" if username == ADMIN else None)
    return AdminOutcome(username, created=created, password=password, is_admin=True)
