"""The demo database: the three sample apps with their seed records and an administrator.

Used by ``stageflow demo`` and by the screenshot tool. Seeds load only into an app's first
revision, so running the demo again on the same database adds no duplicate records.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from .data.seed import load_seed
from .metadata import read_bundle, sample_app_paths
from .runtime import Stageflow
from .security.users import set_admin

ADMIN = "admin"


@dataclass(frozen=True)
class DemoApp:
    app: str
    revision: int
    records_added: int


def load_sample_apps(engine: Stageflow, actor: str = "demo") -> Iterator[DemoApp]:
    for path in sample_app_paths():
        installed_before = set(engine.catalog.names())
        result = engine.install(path, actor=actor)
        added = 0
        if result.app not in installed_before:
            counts = load_seed(engine.records, engine.catalog.get(result.app).spec, read_bundle(path, []).seed)
            added = sum(counts.values())
        yield DemoApp(result.app, result.revision, added)


def ensure_admin(engine: Stageflow, password: str | None = None) -> str:
    """Give the ``admin`` user ``password`` (a random one when None) and return it."""
    password = password or secrets.token_urlsafe(9)
    with engine.db.begin() as conn:
        set_admin(conn, ADMIN, password, full_name="Administrator")
    return password
