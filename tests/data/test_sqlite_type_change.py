"""A field's type change on a live database keeps every child-table row and every reference.

Regression: on SQLite the sync changed a column's type through a table rebuild, whose DROP of
the old table ran ON DELETE CASCADE (foreign keys are on) and deleted every child-table row of
the entity; changing deal ``title`` from string to text emptied ``creditors``. Now a column
swap changes the one column. The same tests run on PostgreSQL, which alters in place.
"""
from __future__ import annotations

import pytest
from sqlalchemy import Text, inspect, text

from stageflow.runtime import create_stageflow
from stageflow.storage import sqlite_column_swap
from tests.bundle_edit import EditableBundle


def field(doc: dict, name: str) -> dict:
    return next(f for f in doc["fields"] if f["name"] == name)


@pytest.fixture
def bundle(mini_bundle, tmp_path):
    """The mini app, with a unique deal title and a contract entity that links to deals."""
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.edit("entities/deal.json", lambda d: field(d, "title").update(unique=True))
    bundle.write("entities/contract.json", {
        "schema_version": 1, "name": "contract", "label": "Contract",
        "fields": [{"name": "number", "kind": "string", "required": True},
                   {"name": "deal", "kind": "link", "options": {"entity": "deal"}}]})
    return bundle


@pytest.fixture
def engine(db_url, tmp_path):
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    yield sf
    sf.close()


def fill(sf) -> list[int]:
    """Deals with creditors, each linked from a contract and linking to a client."""
    client = sf.records.create(sf.system, "mini", "client", {"full_name": "Иван"})
    deals = []
    for n, title in enumerate(["Поставка", "Supply", "x" * 255]):
        deal = sf.records.create(sf.system, "mini", "deal", {
            "title": title, "client": client["id"], "amount": f"{n}.50",
            "creditors": [{"creditor": f"Bank {n}", "debt": "10.00"}, {"creditor": f"Fund {n}", "debt": None}]})
        sf.records.create(sf.system, "mini", "contract", {"number": f"C-{n}", "deal": deal["id"]})
        deals.append(deal["id"])
    return deals


def rows(sf, table: str) -> list[tuple]:
    with sf.db.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY id')]


