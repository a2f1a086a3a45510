"""Adding a field to a large PostgreSQL table: the upgrade install, its ALTER, and no rewrite.

A benchmark, not a timed test. Target (foundation issue): adding a field to a 1,000,000-row
PostgreSQL table in under 1 s, without rewriting the table.

    python bench/bench_schema.py                     # 1,000,000 rows on the local PostgreSQL
    python bench/bench_schema.py --rows 100000 --db postgresql+psycopg://postgres@host/postgres

It creates a fresh database ``sf_bench_<hex>`` on the server of ``--db``, installs the bench app,
bulk-fills the entity table with ``INSERT ... SELECT generate_series`` (setup, not measured),
then installs an upgraded bundle with one new non-indexed field through Stageflow's installer
(validate + schema sync + stored revision, one transaction) and times it, with every SQL
statement of the install timed on its own. ``pg_class.relfilenode`` before and after shows
whether PostgreSQL rewrote the table. A second install of the same bundle (no change) is timed
too. The database is dropped at the end; with PostgreSQL unreachable the script prints a note
and exits 0.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "platform")]

import sqlalchemy as sa  # noqa: E402
from benchapp import (  # noqa: E402
    APP,
    DEFAULT_PG_URL,
    ENTITY,
    STAGES,
    STATUSES,
    USERS,
    fresh_pg_database,
    machine,
    pg_reachable,
    write_bundle,
    write_result,
)
from sqlalchemy import event  # noqa: E402

from stageflow.metadata import check_documents, read_bundle  # noqa: E402
from stageflow.runtime import create_stageflow  # noqa: E402

TARGET_SECONDS = 1.0


def _array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


FILL_SQL = f"""
INSERT INTO {{table}} (version, created_at, created_by, updated_at, updated_by, pipeline, stage,
    stage_changed_at, title, amount, due, assignee, status, quantity, flag, notes, reference, started_at)
SELECT 1, now(), 'system', now(), 'system', 'flow', ({_array(STAGES)})[1 + g % {len(STAGES)}], now(),
    'Task ' || g, (g % 10000000) / 100.0, date '2026-01-01' + (g % 700),
    ({_array(USERS)})[1 + g % {len(USERS)}], ({_array(STATUSES)})[1 + (g / 7) % {len(STATUSES)}],
    g % 500, g % 2 = 0, CASE WHEN g % 3 = 0 THEN 'Some notes about task ' || g END,
    'REF-' || lpad(g::text, 8, '0'), timestamp '2026-01-01 09:30' + (g % 5000) * interval '1 hour'
FROM generate_series(1, :rows) AS g
"""


class StatementClock:
    """Times every SQL statement an engine runs while switched on."""

    def __init__(self, engine: sa.Engine):
        self.on, self.records, self._start = False, [], {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._start[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = self._start.pop(id(cursor), None)
        if self.on and started is not None:
            ended = time.perf_counter()
            self.records.append((" ".join(statement.split()), ended - started, ended))

    def take(self) -> list[tuple[str, float, float]]:
        taken, self.records = self.records, []
        return taken


def relation_state(engine: sa.Engine, table: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT c.relfilenode, c.reltuples::bigint AS estimate, pg_total_relation_size(c.oid) AS bytes "
            "FROM pg_class c WHERE c.oid = to_regclass(:t)"), {"t": table}).mappings().one()
        columns = conn.execute(sa.text(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = :t"), {"t": table}).scalar_one()
    return {**row, "columns": columns}


def fill(engine: sa.Engine, table: str, rows: int) -> float:
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text(FILL_SQL.format(table=f'"{table}"')), {"rows": rows})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
    return time.perf_counter() - start


def timed_install(sf, clock: StatementClock, bundle: Path) -> dict:
    clock.take()
    clock.on = True
    start = time.perf_counter()
    result = sf.install(bundle)
    end = time.perf_counter()
    clock.on = False
    statements = clock.take()
    alters = [(s, t, e) for s, t, e in statements if s.upper().startswith("ALTER TABLE")]
    # The ALTER's ACCESS EXCLUSIVE lock lasts until the install commits: readers of the table wait.
    lock_held = end - alters[0][2] + alters[0][1] if alters else 0.0
    return {"seconds": end - start, "lock_held_seconds": lock_held, "revision": result.revision,
            "unchanged": result.unchanged,
            "added_columns": result.sync.added_columns, "changed_types": result.sync.changed_types,
            "statements": len(statements), "sql_seconds": sum(t for _, t, _ in statements),
            "alter_statements": [{"sql": s[:160], "seconds": t} for s, t, _ in alters],
            "slowest": [{"sql": s[:120], "seconds": t} for s, t, _ in sorted(statements, key=lambda x: -x[1])[:5]]}


def bare_alter(engine: sa.Engine, table: str) -> float:
    """The same kind of ALTER by hand, in a transaction rolled back: the DDL's own cost."""
    with engine.connect() as conn:
        trans = conn.begin()
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        start = time.perf_counter()
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN bench_probe VARCHAR(255)')
        seconds = time.perf_counter() - start
        trans.rollback()
    return seconds


