"""PL23, IT08: backup and restore of data, files and metadata in one archive."""
from __future__ import annotations

import zipfile

import pytest
from sqlalchemy import event, func, select

from stageflow.data.backup import RestoreRefused, backup, restore
from stageflow.data.files import FileStore
from stageflow.metadata import Canonicalizer
from stageflow.metadata.export import canonical_files
from stageflow.runtime import create_stageflow
from stageflow.storage import platform_tables as st
from tests.bundle_edit import EditableBundle

from .test_files import MemoryStorage


def everything(sf):
    """Every record of every entity (children included), the org, and the configuration."""
    records = {}
    for name in sf.catalog.get("mini").spec.entities:
        page = sf.records.list(sf.system, "mini", name, limit=500)
        records[name] = [sf.records.get(sf.system, "mini", name, r["id"]) for r in page.items]
    loaded = sf.catalog.get("mini")
    config = canonical_files(loaded.bundle, Canonicalizer(sf.schemas, sf.kinds), sf.schemas)
    history = {r["id"]: sf.records.history(sf.system, "mini", "deal", r["id"]) for r in records["deal"]}
    return records, config, history, loaded.revision


def row_counts(sf) -> dict[str, int]:
    """Rows of every table: the platform's (history, outbox, files...) and every app table."""
    tables = list(st.platform_metadata.sorted_tables)
    for name in sf.catalog.names():
        tables += sf.catalog.get(name).tables.metadata.sorted_tables
    with sf.db.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def test_pl23_it08_restore_into_an_empty_database_gives_identical_data(db_url, mini_bundle, tmp_path, sqlite_url):
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    sf = create_stageflow(db_url, files_dir=tmp_path / "files-a")
    sf.install(bundle.root)
    bundle.edit("entities/client.json", lambda d: d["fields"].pop(1))  # retire phone: kept in backups too
    client = sf.records.create(sf.system, "mini", "client", {"full_name": "Анна", "city": "kzn"})
    sf.install(bundle.root)
    scan = sf.files.put("скан.pdf", "application/pdf", b"%PDF-1.4 test", "system")
    deal = sf.records.create(sf.system, "mini", "deal", {
        "title": "Долг", "client": client["id"], "amount": "99.90", "scans": [scan.id], "tags": ["vip"],
        "meeting_at": "2026-11-23T10:00:00+03:00", "due": "2026-12-01",
        "creditors": [{"creditor": "Банк", "debt": "10"}]})
    sf.records.update(sf.system, "mini", "deal", deal["id"], {"stage": "qualified"})
    before, counts_before = everything(sf), row_counts(sf)
    with sf.db.connect() as conn:
        assert backup(conn, sf.catalog, sf.files, tmp_path / "backup.zip") == counts_before
    sf.close()

    # Restore into the other backend too: a PostgreSQL backup into SQLite, a SQLite one into SQLite.
    other = create_stageflow(sqlite_url.replace("stageflow.db", "restored.db"), files_dir=tmp_path / "files-b")
    restore(other.db, other.catalog, other.kinds, other.files, tmp_path / "backup.zip")
    assert everything(other) == before
    assert row_counts(other) == counts_before
    # The counts compared are real: entity, child, history, outbox and file tables all hold rows.
    assert {name: counts_before[name] for name in ("mini__client", "mini__deal", "mini__deal__creditors",
                                                    "sf_history", "sf_outbox", "sf_file")} == {
        "mini__client": 1, "mini__deal": 1, "mini__deal__creditors": 1,
        "sf_history": 1, "sf_outbox": 4, "sf_file": 1}
    assert other.files.read(scan.id)[1] == b"%PDF-1.4 test"
    # The restored database keeps working: new ids do not collide.
    again = other.records.create(other.system, "mini", "client", {"full_name": "Новый"})
    assert again["id"] > client["id"]
    other.close()


def test_restore_into_the_same_backend(db_url, mini_bundle, tmp_path, request):
    sf = create_stageflow(db_url, files_dir=tmp_path / "files-a")
    sf.install(mini_bundle)
    first = sf.records.create(sf.system, "mini", "client", {"full_name": "A"})
    with sf.db.connect() as conn:
        backup(conn, sf.catalog, sf.files, tmp_path / "backup.zip")
    target_url = request.getfixturevalue("pg_url") if db_url.startswith("postgresql") else \
        db_url.replace("stageflow.db", "second.db")
    sf.close()
    other = create_stageflow(target_url, files_dir=tmp_path / "files-b")
    restore(other.db, other.catalog, other.kinds, other.files, tmp_path / "backup.zip")
    assert other.records.get(other.system, "mini", "client", first["id"])["full_name"] == "A"
    assert other.records.create(other.system, "mini", "client", {"full_name": "B"})["id"] > first["id"]
    other.close()


