"""Fixtures for the it_service requirement tests.

``it``      the app with its demo data on SQLite. Installing the app and loading the 920 seed
            records takes seconds, so it is done once per session into a template database file
            that every test copies.
``it_db``   the app without demo data on ``db_url`` (SQLite and PostgreSQL), for the tests that
            run on both backends.
``seeded``  the template: ``raw`` still has the seed's 920 outbox events pending (the automation
            going over them takes ~15 s, see ``test_it_rules_do_not_fire_on_the_seed_import``);
            ``path`` has them marked processed, which is all the dispatcher does with events of
            an import without automation (BK33).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from stageflow.data.seed import load_seed
from stageflow.metadata import read_bundle
from stageflow.runtime import create_stageflow
from stageflow.storage import platform_tables as st
from stageflow.storage.database import write_transaction
from tests.support import Clock

from .support import APP, BUNDLE, START, ItApp


@dataclass(frozen=True)
class SeededTemplate:
    path: Path
    raw: Path
    counts: dict[str, int]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory) -> SeededTemplate:
    folder = tmp_path_factory.mktemp("it_service_template")
    raw, path = folder / "raw.db", folder / "template.db"
    sf = create_stageflow(f"sqlite:///{raw}", files_dir=folder / "files", clock=Clock(START))
    try:
        sf.install(BUNDLE)
        counts = load_seed(sf.records, sf.catalog.get(APP).spec, read_bundle(BUNDLE, []).seed)
    finally:
        sf.close()
    shutil.copyfile(raw, path)
    sf = create_stageflow(f"sqlite:///{path}", files_dir=folder / "files", clock=Clock(START))
    try:
        with write_transaction(sf.db) as conn:
            pending = conn.execute(select(st.outbox.c.payload).where(st.outbox.c.processed_at.is_(None))).scalars()
            assert all(json.loads(p)["automation"] is False for p in pending)
            conn.execute(st.outbox.update().where(st.outbox.c.processed_at.is_(None)).values(processed_at=START))
    finally:
        sf.close()
    return SeededTemplate(path, raw, counts)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def it(seeded, tmp_path, clock):
    path = tmp_path / "it.db"
    shutil.copyfile(seeded.path, path)
    sf = create_stageflow(f"sqlite:///{path}", files_dir=tmp_path / "files", clock=clock)
    yield ItApp(sf, clock)
    sf.close()


@pytest.fixture
def it_db(db_url, tmp_path, clock):
    sf = create_stageflow(db_url, files_dir=tmp_path / "files", clock=clock)
    sf.install(BUNDLE)
    yield ItApp(sf, clock)
    sf.close()
