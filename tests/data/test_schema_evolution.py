"""Schema evolution of live databases: add, rename, retire, refuse, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from stageflow.core import MetadataError
from stageflow.data import SchemaChangeRefused, system_tables as st
from stageflow.runtime import create_stageflow
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
