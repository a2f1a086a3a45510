"""Fixtures: the production app on SQLite (copied from a database installed once per session)
or on both backends through ``db_url``."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Clock

from .support import START, Plant, copy_sqlite, install


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def _template(tmp_path_factory, seed: bool) -> Path:
    """A closed SQLite database with the app installed (and seeded), ready to copy."""
    folder = tmp_path_factory.mktemp("production_seeded" if seed else "production_bare")
    sf = install(f"sqlite:///{folder}/stageflow.db", folder / "files", Clock(START), seed)
    sf.close()
    return folder / "stageflow.db"


@pytest.fixture(scope="session")
def _bare_template(tmp_path_factory) -> Path:
    return _template(tmp_path_factory, seed=False)


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory) -> Path:
    return _template(tmp_path_factory, seed=True)


def _plant_from_template(template: Path, tmp_path: Path, clock: Clock):
    from stageflow.runtime import create_stageflow

    target = tmp_path / "stageflow.db"
    copy_sqlite(template, target)
    return Plant(create_stageflow(f"sqlite:///{target}", files_dir=tmp_path / "files", clock=clock), clock)


@pytest.fixture
def plant(_bare_template, tmp_path, clock):
    """The app on SQLite, no demo data."""
    made = _plant_from_template(_bare_template, tmp_path, clock)
    yield made
    made.sf.close()


@pytest.fixture
def seeded_plant(_seeded_template, tmp_path, clock):
    """The app on SQLite with its demo data (loaded with automation off)."""
    made = _plant_from_template(_seeded_template, tmp_path, clock)
    yield made
    made.sf.close()


@pytest.fixture
def any_plant(db_url, tmp_path, clock, request):
    """The app without demo data, once on SQLite and once on PostgreSQL."""
    if db_url.startswith("sqlite"):
        made = _plant_from_template(request.getfixturevalue("_bare_template"), tmp_path, clock)
    else:
        made = Plant(install(db_url, tmp_path / "files", clock, seed=False), clock)
    yield made
    made.sf.close()
