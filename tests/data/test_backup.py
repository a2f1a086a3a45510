"""PL23, IT08: backup and restore of data, files and metadata in one archive."""
from __future__ import annotations

from stageflow.data.backup import backup, restore
from stageflow.metadata import Canonicalizer
from stageflow.metadata.export import canonical_files
from stageflow.runtime import create_stageflow
from tests.bundle_edit import EditableBundle


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
    before = everything(sf)
    with sf.db.connect() as conn:
        backup(conn, sf.catalog, sf.files, tmp_path / "backup.zip")
    sf.close()

    # Restore into the other backend too: a PostgreSQL backup into SQLite, a SQLite one into SQLite.
    other = create_stageflow(sqlite_url.replace("stageflow.db", "restored.db"), files_dir=tmp_path / "files-b")
    restore(other.db, other.catalog, other.kinds, other.files, tmp_path / "backup.zip")
    assert everything(other) == before
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
