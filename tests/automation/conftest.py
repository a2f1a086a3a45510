"""Fixtures for the automation tests: the mini app with rules written into a copy of it."""
from __future__ import annotations

import itertools

import pytest

from tests.bundle_edit import EditableBundle
from tests.support import Clock

from .support import START, Harness, build_harness


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def make_app(db_url, tmp_path, mini_bundle, clock):
    """``make_app(*rules, edit=None)``: the mini app plus these rule documents (and whatever
    ``edit(bundle)`` changes), installed on ``db_url`` (SQLite and PostgreSQL)."""
    built: list[Harness] = []
    serial = itertools.count()

    def make(*rules: dict, edit=None, gateways=None) -> Harness:
        bundle = EditableBundle(mini_bundle, tmp_path / f"bundle{next(serial)}")
        for doc in rules:
            bundle.write(f"rules/{doc['name']}.json", doc)
        if edit is not None:
            edit(bundle)
        harness = build_harness(db_url, tmp_path, bundle.root, clock, gateways)
        built.append(harness)
        return harness

    yield make
    for harness in built:
        harness.sf.close()
