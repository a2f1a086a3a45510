"""Issue 22 item 8: money and decimals are exact on every database.

On SQLite a decimal column holds integer minor units (``storage.exact_decimal``); PostgreSQL
keeps NUMERIC. The same amounts give the same sums, filters, order and aggregates on both, and
``Decimal`` values at the boundary as before.
"""
from __future__ import annotations

import random
from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, Column, MetaData, Table, create_engine, func, select, text

from stageflow.core.conditions import default_operators
from stageflow.core.fields import Storage
from stageflow.data.backup import backup, restore
from stageflow.runtime import create_stageflow
from stageflow.storage.column_types import column_type
from stageflow.storage.exact_decimal import (
    MinorUnitsOutOfRange,
    average,
    from_minor_units,
    to_minor_units,
)

AMOUNTS = 100_000
OPERATORS = default_operators()


def random_amounts(seed: int, count: int) -> list[Decimal]:
    """Amounts with two decimals up to 10,000,000.00, a few of them repeated (ties for eq)."""
    rng = random.Random(seed)
    amounts = [Decimal(rng.randint(0, 1_000_000_000)).scaleb(-2) for _ in range(count)]
    for i in range(0, count, 1000):
        amounts[i] = Decimal("0.10") if i % 2000 else Decimal("0.20")
    return amounts


def money_table() -> tuple[MetaData, Table]:
    metadata = MetaData()
    table = Table("ledger", metadata, Column("id", BigInteger, primary_key=True, autoincrement=False),
                  Column("amount", column_type(Storage.DECIMAL, precision=18, scale=2)))
    return metadata, table


def test_minor_units_are_exact_and_refuse_what_they_cannot_keep():
    assert to_minor_units(Decimal("0.10"), 2) == 10
    assert to_minor_units(Decimal("-1234.5"), 2) == -123450
    assert to_minor_units(0.1, 2) == 10  # a float at its shortest spelling, not 0.1000000000000000055
    assert to_minor_units(Decimal("9999999999999999.99"), 2) == 999999999999999999
    assert from_minor_units(10, 2) == Decimal("0.10") and str(from_minor_units(0, 2)) == "0.00"
    assert str(from_minor_units(-123450, 2)) == "-1234.50"
    with pytest.raises(MinorUnitsOutOfRange, match="more than 2 decimal places"):
        to_minor_units(Decimal("1.005"), 2)
    with pytest.raises(MinorUnitsOutOfRange, match="at most 18 digits"):
        to_minor_units(Decimal("1" * 20), 2)
    with pytest.raises(MinorUnitsOutOfRange, match="not a finite number"):
        to_minor_units(Decimal("NaN"), 2)
    with pytest.raises(MinorUnitsOutOfRange, match="not a number"):
        to_minor_units("abc", 2)


def test_sqlite_stores_integers_and_postgresql_keeps_numeric(sqlite_url, pg_url):
    metadata, table = money_table()
    declared = {}
    for url in (sqlite_url, pg_url):
        engine = create_engine(url)
        with engine.begin() as conn:
            metadata.create_all(conn)
            conn.execute(table.insert(), [{"id": 1, "amount": Decimal("0.10")}, {"id": 2, "amount": None}])
            declared[engine.dialect.name] = conn.execute(text(
                "SELECT data_type FROM information_schema.columns WHERE table_name = 'ledger' "
                "AND column_name = 'amount'") if engine.dialect.name == "postgresql" else text(
                "SELECT type FROM pragma_table_info('ledger') WHERE name = 'amount'")).scalar_one()
            if engine.dialect.name == "sqlite":
                assert conn.execute(text("SELECT amount, typeof(amount) FROM ledger ORDER BY id")).all() == [
                    (10, "integer"), (None, "null")]
            assert conn.execute(select(table.c.amount).order_by(table.c.id)).scalars().all() == [Decimal("0.10"), None]
        engine.dispose()
    assert declared == {"sqlite": "DECIMAL(18, 2)", "postgresql": "numeric"}