def by_name(sf, table: str) -> dict[str, dict]:
    """Each row of ``table`` by id, as a dict (the swapped column moves to the end on SQLite)."""
    with sf.db.connect() as conn:
        return {r["id"]: dict(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{table}"').mappings()}


def schema(sf) -> dict:
    """Columns, indexes and foreign keys of every table, to prove a failed change touched none."""
    with sf.db.connect() as conn:
        insp = inspect(conn)
        return {t: ([(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)],
                    sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
                    insp.get_foreign_keys(t))
                for t in sorted(insp.get_table_names())}


def title_to_text(doc: dict) -> None:
    field(doc, "title")["kind"] = "text"


def test_type_change_of_a_parent_column_keeps_child_rows_and_references(engine, bundle):
    """The finding: deal ``title`` string -> text; every creditor row, every contract's link to
    its deal and every title are still there, and the unique index over the title too."""
    engine.install(bundle.root)
    deals = fill(engine)
    creditors, contracts = rows(engine, "mini__deal__creditors"), rows(engine, "mini__contract")
    deals_before = by_name(engine, "mini__deal")
    assert len(creditors) == 6 and len(contracts) == 3  # the test cannot pass on empty tables

    bundle.edit("entities/deal.json", title_to_text)
    report = engine.install(bundle.root).sync
    assert [line.split(":")[0] for line in report.changed_types] == ["mini__deal.title"]

    assert rows(engine, "mini__deal__creditors") == creditors
    assert rows(engine, "mini__contract") == contracts
    assert by_name(engine, "mini__deal") == deals_before
    got = [engine.records.get(engine.system, "mini", "deal", d) for d in deals]
    assert [d["title"] for d in got] == ["Поставка", "Supply", "x" * 255]
    assert [[c["creditor"] for c in d["creditors"]] for d in got] == [
        [f"Bank {n}", f"Fund {n}"] for n in range(3)]
    with engine.db.connect() as conn:
        insp = inspect(conn)
        assert isinstance(next(c["type"] for c in insp.get_columns("mini__deal") if c["name"] == "title"), Text)
        unique = {i["name"]: (i["column_names"], bool(i["unique"])) for i in insp.get_indexes("mini__deal")}
        assert unique["uq_mini__deal_title"] == (["title"], True)
        assert [fk["referred_table"] for fk in insp.get_foreign_keys("mini__deal__creditors")] == ["mini__deal"]
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    # Longer than the old VARCHAR(255), and the foreign key still cascades a delete.
    engine.records.update(engine.system, "mini", "deal", deals[1], {"title": "y" * 5000})
    assert engine.records.get(engine.system, "mini", "deal", deals[1])["title"] == "y" * 5000
    with engine.db.begin() as conn:
        conn.execute(text("DELETE FROM mini__deal WHERE id = :id"), {"id": deals[0]})
    assert len(rows(engine, "mini__deal__creditors")) == 4


def test_a_failure_half_way_through_a_swap_leaves_everything_as_it_was(sqlite_url, tmp_path, bundle, monkeypatch):
    """The old column is already dropped and the new one renamed when the failure strikes: the
    transaction takes it all back, the column, its values, its index and the child rows."""
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    try:
        sf.install(bundle.root)
        fill(sf)
        before = schema(sf), {t: rows(sf, t) for t in ("mini__deal", "mini__deal__creditors", "mini__contract")}
        bundle.edit("entities/deal.json", title_to_text)

        def disk_full(*args, **kwargs):
            raise RuntimeError("disk full")
        monkeypatch.setattr(sqlite_column_swap, "_recreate_indexes", disk_full)
        with pytest.raises(RuntimeError, match="disk full"):
            sf.install(bundle.root)

        after = schema(sf), {t: rows(sf, t) for t in ("mini__deal", "mini__deal__creditors", "mini__contract")}
        assert after == before
        assert sf.catalog.get("mini").revision == 1
        monkeypatch.undo()
        assert sf.install(bundle.root).sync.changed_types  # and the change itself still works
    finally:
        sf.close()


def test_a_filled_link_column_keeps_its_index_when_it_widens_to_a_decimal(engine, bundle):
    """A link column holds record ids (no foreign key): its only type change that keeps data is
    a widening to a wide decimal; its index is recreated and the ids are kept."""
    engine.install(bundle.root)
    fill(engine)
    contracts = {r["id"]: r["deal"] for r in by_name(engine, "mini__contract").values()}

    def deal_to_decimal(doc):
        doc["fields"][1] = {"name": "deal", "kind": "decimal", "indexed": True,
                            "options": {"precision": 38, "scale": 0}}
    bundle.edit("entities/contract.json", deal_to_decimal)
    report = engine.install(bundle.root).sync
    assert [line.split(":")[0] for line in report.changed_types] == ["mini__contract.deal"]
    got = {r["id"]: r["deal"] for r in engine.records.list(engine.system, "mini", "contract").items}
    assert got == {i: str(d) for i, d in contracts.items()}
    with engine.db.connect() as conn:
        assert "ix_mini__contract_deal" in {i["name"] for i in inspect(conn).get_indexes("mini__contract")}
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


def test_an_indexed_string_becoming_text_loses_only_its_index(engine, bundle):
    """The sync drops the index of a field that becomes text (text is never indexed) after the
    swap recreated it: the values stay, the index goes, and the next load changes nothing."""
    bundle.edit("entities/client.json", lambda d: field(d, "phone").update(indexed=True))
    engine.install(bundle.root)
    client = engine.records.create(engine.system, "mini", "client", {"full_name": "A", "phone": "+7 900 111-22-33"})
    with engine.db.connect() as conn:
        assert "ix_mini__client_phone" in {i["name"] for i in inspect(conn).get_indexes("mini__client")}

    bundle.edit("entities/client.json", lambda d: field(d, "phone").update(kind="text", indexed=False))
    report = engine.install(bundle.root).sync
    assert [line.split(":")[0] for line in report.changed_types] == ["mini__client.phone"]
    assert engine.records.get(engine.system, "mini", "client", client["id"])["phone"] == "+7 900 111-22-33"
    with engine.db.connect() as conn:
        assert "ix_mini__client_phone" not in {i["name"] for i in inspect(conn).get_indexes("mini__client")}
    assert not engine.install(bundle.root).sync.changed
