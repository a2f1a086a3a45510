"""Issue 22 item 8: SQLite tables of earlier releases (decimals declared NUMERIC, kept as floats)
are converted to exact integer minor units by the schema sync, in one transaction."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Numeric, create_engine, event, inspect, text

from stageflow.core.fields import Storage
from stageflow.data import SchemaChangeRefused
from stageflow.data.money_migration import convert_legacy_decimals_at_start, legacy_decimals_present
from stageflow.runtime import create_stageflow
from stageflow.storage import column_types
from tests.bundle_edit import EditableBundle

AMOUNTS = ["0.10", "0.20", "100", "1234567890123.45", "-7.05", None]


@pytest.fixture
def bundle(mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.edit("entities/deal.json", lambda d: next(f for f in d["fields"] if f["name"] == "amount")
                .update(indexed=True))
    return bundle


def install_the_old_way(url, bundle, files, monkeypatch):
    """Install the app with decimals declared NUMERIC, as earlier releases did, and write
    records through the service; returns the created ids."""
    current = column_types.column_type

    def legacy_column_type(storage, length=None, precision=None, scale=None):
        if storage is Storage.DECIMAL:
            return Numeric(precision or 18, scale if scale is not None else 2, asdecimal=True)
        return current(storage, length, precision, scale)

    with monkeypatch.context() as patched:
        patched.setattr(column_types, "column_type", legacy_column_type)
        patched.setattr("stageflow.data.tables.column_type", legacy_column_type)
        sf = create_stageflow(url, files_dir=files)
        sf.install(bundle.root)
        ids = [sf.records.create(sf.system, "mini", "deal", {
            "title": f"deal {a}", "amount": a, "rate": "0.1234",
            "creditors": [{"creditor": "Bank", "debt": a}, {"creditor": "Fund", "debt": "0.30"}]})["id"]
            for a in AMOUNTS]
        sf.close()
    return ids


def legacy_state(url, table="mini__deal"):
    """What a database of an earlier release holds, read without starting Stageflow (a start
    converts it)."""
    plain = create_engine(url)
    try:
        with plain.connect() as conn:
            declared_types = {c["name"]: str(c["type"]) for c in inspect(conn).get_columns(table)}
            kinds = conn.execute(text(f'SELECT typeof(amount) FROM "{table}" WHERE amount IS NOT NULL')).all()
            return declared_types, {row[0] for row in kinds}, legacy_decimals_present(conn)
    finally:
        plain.dispose()


def raw(sf, sql):
    with sf.db.connect() as conn:
        return conn.execute(text(sql)).all()


def declared(sf, table):
    with sf.db.connect() as conn:
        return {c["name"]: str(c["type"]) for c in inspect(conn).get_columns(table)}


def test_a_start_converts_numeric_money_columns_to_exact_minor_units(sqlite_url, bundle, tmp_path, monkeypatch):
    ids = install_the_old_way(sqlite_url, bundle, tmp_path / "files", monkeypatch)
    # The old way really was floats: the test would pass vacuously otherwise.
    declared_types, kinds, legacy = legacy_state(sqlite_url)
    assert declared_types["amount"] == "NUMERIC(18, 2)" and "real" in kinds and legacy

    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")  # the start converts

    # The service shows decimals as exact strings of the field's scale.
    expected = [None if a is None else str(Decimal(a).quantize(Decimal("0.01"))) for a in AMOUNTS]
    deals = [sf.records.get(sf.system, "mini", "deal", i) for i in ids]
    assert [d["amount"] for d in deals] == expected
    assert [d["creditors"][0]["debt"] for d in deals] == expected  # child rows survived the change
    assert {d["creditors"][1]["debt"] for d in deals} == {"0.30"}
    assert {d["rate"] for d in deals} == {"0.1234"}
    assert deals[3]["vat"] == "246913578024.69"
    assert raw(sf, "SELECT amount, typeof(amount) FROM mini__deal ORDER BY id") == [
        (10, "integer"), (20, "integer"), (10000, "integer"), (123456789012345, "integer"),
        (-705, "integer"), (None, "null")]
    assert raw(sf, "SELECT DISTINCT rate, typeof(rate) FROM mini__deal") == [(1234, "integer")]
    assert {row[0] for row in raw(sf, "SELECT typeof(debt) FROM mini__deal__creditors")} == {"integer", "null"}
    assert declared(sf, "mini__deal")["amount"] == "DECIMAL(18, 2)"
    assert declared(sf, "mini__deal")["rate"] == "DECIMAL(10, 4)"
    with sf.db.connect() as conn:
        assert "ix_mini__deal_amount" in {ix["name"] for ix in inspect(conn).get_indexes("mini__deal")}
        assert not legacy_decimals_present(conn)
    found = sf.records.list(sf.system, "mini", "deal", where={"field": "amount", "op": "between",
                                                              "value": ["0.10", "100.00"]}, sort="id")
    assert [r["id"] for r in found.items] == ids[:3]
    assert not sf.install(bundle.root).sync.changed  # idempotent: nothing left to convert
    sf.close()


def test_a_value_that_cannot_convert_refuses_and_changes_nothing(sqlite_url, bundle, tmp_path, monkeypatch):
    """The whole sync is one transaction: the parent table converted before the failure is
    rolled back too."""
    install_the_old_way(sqlite_url, bundle, tmp_path / "files", monkeypatch)
    plain = create_engine(sqlite_url)

    def state():
        with plain.connect() as conn:
            return {table: ({c["name"]: str(c["type"]) for c in inspect(conn).get_columns(table)},
                            conn.execute(text(f'SELECT * FROM "{table}" ORDER BY id')).all())
                    for table in ("mini__deal", "mini__deal__creditors")}

    with plain.begin() as conn:
        conn.execute(text("UPDATE mini__deal__creditors SET debt = 'n/a' WHERE id = 2"))
    before = state()
    # The start refuses, naming the value, rather than serve amounts it could not make exact.
    with pytest.raises(SchemaChangeRefused, match=r"deal__creditors record 2, field 'debt': the value 'n/a'"):
        create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    assert state() == before
    assert before["mini__deal"][0]["amount"] == "NUMERIC(18, 2)"
    plain.dispose()


def test_widening_a_decimal_rescales_its_values(db_url, bundle, tmp_path):
    """On SQLite minor units of scale 4 become minor units of scale 6; PostgreSQL casts."""
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    sf.install(bundle.root)
    deal = sf.records.create(sf.system, "mini", "deal", {"title": "x", "rate": "1.2345", "quantity": 7})
    bundle.edit("entities/deal.json", lambda d: next(f for f in d["fields"] if f["name"] == "rate")
                .update(options={"precision": 12, "scale": 6}))
    report = sf.install(bundle.root).sync
    assert [line.split(":")[0] for line in report.changed_types] == ["mini__deal.rate"]
    got = sf.records.get(sf.system, "mini", "deal", deal["id"])
    assert got["rate"] == "1.234500"
    if sf.db.dialect.name == "sqlite":
        assert raw(sf, "SELECT rate, typeof(rate) FROM mini__deal") == [(1234500, "integer")]
    found = sf.records.list(sf.system, "mini", "deal", where={"field": "rate", "op": "eq", "value": "1.2345"})
    assert [r["id"] for r in found.items] == [deal["id"]]
    sf.close()


def test_a_start_converts_without_an_install_and_costs_one_query_after(sqlite_url, bundle, tmp_path, monkeypatch):
    """The start-up entry point: the apps' tables as the catalog built them, converted before
    any read; a second start finds nothing to do."""
    ids = install_the_old_way(sqlite_url, bundle, tmp_path / "files", monkeypatch)
    assert legacy_state(sqlite_url)[2]
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    tables = sf.catalog.get("mini").tables.metadata.sorted_tables
    declared_types, kinds, legacy = legacy_state(sqlite_url)
    assert declared_types["amount"] == "DECIMAL(18, 2)" and kinds == {"integer"} and not legacy
    assert [sf.records.get(sf.system, "mini", "deal", i)["amount"] for i in ids[:2]] == ["0.10", "0.20"]
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(sf.db, "before_cursor_execute", record)
    try:
        assert convert_legacy_decimals_at_start(sf.db, tables) == []
    finally:
        event.remove(sf.db, "before_cursor_execute", record)
    queries = [s for s in statements if s != "BEGIN"]  # SQLite connections begin explicitly
    assert len(queries) == 1 and "sqlite_master" in queries[0]
    sf.close()