def validate_only(sf, bundle: Path) -> float:
    start = time.perf_counter()
    problems: list = []
    checked = check_documents(read_bundle(bundle, problems), sf.kinds, sf.schemas, problems)
    assert checked.ok, checked.problems
    return time.perf_counter() - start


def run(url: str, rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sf_bench_") as tmp:
        v1 = write_bundle(Path(tmp) / "v1")
        v2 = write_bundle(Path(tmp) / "v2", extra_field=True)
        sf = create_stageflow(url, files_dir=Path(tmp) / "files")
        try:
            clock = StatementClock(sf.db)
            first = timed_install(sf, clock, v1)
            table = sf.catalog.context(APP, ENTITY).table.name
            fill_seconds = fill(sf.db, table, rows)
            before = relation_state(sf.db, table)
            bare = bare_alter(sf.db, table)
            validate = validate_only(sf, v2)
            upgrade = timed_install(sf, clock, v2)
            after = relation_state(sf.db, table)
            noop = timed_install(sf, clock, v2)
            start = time.perf_counter()
            record = sf.records.create(sf.system, APP, ENTITY, {"title": "after upgrade", "extra_note": "works"})
            create_after = time.perf_counter() - start
            assert record["extra_note"] == "works" and upgrade["added_columns"] == [f"{table}.extra_note"]
        finally:
            sf.close()
    return {"rows": rows, "table": table, "fill_seconds": fill_seconds, "first_install": first,
            "before": before, "after": after, "rewritten": before["relfilenode"] != after["relfilenode"],
            "bare_alter_seconds": bare, "validate_seconds": validate, "upgrade": upgrade, "noop": noop,
            "create_after_upgrade_seconds": create_after,
            "target_seconds": TARGET_SECONDS, "met": upgrade["seconds"] < TARGET_SECONDS
            and before["relfilenode"] == after["relfilenode"]}


def print_report(r: dict) -> None:
    b, a, up, noop = r["before"], r["after"], r["upgrade"], r["noop"]
    print(f"table {r['table']}: {r['rows']:,} rows filled in {r['fill_seconds']:.1f} s (setup, with VACUUM ANALYZE), "
          f"{b['bytes'] / 2**20:.0f} MiB with indexes")
    print(f"{'step':46} {'seconds':>9}")
    print(f"{'first install (creates the table)':46} {r['first_install']['seconds']:9.3f}")
    print(f"{'validate the upgraded bundle only':46} {r['validate_seconds']:9.3f}")
    print(f"{'bare ALTER TABLE ADD COLUMN (rolled back)':46} {r['bare_alter_seconds']:9.4f}")
    print(f"{'upgrade install: add one field':46} {up['seconds']:9.3f}   "
          f"target < {r['target_seconds']} s: {'ok' if r['met'] else 'MISSED'}")
    for alter in up["alter_statements"]:
        print(f"{'  of which the ALTER: ' + alter['sql'][:24]:46} {alter['seconds']:9.4f}")
    print(f"{'  of which all SQL (' + str(up['statements']) + ' statements)':46} {up['sql_seconds']:9.3f}")
    print(f"{'  table locked (ALTER start to install end)':46} {up['lock_held_seconds']:9.3f}")
    print(f"{'no-op re-install (same bundle)':46} {noop['seconds']:9.3f}   unchanged={noop['unchanged']}, "
          f"added={noop['added_columns'] or 'nothing'}")
    print(f"{'  of which all SQL (' + str(noop['statements']) + ' statements)':46} {noop['sql_seconds']:9.3f}")
    print(f"{'create one record after the upgrade':46} {r['create_after_upgrade_seconds']:9.4f}")
    print(f"relfilenode {b['relfilenode']} -> {a['relfilenode']}: "
          f"{'REWRITTEN' if r['rewritten'] else 'unchanged, no table rewrite'}; "
          f"columns {b['columns']} -> {a['columns']}; size {b['bytes'] / 2**20:.0f} -> {a['bytes'] / 2**20:.0f} MiB")
    print("slowest statements of the upgrade install:")
    for s in up["slowest"]:
        print(f"  {s['seconds']:8.4f}  {s['sql']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG_URL, help="PostgreSQL server URL (a database is created on it)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (default 1,000,000)")
    parser.add_argument("--json", help="write the machine-readable results to this file")
    args = parser.parse_args(argv)
    admin = "postgresql+psycopg://" + args.db.split("://", 1)[1] if args.db.startswith("postgresql://") else args.db
    reason = pg_reachable(admin)
    if reason:
        print(f"NOTE: bench_schema needs PostgreSQL; skipped, unreachable at {admin}: {reason}")
        return 0
    with fresh_pg_database(admin) as url:
        report = run(url, args.rows)
    print_report(report)
    result = {"benchmark": "schema", "date": dt.date.today().isoformat(), "machine": machine(admin), **report}
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
