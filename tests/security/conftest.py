"""Fixtures for the permission tests: the mini app, plain and with a richer org around it."""
from __future__ import annotations

import pytest

from stageflow.runtime import create_stageflow
from tests.bundle_edit import EditableBundle


@pytest.fixture
def sf(db_url, tmp_path, mini_bundle):
    """A Stageflow on ``db_url`` (SQLite and PostgreSQL) with the unchanged mini app installed."""
    engine = create_stageflow(db_url, files_dir=tmp_path / "files")
    engine.install(mini_bundle)
    yield engine
    engine.close()


def _richer_org(bundle: EditableBundle) -> None:
    """olga heads the head office with the sales_head role (sees the whole tree); sam in support
    sees deals by their department field; vera has a role without deals or handbooks; nina has no
    role at all; passport is searchable, so search has a hidden field to skip."""
    def org(doc):
        doc["users"] += [
            {"username": "olga", "full_name": "Olga Director", "roles": ["sales_head"]},
            {"username": "sam", "full_name": "Sam Support", "roles": ["support_desk"]},
            {"username": "vera", "full_name": "Vera Clerk", "roles": ["clerk"]},
            {"username": "nina", "full_name": "Nina Nobody"},
        ]
        doc["departments"][0]["head"] = "olga"
        doc["departments"][2]["members"].append("sam")
    bundle.edit("org.json", org)
    bundle.write("roles/clerk.json", {"schema_version": 1, "name": "clerk", "label": "Clerk",
                                      "entities": {"client": {"rights": ["read"]}}})
    bundle.write("roles/support_desk.json", {
        "schema_version": 1, "name": "support_desk", "label": "Support desk",
        "entities": {"deal": {"rights": ["read", "update"],
                              "records": [{"scope": "department", "field": "department"}]}}})

    def searchable_passport(doc):
        next(f for f in doc["fields"] if f["name"] == "passport")["searchable"] = True
    bundle.edit("entities/deal.json", searchable_passport)


@pytest.fixture
def org_sf(db_url, tmp_path, mini_bundle):
    """The mini app with the richer org of :func:`_richer_org`."""
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    _richer_org(bundle)
    engine = create_stageflow(db_url, files_dir=tmp_path / "files")
    engine.install(bundle.root)
    yield engine
    engine.close()
