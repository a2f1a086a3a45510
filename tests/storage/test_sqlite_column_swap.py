"""The SQLite column swap: a type change that keeps values, constraints, indexes and the rows
of referring tables, refuses what SQLite cannot drop, and changes nothing when it fails."""
from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, Text, inspect, text

from stageflow.storage import sqlite_column_swap
from stageflow.storage.database import open_database, write_transaction
from stageflow.storage.ddl import SchemaChangeRefused
from stageflow.storage.sqlite_column_swap import swap_column

SCHEMA = [
    "CREATE TABLE parent (id INTEGER PRIMARY KEY, title VARCHAR(20) NOT NULL DEFAULT 'none', "
    "code VARCHAR(10), score INTEGER CHECK (score >= 0), tag VARCHAR(5) UNIQUE, rank INTEGER)",
    "CREATE UNIQUE INDEX uq_parent_title ON parent (title)",
    "CREATE UNIQUE INDEX uq_parent_code ON parent (code)",  # a parent key of coded.parent_code
    "CREATE INDEX ix_parent_code_title ON parent (code, title DESC)",
    "CREATE INDEX ix_parent_lower_title ON parent (lower(title))",
    "CREATE INDEX ix_parent_coded ON parent (id) WHERE code IS NOT NULL",
    "CREATE TABLE child (id INTEGER PRIMARY KEY, "
    "parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE, note VARCHAR(10))",
    "CREATE TABLE coded (id INTEGER PRIMARY KEY, parent_code VARCHAR(10) REFERENCES parent (code))",
    "INSERT INTO parent (id, title, code, score, tag, rank) VALUES (1, 'Alpha', 'A', 1, 'a', 1), "
    "(2, 'Бета', NULL, 2, 'b', 2), (3, 'Gamma', 'C', NULL, NULL, NULL)",
    "INSERT INTO child (parent_id, note) VALUES (1, 'x'), (1, 'y'), (2, 'z'), (3, 'w')",
]


@pytest.fixture
def db(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'swap.db'}")
    with write_transaction(engine) as conn:
        for statement in SCHEMA:
            conn.exec_driver_sql(statement)
    yield engine
    engine.dispose()


def state(db) -> dict:
    """Everything a swap could touch: stored DDL, every row, the foreign-key check."""
    with db.connect() as conn:
        return {
            "schema": sorted(map(tuple, conn.exec_driver_sql("SELECT type, name, sql FROM sqlite_master"))),
            "parent": conn.exec_driver_sql("SELECT id, title, code, score, tag, rank FROM parent ORDER BY id").all(),
            "child": conn.exec_driver_sql("SELECT * FROM child ORDER BY id").all(),
            "fk_check": conn.exec_driver_sql("PRAGMA foreign_key_check").all(),
        }


def index_ddl(db) -> dict[str, str]:
    with db.connect() as conn:
        return dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all())


def test_swap_keeps_values_not_null_default_indexes_and_child_rows(db):
    before, indexes = state(db), index_ddl(db)
    with write_transaction(db) as conn:
        swap_column(conn, "parent", "title", Text())
    after = state(db)
    assert after["parent"] == before["parent"] and after["child"] == before["child"]
    assert after["fk_check"] == []
    assert index_ddl(db) == indexes  # unique, multi-column, expression and partial alike
    with db.connect() as conn:
        title = next(c for c in inspect(conn).get_columns("parent") if c["name"] == "title")
        assert isinstance(title["type"], Text) and title["nullable"] is False and title["default"] == "'none'"
        conn.exec_driver_sql("INSERT INTO parent (id, code) VALUES (4, 'D')")  # the default fills it
        assert conn.exec_driver_sql("SELECT title FROM parent WHERE id = 4").scalar_one() == "none"
        with pytest.raises(Exception, match="UNIQUE constraint failed: parent.title"):
            conn.exec_driver_sql("INSERT INTO parent (id, title) VALUES (5, 'Alpha')")
        conn.rollback()


