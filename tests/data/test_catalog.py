"""The app catalog: every load that changes an app is a new stored revision and the previous
ones are kept; stored revisions that no longer validate are reported, not fatal."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select, text, update

from stageflow.runtime import create_stageflow
from stageflow.security.users import set_admin
from stageflow.storage import platform_tables as st
from stageflow.storage.platform_schema import PlatformSchemaOutdated, schema_version
from stageflow.web import create_app
from tests.bundle_edit import EditableBundle
from tests.web.conftest import PASSWORD, Web


def _revisions(sf, app: str) -> list:
    with sf.db.connect() as conn:
        return conn.execute(select(st.app_revisions.c.revision, st.app_revisions.c.version,
                                   st.app_revisions.c.documents)
                            .where(st.app_revisions.c.app == app).order_by(st.app_revisions.c.revision)).all()


def _client_fields(documents_json: str) -> list[str]:
    doc = next(d for d in json.loads(documents_json) if d["path"] == "entities/client.json")
    return [f["name"] for f in doc["data"]["fields"]]


def test_pl21_each_changed_load_is_a_new_revision_and_the_previous_ones_are_kept(db_url, mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    try:
        assert sf.install(bundle.root).revision == 1
        first = _revisions(sf, "mini")
        bundle.edit("app.json", lambda d: d.update(version="1.1.0"))
        bundle.edit("entities/client.json", lambda d: d["fields"].append({"name": "vip", "kind": "boolean"}))
        second = sf.install(bundle.root)
        assert (second.revision, second.unchanged) == (2, False)
        bundle.edit("entities/client.json", lambda d: d["fields"].append({"name": "inn", "kind": "string"}))
        assert sf.install(bundle.root).revision == 3

        rows = _revisions(sf, "mini")
        assert [(r.revision, r.version) for r in rows] == [(1, "1.0.0"), (2, "1.1.0"), (3, "1.1.0")]
        assert rows[0] == first[0], "revision 1 must stay exactly as it was stored"
        assert "vip" not in _client_fields(rows[0].documents)
        assert _client_fields(rows[1].documents)[-1] == "vip"
        assert _client_fields(rows[2].documents)[-2:] == ["vip", "inn"]
        with sf.db.connect() as conn:
            assert conn.execute(select(st.apps.c.revision).where(st.apps.c.name == "mini")).scalar_one() == 3
            # An earlier revision still loads into its own specs (what export and rollback read).
            old = sf.catalog.load_revision(conn, "mini", 1)
        assert not old.spec.entity("client").has_field("vip")
        assert sf.catalog.get("mini").spec.entity("client").has_field("inn")
        # Loading the same bundle again stores nothing new: the current revision is that bundle.
        again = sf.install(bundle.root)
        assert (again.revision, again.unchanged) == (3, True)
        assert len(_revisions(sf, "mini")) == 3
    finally:
        sf.close()


def test_an_app_whose_stored_revision_no_longer_validates_is_skipped_and_reported(sqlite_url, mini_bundle, tmp_path):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    sf.install(mini_bundle)
    with sf.db.begin() as conn:
        stored = json.loads(conn.execute(select(st.app_revisions.c.documents)).scalar_one())
        for doc in stored:
            if doc["path"] == "entities/client.json":
                doc["data"]["fields"][0]["kind"] = "no_such_kind"
        conn.execute(st.app_revisions.update().values(documents=json.dumps(stored)))
    sf.close()
    restarted = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    assert restarted.catalog.names() == []
    assert [p.code for p in restarted.catalog.broken["mini"].problems] == ["unknown_kind"]
    with restarted.db.begin() as conn:
        set_admin(conn, "root", PASSWORD)
    # The problems are details: /health shows them to administrators only (issue 22).
    health = Web(restarted, create_app(restarted)).api("root").get("/health").get_json()
    assert health["status"] == "degraded"
    assert health["broken_apps"]["mini"][0].startswith("entities/client.json:/fields/0/kind: unknown_kind")
    # Installing a good bundle again repairs it.
    restarted.install(mini_bundle)
    assert restarted.catalog.names() == ["mini"] and restarted.catalog.broken == {}


def test_platform_tables_missing_from_an_older_database_are_added_by_its_migration(db_url, tmp_path):
    """A database an earlier release made (another schema digest, a platform table missing): SQLite,
    the embedded default, adds the table on start; PostgreSQL refuses to start until migrated."""
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    with sf.db.begin() as conn:
        conn.execute(text("DROP TABLE sf_notification"))
        conn.execute(update(schema_version).values(digest="digest-of-an-earlier-release"))
    sf.close()
    on_postgres = db_url.startswith("postgresql")
    if on_postgres:
        with pytest.raises(PlatformSchemaOutdated, match="stageflow migrate"):
            create_stageflow(db_url, files_dir=tmp_path / "files")
    again = create_stageflow(db_url, files_dir=tmp_path / "files", migrate=True if on_postgres else None)
    with again.db.connect() as conn:
        assert inspect(conn).has_table("sf_notification")
    again.close()