def test_pl23_a_write_committed_during_the_backup_is_not_half_in_it(db_url, mini_bundle, tmp_path, sqlite_url):
    """The backup reads one snapshot: a record created after it began is in no table of the archive
    (not its row, not its outbox event), though the tables are read one after another."""
    sf = create_stageflow(db_url, files_dir=tmp_path / "files-a")
    sf.install(mini_bundle)
    sf.records.create(sf.system, "mini", "client", {"full_name": "Before"})
    counts_before = row_counts(sf)
    late = {}

    def write_meanwhile(conn, cursor, statement, *_):
        # Once the backup has read the platform tables (the outbox among them) and turns to the
        # app's, another connection creates a client and commits.
        if not late and "FROM mini__client" in statement:
            late["client"] = sf.records.create(sf.system, "mini", "client", {"full_name": "During"})

    event.listen(sf.db, "before_cursor_execute", write_meanwhile)
    with sf.db.connect() as conn:
        counts = backup(conn, sf.catalog, sf.files, tmp_path / "backup.zip")
    event.remove(sf.db, "before_cursor_execute", write_meanwhile)
    assert late, "the backup never read the client table"
    assert counts == counts_before
    assert row_counts(sf)["mini__client"] == counts_before["mini__client"] + 1
    sf.close()

    other = create_stageflow(sqlite_url.replace("stageflow.db", "restored.db"), files_dir=tmp_path / "files-b")
    restore(other.db, other.catalog, other.kinds, other.files, tmp_path / "backup.zip")
    assert row_counts(other) == counts_before
    assert [r["full_name"] for r in other.records.list(other.system, "mini", "client").items] == ["Before"]
    other.close()


def test_backup_and_restore_go_through_the_storage_interface(sqlite_url, mini_bundle, tmp_path):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files-a")
    sf.install(mini_bundle)
    source = FileStore(sf.db, MemoryStorage())
    scan = source.put("scan.pdf", "application/pdf", b"%PDF-1.4 memory", "system")
    gone = source.put("gone.pdf", "application/pdf", b"%PDF-1.4 gone", "system")
    source.storage.delete(gone.sha256)
    with sf.db.connect() as conn:
        backup(conn, sf.catalog, source, tmp_path / "backup.zip")
    sf.close()
    with zipfile.ZipFile(tmp_path / "backup.zip") as archive:
        assert sorted(n for n in archive.namelist() if n.startswith("files/")) == [f"files/{scan.sha256}"]
        assert f'"missing_files": [\n    "{gone.sha256}"' in archive.read("stageflow-backup.json").decode()

    other = create_stageflow(sqlite_url.replace("stageflow.db", "restored.db"), files_dir=tmp_path / "unused")
    target = FileStore(other.db, MemoryStorage())
    restore(other.db, other.catalog, other.kinds, target, tmp_path / "backup.zip")
    assert target.storage.blobs == {scan.sha256: b"%PDF-1.4 memory"}
    assert target.read(scan.id)[1] == b"%PDF-1.4 memory"
    assert not (tmp_path / "unused").exists()
    other.close()


def rewrite_archive(source, target, change) -> None:
    """Copy a backup archive, letting ``change(name, data)`` return the new (name, data)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            new.writestr(*change(name, old.read(name)))


@pytest.mark.parametrize("damage, message", [
    (lambda name, data: (name, b"tampered") if name.startswith("files/") else (name, data),
     "the bytes do not match their SHA-256"),
    (lambda name, data: ("files/../../escape", data) if name.startswith("files/") else (name, data),
     "is not a file key"),
])
def test_a_damaged_archive_is_refused_and_restores_nothing(sqlite_url, mini_bundle, tmp_path, damage, message):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files-a")
    sf.install(mini_bundle)
    sf.files.put("scan.pdf", "application/pdf", b"%PDF-1.4", "system")
    with sf.db.connect() as conn:
        backup(conn, sf.catalog, sf.files, tmp_path / "backup.zip")
    sf.close()
    rewrite_archive(tmp_path / "backup.zip", tmp_path / "damaged.zip", damage)
    other = create_stageflow(sqlite_url.replace("stageflow.db", "restored.db"), files_dir=tmp_path / "files-b")
    with pytest.raises(RestoreRefused, match=message):
        restore(other.db, other.catalog, other.kinds, other.files, tmp_path / "damaged.zip")
    assert other.catalog.names() == []
    assert not (tmp_path / "files-b").exists() and not (tmp_path / "escape").exists()
    other.close()


def test_backup_needs_a_connection_without_an_open_transaction(sqlite_url, mini_bundle, tmp_path):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    sf.install(mini_bundle)
    with sf.db.connect() as conn, conn.begin():
        with pytest.raises(ValueError, match="transaction of its own"):
            backup(conn, sf.catalog, sf.files, tmp_path / "backup.zip")
    sf.close()
