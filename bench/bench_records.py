"""RecordService create/list against raw SQLAlchemy Core on the same table, with the ratio.

A benchmark, not a timed test: it prints numbers and never fails on them. Targets (foundation
issue): create (validation, history, outbox included) within 2x of a raw insert; list within
1.5x of the raw query.

    python bench/bench_records.py                      # SQLite (temp folder) and PostgreSQL
    python bench/bench_records.py --db sqlite --rows 500
    python bench/bench_records.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/bench_records.py --json results.json --profile
    python bench/bench_records.py --db sqlite --prefill 100000          # at scale
    python bench/bench_records.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres --prefill 1000000

``--db`` may be repeated: ``sqlite`` is a SQLite file in a temp folder, a ``sqlite:///`` URL is
used as given (it must not hold a ``bench`` app), a PostgreSQL URL is the server on which a fresh
database ``sf_bench_<hex>`` is created and dropped at the end.

``--prefill N`` bulk-fills the table with N rows (and ``sf_outbox`` with their N processed
``created`` events, as a system that made those records through the service would hold) before
anything is timed: ``INSERT ... SELECT generate_series`` on PostgreSQL, ``executemany`` in
batches on SQLite, then ``ANALYZE``. Setup, not measured.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import pstats
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "platform")]

import sqlalchemy as sa  # noqa: E402
from bench_schema import fill as pg_fill  # noqa: E402
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
    summary,
    write_bundle,
)

from stageflow.data.events import dumps  # noqa: E402
from stageflow.runtime import create_stageflow  # noqa: E402
from stageflow.storage import platform_tables as st  # noqa: E402

# The raw side's event insert, built once like the service's statements.
RAW_OUTBOX_INSERT = st.outbox.insert()

TARGETS = {"create": 2.0, "list": 1.5}
PAGE = 50
FILTER = {"field": "status", "op": "eq", "value": "open"}
SORT = "-amount"


# -- inputs -------------------------------------------------------------------------------------

def api_inputs(n: int, rng: random.Random) -> list[dict]:
    """What a client would send: JSON values (amounts and dates as text), every field set."""
    base = dt.date(2026, 1, 1)
    rows = []
    for i in range(n):
        rows.append({
            "title": f"Task {i} {rng.choice(['report', 'invoice', 'call', 'visit'])}",
            "amount": f"{rng.randint(0, 10_000_000) / 100:.2f}",
            "due": (base + dt.timedelta(days=rng.randint(0, 700))).isoformat(),
            "assignee": rng.choice(USERS),
            "status": rng.choice(STATUSES),
            "quantity": rng.randint(0, 500),
            "flag": rng.random() < 0.5,
            "notes": "Some notes about the task. " * rng.randint(0, 4),
            "reference": f"REF-{rng.randint(1, 10**8):08d}",
            "started_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T09:30:00",
        })
    return rows


def stored_row(values: dict, now: dt.datetime) -> dict:
    """The same record as the columns the service writes, already typed (no parsing in raw)."""
    return {**values, "amount": Decimal(values["amount"]), "due": dt.date.fromisoformat(values["due"]),
            "started_at": dt.datetime.fromisoformat(values["started_at"]), "notes": values["notes"] or None,
            "version": 1, "created_at": now, "created_by": "system", "updated_at": now,
            "updated_by": "system", "pipeline": "flow", "stage": "todo", "stage_changed_at": now}


# -- prefill ------------------------------------------------------------------------------------

PREFILL_BATCH = 20_000
PREFILL_START = dt.datetime(2026, 1, 1, 9, 30)


def prefill_row(g: int, now: dt.datetime) -> dict:
    """Row ``g`` as bench_schema's ``INSERT ... SELECT`` makes it on PostgreSQL (same spread)."""
    return {"version": 1, "created_at": now, "created_by": "system", "updated_at": now, "updated_by": "system",
            "pipeline": "flow", "stage": STAGES[g % len(STAGES)], "stage_changed_at": now,
            "title": f"Task {g}", "amount": Decimal(g % 10_000_000) / 100,
            "due": dt.date(2026, 1, 1) + dt.timedelta(days=g % 700), "assignee": USERS[g % len(USERS)],
            "status": STATUSES[(g // 7) % len(STATUSES)], "quantity": g % 500, "flag": g % 2 == 0,
            "notes": f"Some notes about task {g}" if g % 3 == 0 else None, "reference": f"REF-{g:08d}",
            "started_at": PREFILL_START + dt.timedelta(hours=g % 5000)}


def prefill_event(g: int, now: dt.datetime) -> dict:
    return {"app": APP, "entity": ENTITY, "record_id": g, "event": "created",
            "payload": json.dumps({"values": {"title": f"Task {g}", "status": "open"}}), "actor": "system",
            "created_at": now, "processed_at": now}


def prefill_outbox_pg(engine, rows: int) -> None:
    g = sa.func.generate_series(1, rows).column_valued("g")
    payload = sa.literal('{"values":{"title":"Task ') + sa.cast(g, sa.String) + sa.literal('","status":"open"}}')
    now = sa.func.now()
    events = sa.select(sa.literal(APP), sa.literal(ENTITY), g, sa.literal("created"), payload,
                       sa.literal("system"), now, now)
    with engine.begin() as conn:
        conn.execute(st.outbox.insert().from_select(
            ["app", "entity", "record_id", "event", "payload", "actor", "created_at", "processed_at"], events))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE sf_outbox")


def prefill(engine, table, rows: int) -> float:
    """Fill an empty table with ``rows`` records and the outbox with their events; seconds taken."""
    start = time.perf_counter()
    if engine.dialect.name == "postgresql":
        pg_fill(engine, table.name, rows)
        prefill_outbox_pg(engine, rows)
        return time.perf_counter() - start
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    for first in range(1, rows + 1, PREFILL_BATCH):
        numbers = range(first, min(first + PREFILL_BATCH, rows + 1))
        with engine.begin() as conn:
            conn.execute(table.insert(), [prefill_row(g, now) for g in numbers])
            conn.execute(st.outbox.insert(), [prefill_event(g, now) for g in numbers])
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


# -- create -------------------------------------------------------------------------------------

def bench_create(sf, table, n: int, rng: random.Random) -> dict:
    """Service create against a raw insert, and against raw doing the same writes (row + event)."""
    inputs = {side: api_inputs(n + 50, rng) for side in ("service", "raw", "raw+event")}
    times: dict[str, list[float]] = {side: [] for side in inputs}

    def service_op(values):
        start = time.perf_counter()
        sf.records.create(sf.system, APP, ENTITY, values)
        return time.perf_counter() - start

    def raw_op(values):
        row = stored_row(values, sf.clock())
        start = time.perf_counter()
        with sf.db.begin() as conn:
            conn.execute(table.insert(), row)
        return time.perf_counter() - start

    def raw_event_op(values):
        row = stored_row(values, sf.clock())
        start = time.perf_counter()
        with sf.db.begin() as conn:
            record_id = conn.execute(table.insert(), row).inserted_primary_key[0]
            conn.execute(RAW_OUTBOX_INSERT, {"app": APP, "entity": ENTITY, "record_id": record_id, "event": "created",
                                         "payload": dumps({"values": values, "automation": True}),
                                         "actor": "system", "created_at": row["created_at"]})
        return time.perf_counter() - start

    ops = {"service": service_op, "raw": raw_op, "raw+event": raw_event_op}
    sides = list(ops)
    for side in sides:  # warm-up: caches, pool, statement compilation
        for values in inputs[side][:50]:
            ops[side](values)
    # Interleave blocks of 50 (rotating which side goes first) so drift hits every side alike.
    for block, start in enumerate(range(50, n + 50, 50)):
        for side in sides[block % 3:] + sides[:block % 3]:
            for values in inputs[side][start:min(start + 50, n + 50)]:
                times[side].append(ops[side](values))
    return {"create": compare("create", times["service"], times["raw"]),
            "create (same writes)": compare("create vs raw row + outbox event",
                                            times["service"], times["raw+event"])}


# -- list ---------------------------------------------------------------------------------------

def raw_page(engine, table, where) -> list[dict]:
    query = (sa.select(table).where(*where)
             .order_by(table.c.amount.desc().nulls_first(), table.c.id.desc()).limit(PAGE))
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def bench_list(sf, table, repeat: int) -> dict:
    alice = sf.actor("alice")
    plain = [table.c.status == "open"]
    rule = [table.c.assignee == "alice", table.c.status == "open"]
    # The exact predicate the service builds for alice's "assigned" rule, per-record grants
    # adding and denials removing (security/permissions.py), so the raw side runs the same SQL.
    _, service_clause = sf.catalog.context(APP, ENTITY).visibility(alice)
    rule_same_sql = [service_clause, table.c.status == "open"]
    cases = {
        "list (system actor)": (sf.system, plain),
        "list (rule: assigned)": (alice, rule),
    }
    results = {}
    for name, (actor, where) in cases.items():
        service = lambda: sf.records.list(actor, APP, ENTITY, where=FILTER, sort=SORT, limit=PAGE).items  # noqa: E731
        raw = lambda: raw_page(sf.db, table, where)  # noqa: E731
        got, want = [r["id"] for r in service()], [r["id"] for r in raw()]
        assert got == want, f"{name}: the service and raw pages differ"
        results[name] = time_pair(name, service, raw, repeat)
    same = time_pair("list (rule, raw runs the same SQL)",
                     lambda: sf.records.list(alice, APP, ENTITY, where=FILTER, sort=SORT, limit=PAGE),
                     lambda: raw_page(sf.db, table, rule_same_sql), repeat)
    results[same["name"]] = same
    return results


def time_pair(name: str, service, raw, repeat: int) -> dict:
    for _ in range(min(20, repeat)):
        service(), raw()
    service_t, raw_t = [], []
    for i in range(repeat):
        for side in (("s", "r") if i % 2 == 0 else ("r", "s")):
            start = time.perf_counter()
            service() if side == "s" else raw()
            (service_t if side == "s" else raw_t).append(time.perf_counter() - start)
    return compare(name, service_t, raw_t)


def compare(name: str, service_t: list[float], raw_t: list[float]) -> dict:
    service, raw = summary(service_t), summary(raw_t)
    target = TARGETS["create" if name.startswith("create") else "list"]
    ratio = service["mean_ms"] / raw["mean_ms"]
    return {"name": name, "service": service, "raw": raw, "ratio_mean": ratio,
            "ratio_p50": service["p50_ms"] / raw["p50_ms"], "target": target, "met": ratio <= target}


# -- profile ------------------------------------------------------------------------------------

def profile(sf, n: int, repeat: int, rng: random.Random) -> str:
    """cProfile of the service side only: where create and list spend their time."""
    alice = sf.actor("alice")
    inputs = api_inputs(n, rng)
    out = io.StringIO()
    for label, work in (
            ("create", lambda: [sf.records.create(sf.system, APP, ENTITY, v) for v in inputs]),
            ("list (rule: assigned)", lambda: [sf.records.list(alice, APP, ENTITY, where=FILTER, sort=SORT)
                                               for _ in range(repeat)])):
        prof = cProfile.Profile()
        prof.enable()
        work()
        prof.disable()
        out.write(f"\n--- profile: {label} ---\n")
        stats = pstats.Stats(prof, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(25)
    return out.getvalue()


# -- one backend --------------------------------------------------------------------------------

def run_backend(label: str, url: str, rows: int, repeat: int, want_profile: bool, prefilled: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="sf_bench_") as tmp:
        sf = create_stageflow(url, files_dir=Path(tmp) / "files")
        try:
            sf.install(write_bundle(Path(tmp) / "bundle"))
            table = sf.catalog.context(APP, ENTITY).table
            prefill_seconds = prefill(sf.db, table, prefilled) if prefilled else 0.0
            if prefilled:
                print(f"{label}: prefilled {prefilled:,} rows and events in {prefill_seconds:.1f} s", flush=True)
            rng = random.Random(20261123)
            results = bench_create(sf, table, rows, rng)
            with sf.db.connect() as conn:
                total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                outbox = conn.execute(sa.select(sa.func.count()).select_from(st.outbox)).scalar_one()
            results.update(bench_list(sf, table, repeat))
            report = {"backend": label, "prefilled": prefilled, "prefill_seconds": prefill_seconds,
                      "table_rows": total, "outbox_rows": outbox, "results": results}
            if want_profile:
                report["profile"] = profile(sf, min(rows, 500), min(repeat, 200), rng)
            return report
        finally:
            sf.close()


def print_report(report: dict) -> None:
    print(f"\n{report['backend']}: table {report['table_rows']} rows, outbox {report['outbox_rows']} events")
    print(f"{'operation':38} {'service mean/p50/p95 ms':>25} {'raw mean/p50/p95 ms':>23} "
          f"{'ratio':>6} {'p50 r':>6} {'target':>7}")
    for r in report["results"].values():
        s, w = r["service"], r["raw"]
        print(f"{r['name']:38} {s['mean_ms']:7.3f} {s['p50_ms']:7.3f} {s['p95_ms']:7.3f}   "
              f"{w['mean_ms']:7.3f} {w['p50_ms']:7.3f} {w['p95_ms']:7.3f} {r['ratio_mean']:6.2f} "
              f"{r['ratio_p50']:6.2f} {'<=' + str(r['target']):>5} {'ok' if r['met'] else 'MISSED'}")
    if report.get("profile"):
        print(report["profile"])


def backends(args) -> list[tuple[str, str | None, str]]:
    """(label, admin URL for PostgreSQL or None, URL or 'sqlite')."""
    chosen = args.db or ["sqlite", DEFAULT_PG_URL]
    out = []
    for db in chosen:
        if db == "sqlite" or db.startswith("sqlite"):
            out.append(("sqlite", None, db))
        else:
            db = "postgresql+psycopg://" + db.split("://", 1)[1] if db.startswith("postgresql://") else db
            out.append(("postgresql", db, db))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", action="append", help="sqlite, a sqlite:/// URL or a PostgreSQL server URL")
    parser.add_argument("--rows", type=int, default=2000, help="records created per side (default 2000)")
    parser.add_argument("--repeat", type=int, default=200, help="timed list calls per side (default 200)")
    parser.add_argument("--json", help="write the machine-readable results to this file")
    parser.add_argument("--profile", action="store_true", help="also cProfile the service side")
    parser.add_argument("--prefill", type=int, default=0, metavar="N",
                        help="bulk-fill the table with N rows (and the outbox with their events) first")
    args = parser.parse_args(argv)
    reports, pg_seen = [], None
    for label, admin_url, url in backends(args):
        if admin_url is None:
            with tempfile.TemporaryDirectory(prefix="sf_bench_db_") as tmp:
                url = f"sqlite:///{tmp}/bench.db" if url == "sqlite" else url
                reports.append(run_backend(label, url, args.rows, args.repeat, args.profile, args.prefill))
        else:
            reason = pg_reachable(admin_url)
            if reason:
                print(f"NOTE: PostgreSQL skipped, unreachable at {admin_url}: {reason}")
                continue
            pg_seen = admin_url
            with fresh_pg_database(admin_url) as pg_url:
                reports.append(run_backend(label, pg_url, args.rows, args.repeat, args.profile, args.prefill))
        print_report(reports[-1])
    result = {"benchmark": "records", "date": dt.date.today().isoformat(), "machine": machine(pg_seen),
              "rows_per_side": args.rows, "list_repeat": args.repeat, "page": PAGE, "prefill": args.prefill,
              "reports": [{k: v for k, v in r.items() if k != "profile"} for r in reports]}
    text = json.dumps(result, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
        print(f"\nresults written to {args.json}")
    else:
        print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
