"""The platform tables' digest: a start compares digests only; `stageflow migrate` changes schemas."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Index, inspect, text, update

from stageflow.cli import main
from stageflow.runtime import create_stageflow
from stageflow.storage import platform_schema
from stageflow.storage import platform_tables as st
from stageflow.storage.database import open_database, write_transaction
from stageflow.storage.platform_schema import (
    PlatformSchemaOutdated,
    platform_schema_digest,
    recorded_digest,
    schema_version,
)


def _index_names(url: str, table: str) -> set[str]:
    db = open_database(url)
    try:
        with db.connect() as conn:
            return {i["name"] for i in inspect(conn).get_indexes(table)}
    finally:
        db.dispose()


def _age_the_schema(url: str, digest: str | None = "from-an-earlier-release") -> None:
    """Make the database look like an earlier release made it: an index missing, another digest."""
    db = open_database(url)
    try:
        with write_transaction(db) as conn:
            conn.execute(text("DROP INDEX ix_sf_history_record"))
            if digest is None:
                conn.execute(text(f"DROP TABLE {schema_version.name}"))
            else:
                conn.execute(update(schema_version).values(digest=digest))
    finally:
        db.dispose()


def test_a_start_on_a_current_database_compares_no_schema(db_url, tmp_path, monkeypatch):
    def no_comparison(*_args, **_kwargs):
        raise AssertionError("a start on a current database must not compare the platform tables")

    monkeypatch.setattr(platform_schema, "migrate_platform_tables", no_comparison)
    engine = create_stageflow(db_url, files_dir=tmp_path / "files")
    try:
        with engine.db.connect() as conn:
            assert recorded_digest(conn) == platform_schema_digest(conn.dialect.name)
    finally:
        engine.close()


def test_the_digest_covers_every_platform_table_and_index():
    digest = platform_schema_digest("sqlite")
    assert len(digest) == 64 and digest == platform_schema_digest("sqlite")
    assert digest != platform_schema_digest("postgresql")  # each dialect writes its own DDL
    index = Index("ix_test_only_digest", st.outbox.c.actor)  # a release that adds an index
    try:
        platform_schema_digest.cache_clear()
        assert platform_schema_digest("sqlite") != digest
    finally:
        st.outbox.indexes.discard(index)
        platform_schema_digest.cache_clear()
    assert platform_schema_digest("sqlite") == digest


def test_a_fresh_database_is_set_up_on_first_start_on_every_backend(sqlite_url, pg_url, tmp_path):
    for url in (sqlite_url, pg_url):
        engine = create_stageflow(url, files_dir=tmp_path / "files")
        try:
            with engine.db.connect() as conn:
                assert recorded_digest(conn) == platform_schema_digest(conn.dialect.name)
                assert set(st.platform_metadata.tables) <= set(inspect(conn).get_table_names())
        finally:
            engine.close()


def test_sqlite_the_embedded_default_migrates_itself_on_start(sqlite_url, tmp_path):
    create_stageflow(sqlite_url, files_dir=tmp_path / "files").close()
    _age_the_schema(sqlite_url)
    assert "ix_sf_history_record" not in _index_names(sqlite_url, "sf_history")
    create_stageflow(sqlite_url, files_dir=tmp_path / "files").close()
    assert "ix_sf_history_record" in _index_names(sqlite_url, "sf_history")


@pytest.mark.postgres
@pytest.mark.parametrize("digest", ["from-an-earlier-release", None], ids=["other-digest", "no-digest"])
def test_postgresql_refuses_to_start_on_an_outdated_schema_until_stageflow_migrate(db_url, tmp_path, digest):
    _age_the_schema(db_url, digest)
    with pytest.raises(PlatformSchemaOutdated, match=r"run `stageflow migrate --db <url>` once"):
        create_stageflow(db_url, files_dir=tmp_path / "files")
    refused = CliRunner().invoke(main, ["export", "mini", "-o", str(tmp_path / "out"), "--db", db_url])
    assert refused.exit_code == 1 and "stageflow migrate" in refused.output
    assert "ix_sf_history_record" not in _index_names(db_url, "sf_history")  # nothing changed

    migrated = CliRunner().invoke(main, ["migrate", "--db", db_url])
    assert migrated.exit_code == 0, migrated.output
    assert "indexes created 1" in migrated.output
    assert "ix_sf_history_record" in _index_names(db_url, "sf_history")
    create_stageflow(db_url, files_dir=tmp_path / "files").close()


def test_stageflow_migrate_repairs_what_the_digest_cannot_see(db_url, tmp_path):
    """An index dropped by hand leaves the digest as it was: a start cannot notice, migrate repairs."""
    db = open_database(db_url)
    try:
        with write_transaction(db) as conn:
            conn.execute(text("DROP INDEX ix_sf_history_record"))
    finally:
        db.dispose()
    create_stageflow(db_url, files_dir=tmp_path / "files").close()
    assert "ix_sf_history_record" not in _index_names(db_url, "sf_history")
    result = CliRunner().invoke(main, ["migrate", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "ix_sf_history_record" in _index_names(db_url, "sf_history")


def test_an_install_migrates_an_outdated_schema(db_url, tmp_path, mini_bundle):
    """`stageflow load` brings the platform tables up to date, as `stageflow migrate` does."""
    _age_the_schema(db_url)
    result = CliRunner().invoke(main, ["load", str(mini_bundle), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "ix_sf_history_record" in _index_names(db_url, "sf_history")
