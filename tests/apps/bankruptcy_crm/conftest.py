"""Fixtures of the bankruptcy CRM tests.

``crm`` is one installation per test module on SQLite (installing the app takes seconds, so the
tests of a module share it): every test works on deals of its own and reads back only what
concerns them (their record ids, their phone numbers), and the module's clock only moves
forward. ``fresh_crm`` is a new installation on ``db_url`` (SQLite and PostgreSQL) for the tests
that run on both backends.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Clock

from .support import START, Crm, build


@pytest.fixture(scope="session")
def installed_sqlite(tmp_path_factory) -> Path:
    """A SQLite file with the app installed, copied by the SQLite fixtures (installing takes seconds)."""
    root = tmp_path_factory.mktemp("bankruptcy_crm_installed")
    build(f"sqlite:///{root}/stageflow.db", root / "files", Clock(START)).sf.close()
    return root / "stageflow.db"


@pytest.fixture(scope="module")
def crm(tmp_path_factory, installed_sqlite) -> Crm:
    """The app on SQLite, shared by the tests of one module."""
    root = tmp_path_factory.mktemp("bankruptcy_crm")
    installed = build(f"sqlite:///{root}/stageflow.db", root / "files", Clock(START), installed_sqlite)
    yield installed
    installed.sf.close()


@pytest.fixture
def fresh_crm(db_url, tmp_path, installed_sqlite) -> Crm:
    """A new installation on ``db_url``: the test runs once on SQLite and once on PostgreSQL."""
    installed = build(db_url, tmp_path / "files", Clock(START), installed_sqlite)
    yield installed
    installed.sf.close()
