"""Fixtures for the record-service tests: an engine with the mini app on each backend."""
from __future__ import annotations

import pytest

from stageflow.runtime import create_stageflow
from tests.support import Clock

from .support import START


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def sf(db_url, tmp_path, mini_bundle, clock):
    """A Stageflow on ``db_url`` (SQLite and PostgreSQL) with the mini app installed."""
    engine = create_stageflow(db_url, files_dir=tmp_path / "files", clock=clock)
    engine.install(mini_bundle)
    yield engine
    engine.close()