def test_a_converter_gives_the_values_and_may_refuse_with_nothing_changed(db):
    with write_transaction(db) as conn:
        swap_column(conn, "parent", "rank", Integer(), lambda value, row_id: value * 10 + row_id)
    assert [row[5] for row in state(db)["parent"]] == [11, 22, None]
    before = state(db)

    def refuse_row_2(value, row_id):
        if row_id == 2:
            raise SchemaChangeRefused(f"parent record {row_id}: {value!r} does not fit")
        return value
    with pytest.raises(SchemaChangeRefused, match="parent record 2"), write_transaction(db) as conn:
        swap_column(conn, "parent", "rank", String(5), refuse_row_2)
    assert state(db) == before


def test_a_failure_half_way_is_rolled_back_even_when_the_caller_goes_on(db, monkeypatch):
    """The swap is one savepoint: old column dropped, new one renamed, then the failure; the
    caller catches it and commits, and the table is as it was."""
    before = state(db)

    def disk_full(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(sqlite_column_swap, "_recreate_indexes", disk_full)
    with write_transaction(db) as conn:
        with pytest.raises(RuntimeError, match="disk full"):
            swap_column(conn, "parent", "title", Text())
        conn.exec_driver_sql("UPDATE child SET note = 'kept' WHERE id = 1")
    after = state(db)
    assert after["schema"] == before["schema"] and after["parent"] == before["parent"]
    assert after["child"][0][-1] == "kept" and after["child"][1:] == before["child"][1:]


@pytest.mark.parametrize(("table", "column", "reason"), [
    ("parent", "id", "primary key"),
    ("child", "parent_id", "part of a foreign key"),
    ("parent", "code", "the foreign keys of coded refer to it"),
    ("parent", "tag", "UNIQUE constraint"),
    ("parent", "score", "a CHECK constraint names it"),
    ("child", "missing", "no such column"),
])
def test_what_sqlite_cannot_drop_is_refused_naming_table_and_column(db, table, column, reason):
    before = state(db)
    with pytest.raises(SchemaChangeRefused, match=rf"table '{table}', column '{column}': .*{reason}"), \
            write_transaction(db) as conn:
        swap_column(conn, table, column, Text())
    assert state(db) == before


def test_not_null_without_default_and_a_view_are_refused(db):
    with write_transaction(db) as conn:
        conn.exec_driver_sql("CREATE TABLE strict_note (id INTEGER PRIMARY KEY, body VARCHAR(5) NOT NULL)")
        conn.exec_driver_sql("INSERT INTO strict_note (body) VALUES ('a')")
        conn.exec_driver_sql("CREATE VIEW child_notes AS SELECT note FROM child")
    before = state(db)
    with pytest.raises(SchemaChangeRefused, match=r"'strict_note', column 'body': .*NOT NULL without a default"), \
            write_transaction(db) as conn:
        swap_column(conn, "strict_note", "body", Text())
    with pytest.raises(SchemaChangeRefused, match=r"'child', column 'note': .*SQLite refused to drop it"), \
            write_transaction(db) as conn:
        swap_column(conn, "child", "note", Text())
    assert state(db) == before


def test_an_sqlite_too_old_to_drop_a_column_is_refused(db, monkeypatch):
    with db.connect() as conn:
        monkeypatch.setattr(conn.dialect, "server_version_info", (3, 34, 1))
        with pytest.raises(SchemaChangeRefused, match=r"SQLite 3\.34\.1 cannot drop a column"):
            swap_column(conn, "parent", "title", Text())


def test_the_swap_runs_no_drop_table(db):
    """The data-loss path is gone: no statement of a swap drops or renames a table."""
    statements = []
    with write_transaction(db) as conn:
        conn.connection.driver_connection.set_trace_callback(statements.append)
        try:
            swap_column(conn, "parent", "title", Text())
        finally:
            conn.connection.driver_connection.set_trace_callback(None)
    ddl = [s.upper() for s in statements if s.upper().startswith(("ALTER", "DROP", "CREATE"))]
    assert ddl and not any("DROP TABLE" in s or "RENAME TO" in s for s in ddl), ddl
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM child")).scalar_one() == 4
