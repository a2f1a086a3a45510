"""The app catalog: stored revisions that no longer validate are reported, not fatal."""
from __future__ import annotations

import json

from sqlalchemy import inspect, select, text

from stageflow.data import system_tables as st
from stageflow.runtime import create_stageflow
from stageflow.web import create_app


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
    health = create_app(restarted).test_client().get("/health").get_json()
    assert health["status"] == "degraded"
    assert health["broken_apps"]["mini"][0].startswith("entities/client.json:/fields/0/kind: unknown_kind")
    # Installing a good bundle again repairs it.
    restarted.install(mini_bundle)
    assert restarted.catalog.names() == ["mini"] and restarted.catalog.broken == {}


def test_platform_tables_missing_from_an_older_database_are_added_on_start(db_url, tmp_path):
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    with sf.db.begin() as conn:
        conn.execute(text("DROP TABLE sf_notification"))
    sf.close()
    again = create_stageflow(db_url, files_dir=tmp_path / "files")
    with again.db.connect() as conn:
        assert inspect(conn).has_table("sf_notification")
    again.close()