def _measure(url: str, amounts: list[Decimal]) -> dict:
    """Insert the amounts through the platform's column type (Core executemany, the bulk path)
    and read back sums, aggregates, order and the ids each filter finds."""
    metadata, table = money_table()
    engine = create_engine(url)
    amount = table.c.amount
    probes = {
        "eq": ("eq", Decimal("0.10")), "ne": ("ne", Decimal("0.20")), "gt": ("gt", Decimal("9990000.00")),
        "lt": ("lt", Decimal("10000.00")), "gte": ("gte", amounts[7]), "lte": ("lte", amounts[7]),
        "between": ("between", [Decimal("5000000.00"), Decimal("5010000.55")]),
        "between_open": ("between", [None, Decimal("1000.00")]),
        "in": ("in", [Decimal("0.20"), amounts[3], amounts[5]]),
        "not_in": ("not_in", [Decimal("0.10"), Decimal("0.20")]),
        "is_empty": ("is_empty", None), "is_not_empty": ("is_not_empty", None),
    }
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            rows = [{"id": i, "amount": value} for i, value in enumerate(amounts, 1)]
            rows.append({"id": len(amounts) + 1, "amount": None})
            conn.execute(table.insert(), rows)
            result = dict(zip(("sum", "min", "max", "avg", "count"), conn.execute(select(
                func.sum(amount), func.min(amount), func.max(amount), average(amount), func.count(amount))).one()))
            result["filters"] = {
                name: conn.execute(select(table.c.id).where(OPERATORS.get(op).sql(amount, operand))
                                   .order_by(table.c.id)).scalars().all()
                for name, (op, operand) in probes.items()}
            if engine.dialect.name == "sqlite":
                # What SQLite itself adds up, before any conversion: whole minor units.
                result["stored_sum"] = conn.execute(text("SELECT sum(amount), typeof(sum(amount)) FROM ledger")).one()
            result["order"] = conn.execute(select(table.c.id).where(amount.is_not(None))
                                           .order_by(amount.desc(), table.c.id).limit(2000)).scalars().all()
            result["sample"] = conn.execute(select(amount).where(table.c.id.in_([1, 4, 1001]))
                                            .order_by(table.c.id)).scalars().all()
    finally:
        engine.dispose()
    return result


def test_100k_amounts_sum_filter_and_sort_alike_on_sqlite_and_postgresql(sqlite_url, pg_url):
    amounts = random_amounts(seed=22_08, count=AMOUNTS)
    expected_sum = sum(amounts, Decimal(0))
    lite, pg = _measure(sqlite_url, amounts), _measure(pg_url, amounts)

    assert lite["sum"] == pg["sum"] == expected_sum
    assert str(lite["sum"]) == str(pg["sum"])  # same scale too, not only the same number
    assert lite["stored_sum"] == (int(expected_sum * 100), "integer")
    assert lite["min"] == pg["min"] == min(amounts) and lite["max"] == pg["max"] == max(amounts)
    assert lite["count"] == pg["count"] == AMOUNTS
    # AVG divides in major units on both (untyped func.avg would give minor units on SQLite).
    exact_mean = expected_sum / AMOUNTS
    assert abs(lite["avg"] - exact_mean) < Decimal("0.000001") and abs(pg["avg"] - exact_mean) < Decimal("0.000001")
    assert lite["filters"] == pg["filters"]
    by_id = dict(enumerate(amounts, 1))
    assert lite["filters"]["eq"] == [i for i, v in by_id.items() if v == Decimal("0.10")] != []
    assert lite["filters"]["gt"] == [i for i, v in by_id.items() if v > Decimal("9990000.00")] != []
    assert lite["filters"]["lt"] == [i for i, v in by_id.items() if v < Decimal("10000.00")] != []
    assert lite["filters"]["between"] == [
        i for i, v in by_id.items() if Decimal("5000000.00") <= v <= Decimal("5010000.55")] != []
    assert lite["filters"]["is_empty"] == [AMOUNTS + 1]
    assert lite["order"] == pg["order"]
    assert lite["sample"] == pg["sample"] == [amounts[0], amounts[3], amounts[1000]]


