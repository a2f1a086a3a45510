"""Schema evolution of live databases: add, rename, retire, refuse, on SQLite and PostgreSQL."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, inspect, select, text

from stageflow.core import MetadataError
from stageflow.data import SchemaChangeRefused, TableBusy
from stageflow.runtime import create_stageflow
from stageflow.storage import platform_tables as st
from stageflow.storage.database import write_transaction
from stageflow.storage.platform_schema import migrate_platform_tables
from tests.bundle_edit import EditableBundle


@pytest.fixture
def bundle(mini_bundle, tmp_path):
    return EditableBundle(mini_bundle, tmp_path / "bundle")


@pytest.fixture
def engine(db_url, tmp_path):
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    yield sf
    sf.close()


def columns(sf, table):
    with sf.db.connect() as conn:
        return {c["name"]: c["type"] for c in inspect(conn).get_columns(table)}


def snapshot(sf):
    """Every row of every table, to prove a refused change touched nothing."""
    result = {}
    with sf.db.connect() as conn:
        insp = inspect(conn)
        for table in sorted(insp.get_table_names()):
            cols = [c["name"] for c in insp.get_columns(table)]
            rows = conn.exec_driver_sql(f'SELECT * FROM "{table}"').all()
            result[table] = (cols, sorted(map(repr, rows)))
    return result


def new_client(sf, name="Иван"):
    return sf.records.create(sf.system, "mini", "client", {"full_name": name, "city": "msk"})


def test_first_install_creates_tables_and_second_is_idempotent(engine, bundle):
    first = engine.install(bundle.root)
    assert "mini__deal" in first.sync.created_tables and first.revision == 1
    again = engine.install(bundle.root)
    assert again.unchanged and again.revision == 1 and not again.sync.changed


def test_add_entity_applies_to_live_database_with_data_kept(engine, bundle):
    engine.install(bundle.root)
    client = new_client(engine)
    bundle.write("entities/contract.json", {
        "schema_version": 1, "name": "contract", "label": "Contract",
        "fields": [{"name": "number", "kind": "string", "required": True},
                   {"name": "client", "kind": "link", "options": {"entity": "client"}}]})
    result = engine.install(bundle.root)
    assert result.sync.created_tables == ["mini__contract"] and result.revision == 2
    contract = engine.records.create(engine.system, "mini", "contract", {"number": "Д-1", "client": client["id"]})
    assert contract["client"] == client["id"]
    assert engine.records.get(engine.system, "mini", "client", client["id"])["full_name"] == "Иван"


def test_add_field_is_seen_by_another_process_without_restart(engine, bundle, db_url, tmp_path):
    engine.install(bundle.root)
    client = new_client(engine)
    other = create_stageflow(db_url, files_dir=tmp_path / "files")  # a second server process
    bundle.edit("entities/client.json", lambda d: d["fields"].append({"name": "inn", "kind": "string"}))
    result = engine.install(bundle.root)
    assert result.sync.added_columns == ["mini__client.inn"]
    other.catalog.refresh()
    updated = other.records.update(other.system, "mini", "client", client["id"], {"inn": "7701"})
    assert updated["inn"] == "7701" and updated["full_name"] == "Иван"
    other.close()


def test_rename_label_changes_no_column(engine, bundle):
    engine.install(bundle.root)
    before = columns(engine, "mini__client")
    bundle.edit("entities/client.json", lambda d: d["fields"][0].update(label={"en": "Name", "ru": "ФИО"}))
    result = engine.install(bundle.root)
    assert result.revision == 2 and not result.sync.changed
    assert columns(engine, "mini__client").keys() == before.keys()
    assert engine.catalog.get("mini").spec.entities["client"].field("full_name").label["ru"] == "ФИО"


def test_removed_field_is_retired_never_dropped_and_comes_back_with_its_data(engine, bundle):
    engine.install(bundle.root)
    client = engine.records.create(engine.system, "mini", "client", {"full_name": "A", "phone": "+7 900 111-22-33"})
    bundle.edit("entities/client.json", lambda d: d["fields"].pop(1))  # phone
    result = engine.install(bundle.root)
    assert result.sync.retired_columns == ["mini__client.phone"]
    assert "phone" in columns(engine, "mini__client")
    assert "phone" not in engine.records.get(engine.system, "mini", "client", client["id"])
    with engine.db.connect() as conn:
        assert conn.execute(select(st.retired_columns.c.column)).scalars().all() == ["phone"]
    # Records keep working while the column is retired.
    engine.records.create(engine.system, "mini", "client", {"full_name": "B"})
    bundle.edit("entities/client.json", lambda d: d["fields"].insert(1, {"name": "phone", "kind": "phone"}))
    engine.install(bundle.root)
    assert engine.records.get(engine.system, "mini", "client", client["id"])["phone"] == "+7 900 111-22-33"
    with engine.db.connect() as conn:
        assert conn.execute(select(st.retired_columns)).all() == []


def test_lossy_type_change_is_refused_and_nothing_changes(engine, bundle):
    engine.install(bundle.root)
    new_client(engine)
    before = snapshot(engine)

    def to_integer(doc):
        doc["fields"][0]["kind"] = "integer"
    bundle.edit("entities/client.json", to_integer)
    with pytest.raises(SchemaChangeRefused, match=r"'full_name'.*could lose data in 1 record"):
        engine.install(bundle.root)
    assert snapshot(engine) == before
    assert engine.catalog.get("mini").revision == 1


def test_type_change_on_an_empty_column_is_applied(engine, bundle):
    engine.install(bundle.root)
    new_client(engine)  # email stays empty

    def email_to_integer(doc):
        doc["fields"][2] = {"name": "email", "kind": "integer"}
    bundle.edit("entities/client.json", email_to_integer)
    result = engine.install(bundle.root)
    assert result.sync.changed_types and result.revision == 2
    client = engine.records.create(engine.system, "mini", "client", {"full_name": "B", "email": 5})
    assert client["email"] == 5


def test_widening_a_string_keeps_the_data(engine, bundle):
    engine.install(bundle.root)
    client = new_client(engine, "x" * 200)
    bundle.edit("entities/client.json", lambda d: d["fields"][0].update(options={"max_length": 1000}))
    result = engine.install(bundle.root)
    assert result.sync.changed_types
    assert engine.records.get(engine.system, "mini", "client", client["id"])["full_name"] == "x" * 200
    engine.records.create(engine.system, "mini", "client", {"full_name": "y" * 900})


def test_invalid_bundle_load_leaves_database_and_metadata_as_before(engine, bundle):
    engine.install(bundle.root)
    new_client(engine)
    before = snapshot(engine)
    bundle.edit("entities/client.json", lambda d: d["fields"].append({"name": "boss", "kind": "link",
                                                                     "options": {"entity": "nobody"}}))
    bundle.edit("entities/deal.json", lambda d: d["fields"].append({"name": "extra", "kind": "string"}))
    with pytest.raises(MetadataError) as refused:
        engine.install(bundle.root)
    assert [p.code for p in refused.value.problems] == ["unknown_entity"]
    assert snapshot(engine) == before


def test_failure_in_the_middle_of_a_load_rolls_back_the_ddl(engine, bundle, monkeypatch):
    engine.install(bundle.root)
    before = snapshot(engine)
    bundle.edit("entities/client.json", lambda d: d["fields"].append({"name": "inn", "kind": "string"}))
    bundle.write("entities/contract.json", {"schema_version": 1, "name": "contract", "label": "C",
                                            "fields": [{"name": "number", "kind": "string"}]})

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(engine.installer, "_sync_org", explode)
    with pytest.raises(RuntimeError):
        engine.install(bundle.root)
    assert snapshot(engine) == before


# -- indexes -----------------------------------------------------------------------------------

def missing_indexes(sf, tables) -> dict[str, set[str]]:
    """Declared indexes the database lacks, per table."""
    with sf.db.connect() as conn:
        inspector = inspect(conn)
        found = {t.name: {i["name"] for i in inspector.get_indexes(t.name)} for t in tables}
    return {t.name: {i.name for i in t.indexes} - found[t.name]
            for t in tables if {i.name for i in t.indexes} - found[t.name]}


def test_declared_indexes_of_platform_and_app_tables_exist_after_install(engine, bundle):
    engine.install(bundle.root)
    platform = list(st.platform_metadata.sorted_tables)
    assert {"ix_sf_outbox_pending_id", "ix_sf_outbox_pending_record"} <= {i.name for i in st.outbox.indexes}
    assert missing_indexes(engine, platform) == {}
    app = list(engine.catalog.get("mini").tables.metadata.sorted_tables)
    assert any(t.indexes for t in app)  # link and indexed fields
    assert missing_indexes(engine, app) == {}


def test_an_index_missing_from_an_older_database_is_created_on_start(engine, bundle):
    engine.install(bundle.root)
    index = next(i for i in st.history.indexes if i.name == "ix_sf_history_record")
    with write_transaction(engine.db) as conn:
        index.drop(conn)
    assert missing_indexes(engine, [st.history]) == {"sf_history": {"ix_sf_history_record"}}
    with write_transaction(engine.db) as conn:
        report = migrate_platform_tables(conn)
    assert report.indexes == ["ix_sf_history_record"] and not report.created_tables
    assert missing_indexes(engine, [st.history]) == {}
    with write_transaction(engine.db) as conn:
        assert not migrate_platform_tables(conn).changed


def test_outbox_indexes_of_an_earlier_release_give_way_to_partial_ones(engine, bundle):
    """The outbox indexes cover pending events only; a database made by an earlier release had
    them over every event: the sync drops those and creates the partial ones, and only those."""
    engine.install(bundle.root)
    current = [i for i in st.outbox.indexes]
    with write_transaction(engine.db) as conn:
        for index in current:
            index.drop(conn)
        conn.execute(text("CREATE INDEX ix_sf_outbox_pending ON sf_outbox (processed_at, id)"))
        conn.execute(text("CREATE INDEX ix_sf_outbox_record ON sf_outbox (app, entity, record_id, processed_at, id)"))
        conn.execute(text("CREATE INDEX ix_sf_outbox_by_an_operator ON sf_outbox (actor)"))
    with write_transaction(engine.db) as conn:
        report = migrate_platform_tables(conn)
    assert sorted(report.dropped_indexes) == ["ix_sf_outbox_pending", "ix_sf_outbox_record"]
    assert sorted(report.indexes) == ["ix_sf_outbox_pending_id", "ix_sf_outbox_pending_record"]
    with engine.db.connect() as conn:
        found = {i["name"] for i in inspect(conn).get_indexes("sf_outbox")}
    # An index an operator added is theirs: kept.
    assert found == {"ix_sf_outbox_pending_id", "ix_sf_outbox_pending_record", "ix_sf_outbox_by_an_operator"}
    with write_transaction(engine.db) as conn:
        assert not migrate_platform_tables(conn).changed


def test_the_dispatcher_finds_pending_events_through_the_partial_indexes(engine, bundle):
    engine.install(bundle.root)
    new_client(engine)
    claim = select(st.outbox.c.id).where(st.outbox.c.processed_at.is_(None)).order_by(st.outbox.c.id).limit(1)
    with engine.db.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + str(
                claim.compile(conn, compile_kwargs={"literal_binds": True})))))
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(row[0] for row in conn.execute(text("EXPLAIN " + str(
                claim.compile(conn, compile_kwargs={"literal_binds": True})))))
    assert "ix_sf_outbox_pending_id" in plan, plan


# -- lock timeout (PostgreSQL) -----------------------------------------------------------------

def stored_revision(sf) -> tuple[int, int]:
    with sf.db.connect() as conn:
        current = conn.execute(select(st.apps.c.revision).where(st.apps.c.name == "mini")).scalar_one()
        kept = conn.execute(select(func.count()).select_from(st.app_revisions)).scalar_one()
    return current, kept


def test_an_alter_behind_an_open_reader_is_refused_as_busy_and_changes_nothing(pg_url, tmp_path, bundle):
    sf = create_stageflow(pg_url, files_dir=tmp_path / "files")
    try:
        sf.install(bundle.root)
        new_client(sf)
        sf.installer.lock_timeout = 1.0
        bundle.edit("entities/client.json", lambda d: d["fields"].append({"name": "inn", "kind": "string"}))
        before = snapshot(sf)
        table = sf.catalog.get("mini").tables.main("client")
        with sf.db.connect() as reader, reader.begin():
            reader.execute(select(table).limit(1)).all()  # holds the table until it ends
            started = time.monotonic()
            with pytest.raises(TableBusy, match=r"table 'mini__client' is busy: .* within 1 s; try again"):
                sf.install(bundle.root)
            assert time.monotonic() - started < 5
        assert "inn" not in columns(sf, "mini__client")
        assert stored_revision(sf) == (1, 1) and sf.catalog.get("mini").revision == 1
        assert snapshot(sf) == before
        # Once the reader is gone, the same change goes through.
        assert sf.install(bundle.root).sync.added_columns == ["mini__client.inn"]
        assert stored_revision(sf) == (2, 2)
    finally:
        sf.close()


def test_platform_table_sync_waits_for_a_busy_table_only_as_long_as_the_timeout(pg_url, tmp_path, bundle):
    sf = create_stageflow(pg_url, files_dir=tmp_path / "files")
    try:
        sf.install(bundle.root)
        index = next(i for i in st.outbox.indexes if i.name == "ix_sf_outbox_pending_id")
        with write_transaction(sf.db) as conn:
            index.drop(conn)
        with sf.db.connect() as writer, writer.begin():
            sf.records.create(sf.system, "mini", "client", {"full_name": "Writer"}, conn=writer)  # an outbox row
            started = time.monotonic()
            with pytest.raises(TableBusy, match="table 'sf_outbox' is busy"), write_transaction(sf.db) as conn:
                migrate_platform_tables(conn, lock_seconds=0.5)
            assert time.monotonic() - started < 5
        assert missing_indexes(sf, [st.outbox]) == {"sf_outbox": {"ix_sf_outbox_pending_id"}}
        sf.migrate()
        assert missing_indexes(sf, [st.outbox]) == {}
    finally:
        sf.close()
