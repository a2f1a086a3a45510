"""Publishing a builder draft that adds a field to a 1,000,000-row PostgreSQL table (PL24).

A benchmark, not a timed test. Target (builder issue): publishing a draft that adds a nullable
field to an entity of 1,000,000 rows takes under 1 s and does not rewrite the table.

    python bench/bench_builder_publish.py                  # 1,000,000 rows, 5 publishes
    python bench/bench_builder_publish.py --rows 100000 --publishes 10
    python bench/bench_builder_publish.py --db postgresql+psycopg://postgres@host/postgres

It creates a fresh database ``sf_bench_publish_<hex>`` on the server of ``--db``, installs the
smallest valid bundle (``tests/fixtures/valid/mini``), fills the ``client`` entity's table with
``INSERT ... SELECT generate_series`` (setup, not measured), then per round: a raw ``ALTER TABLE
... ADD COLUMN`` of a nullable column, committed (the baseline; the column is dropped again
untimed), the draft edit adding one nullable field (``put_document``), ``preview`` (the schema
sync run and rolled back) and ``publish`` (validate, sync, stored revision, one transaction).
``pg_relation_filenode`` before and after each publish shows whether PostgreSQL rewrote the
table. The database is dropped at the end; with PostgreSQL unreachable the script prints a note
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
from bench_schema import StatementClock  # noqa: E402
from benchapp import DEFAULT_PG_URL, fresh_pg_database, machine, pg_reachable, summary, write_result  # noqa: E402

from stageflow.runtime import create_stageflow  # noqa: E402

TARGET_SECONDS = 1.0
MINI_BUNDLE = HERE.parent / "tests" / "fixtures" / "valid" / "mini"
APP, ENTITY = "mini", "client"
ENTITY_PATH = f"entities/{ENTITY}.json"
RAW_COLUMN = "bench_raw_col"


def fill(engine: sa.Engine, table: sa.Table, rows: int) -> float:
    """``rows`` clients in one ``INSERT ... SELECT generate_series``, then VACUUM ANALYZE."""
    g = sa.func.generate_series(1, rows).column_valued("g")
    number = sa.cast(g, sa.Text)
    now = sa.func.localtimestamp()
    system = sa.literal("system")
    source = sa.select(sa.literal(1), now, system, now, system,
                       sa.literal("Client ") + number,
                       sa.literal("+7900") + sa.func.lpad(number, 7, "0"),
                       sa.literal("client") + number + sa.literal("@example.com"))
    columns = ["version", "created_at", "created_by", "updated_at", "updated_by", "full_name", "phone", "email"]
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(table.insert().from_select(columns, source))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM ANALYZE {quoted(engine, table.name)}")
    return time.perf_counter() - start


def quoted(engine: sa.Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def relation_state(engine: sa.Engine, table: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT pg_relation_filenode(to_regclass(:t)) AS filenode, "
            "pg_total_relation_size(to_regclass(:t)) AS bytes, "
            "(SELECT count(*) FROM information_schema.columns WHERE table_name = :t) AS columns"),
            {"t": table}).mappings().one()
    return dict(row)


def raw_add_column(engine: sa.Engine, table: str) -> float:
    """The same DDL by hand, committed like a publish; the column is dropped again untimed."""
    name = quoted(engine, table)
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {RAW_COLUMN} VARCHAR(100)")
    seconds = time.perf_counter() - start
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {name} DROP COLUMN {RAW_COLUMN}")
    return seconds


def publish_round(sf, clock: StatementClock, table: str, field_name: str) -> dict:
    actor = sf.system
    draft = sf.drafts.open(actor, APP)
    entity = draft.documents[ENTITY_PATH]
    edited = {**entity, "fields": [*entity["fields"], {"name": field_name, "kind": "string", "label": field_name}]}
    start = time.perf_counter()
    sf.drafts.put_document(actor, APP, ENTITY_PATH, edited, base_revision=draft.base_revision)
    put_seconds = time.perf_counter() - start

    start = time.perf_counter()
    preview = sf.drafts.preview(actor, APP)
    preview_seconds = time.perf_counter() - start
    assert not preview.problems and preview.refused is None, (preview.problems, preview.refused)
    assert preview.added_columns == [f"{table}.{field_name}"], preview.added_columns

    before = relation_state(sf.db, table)
    clock.take()
    clock.on = True
    start = time.perf_counter()
    result = sf.drafts.publish(actor, APP, draft.base_revision)
    publish_seconds = time.perf_counter() - start
    clock.on = False
    statements = clock.take()
    after = relation_state(sf.db, table)
    assert result.sync.added_columns == [f"{table}.{field_name}"], result.sync.added_columns
    assert sf.catalog.get(APP).spec.entity(ENTITY).has_field(field_name)
    alters = [seconds for sql, seconds, _ in statements if sql.upper().startswith("ALTER TABLE")]
    return {"field": field_name, "revision": result.revision, "put_seconds": put_seconds,
            "preview_seconds": preview_seconds, "publish_seconds": publish_seconds,
            "statements": len(statements), "sql_seconds": sum(s for _, s, _ in statements),
            "alter_seconds": sum(alters), "before": before, "after": after,
            "rewritten": before["filenode"] != after["filenode"]}


def run(url: str, rows: int, publishes: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sf_bench_") as tmp:
        sf = create_stageflow(url, files_dir=Path(tmp) / "files")
        try:
            clock = StatementClock(sf.db)
            sf.install(MINI_BUNDLE)
            table = sf.catalog.context(APP, ENTITY).table
            fill_seconds = fill(sf.db, table, rows)
            raw_seconds, rounds = [], []
            for number in range(1, publishes + 1):  # raw and publish alternate: drift hits both
                raw_seconds.append(raw_add_column(sf.db, table.name))
                rounds.append(publish_round(sf, clock, table.name, f"bench_note_{number}"))
            with sf.db.connect() as conn:
                counted = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        finally:
            sf.close()
    publish = summary([r["publish_seconds"] for r in rounds])
    raw = summary(raw_seconds)
    return {"rows": rows, "counted_rows": counted, "table": table.name, "fill_seconds": fill_seconds,
            "publish": publish, "preview": summary([r["preview_seconds"] for r in rounds]),
            "put_document": summary([r["put_seconds"] for r in rounds]), "raw_add_column": raw,
            "ratio_p50_publish_to_raw": publish["p50_ms"] / raw["p50_ms"], "rounds": rounds,
            "rewritten": any(r["rewritten"] for r in rounds), "target_seconds": TARGET_SECONDS,
            "met": max(r["publish_seconds"] for r in rounds) < TARGET_SECONDS
            and not any(r["rewritten"] for r in rounds)}


def print_report(r: dict) -> None:
    first, last = r["rounds"][0], r["rounds"][-1]
    print(f"table {r['table']}: {r['counted_rows']:,} rows filled in {r['fill_seconds']:.1f} s "
          f"(setup, with VACUUM ANALYZE), {first['before']['bytes'] / 2**20:.0f} MiB; {len(r['rounds'])} rounds")
    print(f"{'step':44} {'mean ms':>9} {'p50 ms':>9} {'p95 ms':>9}")
    for label, key in (("raw ALTER TABLE ADD COLUMN (committed)", "raw_add_column"),
                       ("put_document (draft edit, one field)", "put_document"),
                       ("preview (sync run and rolled back)", "preview"), ("publish", "publish")):
        s = r[key]
        print(f"{label:44} {s['mean_ms']:9.1f} {s['p50_ms']:9.1f} {s['p95_ms']:9.1f}")
    print(f"publish p50 / raw p50: {r['ratio_p50_publish_to_raw']:.0f}x; "
          f"target < {r['target_seconds']:.0f} s for every publish, no rewrite: {'met' if r['met'] else 'MISSED'}")
    for round_ in r["rounds"]:
        print(f"  revision {round_['revision']}: publish {round_['publish_seconds'] * 1e3:7.1f} ms "
              f"({round_['statements']} statements, SQL {round_['sql_seconds'] * 1e3:.1f} ms, "
              f"ALTER {round_['alter_seconds'] * 1e3:.1f} ms); filenode {round_['before']['filenode']} -> "
              f"{round_['after']['filenode']}{' REWRITTEN' if round_['rewritten'] else ''}")
    print(f"filenode {first['before']['filenode']} -> {last['after']['filenode']}: "
          f"{'REWRITTEN' if r['rewritten'] else 'unchanged, no table rewrite'}; columns "
          f"{first['before']['columns']} -> {last['after']['columns']}; size "
          f"{first['before']['bytes'] / 2**20:.0f} -> {last['after']['bytes'] / 2**20:.0f} MiB")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG_URL, help="PostgreSQL server URL (a database is created on it)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (default 1,000,000)")
    parser.add_argument("--publishes", type=int, default=5, help="publishes, one new field each (default 5)")
    parser.add_argument("--json", help="write the machine-readable results to this file")
    args = parser.parse_args(argv)
    admin = "postgresql+psycopg://" + args.db.split("://", 1)[1] if args.db.startswith("postgresql://") else args.db
    reason = pg_reachable(admin)
    if reason:
        print(f"NOTE: bench_builder_publish needs PostgreSQL; skipped, unreachable at {admin}: {reason}")
        return 0
    with fresh_pg_database(admin, prefix="sf_bench_publish") as url:
        report = run(url, args.rows, args.publishes)
    print_report(report)
    result = {"benchmark": "builder_publish", "date": dt.date.today().isoformat(), "machine": machine(admin), **report}
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