def test_func_avg_without_the_column_type_would_read_minor_units(sqlite_url):
    """Why ``average`` exists: SQLAlchemy's func.avg is untyped, so the driver's raw average
    comes back."""
    metadata, table = money_table()
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(table.insert(), [{"id": 1, "amount": Decimal("0.10")}, {"id": 2, "amount": Decimal("0.20")}])
        raw, typed = conn.execute(select(func.avg(table.c.amount), average(table.c.amount))).one()
    engine.dispose()
    assert raw == 15.0 and typed == Decimal("0.15")


def test_records_keep_exact_amounts_through_the_service(db_url, mini_bundle, tmp_path):
    """Create, update, filter, sort and list money and decimal fields (children included)."""
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    sf.install(mini_bundle)
    ids = []
    for amount in ("0.10", "0.20", "0.30", "1234567890123.45", "-7.05"):
        record = sf.records.create(sf.system, "mini", "deal", {
            "title": f"deal {amount}", "amount": amount, "rate": "0.0001",
            "creditors": [{"creditor": "Bank", "debt": amount}]})
        ids.append(record["id"])
    sf.records.update(sf.system, "mini", "deal", ids[0], {"amount": "0.15"})
    # The service shows decimals as exact strings of the field's scale, as before.
    assert sf.records.get(sf.system, "mini", "deal", ids[0])["amount"] == "0.15"
    got = sf.records.get(sf.system, "mini", "deal", ids[3])
    assert got["amount"] == "1234567890123.45" and got["rate"] == "0.0001"
    assert got["vat"] == "246913578024.69"
    assert got["creditors"][0]["debt"] == "1234567890123.45"

    def found(condition, sort="id"):
        page = sf.records.list(sf.system, "mini", "deal", where=condition, sort=sort, limit=50)
        return [r["id"] for r in page.items]

    assert found({"field": "amount", "op": "eq", "value": "0.2"}) == [ids[1]]
    assert found({"field": "amount", "op": "between", "value": ["0.15", "0.30"]}) == ids[:3]
    assert found({"field": "amount", "op": "in", "value": ["0.30", "-7.05"]}) == [ids[2], ids[4]]
    assert found({"field": "amount", "op": "lt", "value": 0}) == [ids[4]]
    assert found({"all": [{"field": "amount", "op": "gt", "value": "0.15"}]}, sort=["-amount"]) == [ids[3], ids[2], ids[1]]
    listed = sf.records.list(sf.system, "mini", "deal", sort=["amount"], limit=50).items
    assert sum((Decimal(r["amount"]) for r in listed), Decimal(0)) == Decimal("1234567890123.45") + Decimal("0.15") + \
        Decimal("0.20") + Decimal("0.30") - Decimal("7.05")
    sf.close()


@pytest.mark.parametrize("direction", ["sqlite_to_postgres", "postgres_to_sqlite"])
def test_a_backup_restores_the_same_amounts_on_the_other_database(direction, sqlite_url, pg_url, mini_bundle, tmp_path):
    source_url, target_url = (sqlite_url, pg_url) if direction == "sqlite_to_postgres" else (pg_url, sqlite_url)
    sf = create_stageflow(source_url, files_dir=tmp_path / "files-a")
    sf.install(mini_bundle)
    amounts = ["0.10", "0.20", "9999999999999999.99", "-0.01", None]
    for amount in amounts:
        sf.records.create(sf.system, "mini", "deal", {"title": "x", "amount": amount, "rate": "12.3456",
                                                      "creditors": [{"creditor": "c", "debt": amount}]})
    with sf.db.connect() as conn:
        backup(conn, sf.catalog, sf.files, tmp_path / "backup.zip")
    sf.close()
    other = create_stageflow(target_url, files_dir=tmp_path / "files-b")
    restore(other.db, other.catalog, other.kinds, other.files, tmp_path / "backup.zip")
    page = other.records.list(other.system, "mini", "deal", sort=["id"], limit=50).items
    restored = [other.records.get(other.system, "mini", "deal", r["id"]) for r in page]
    assert [r["amount"] for r in restored] == amounts
    assert [r["creditors"][0]["debt"] for r in restored] == amounts
    assert {r["rate"] for r in restored} == {"12.3456"}
    other.close()
