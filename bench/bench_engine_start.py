"""Engine start: what opening Stageflow on an existing database costs, per process and per test.

A benchmark, not a timed test. Every CLI call, Celery process, web worker and test engine starts
an engine on a database that is already set up. Measured in one run, on SQLite and PostgreSQL:

- ``start``: ``create_stageflow(url)`` on a database this release has migrated (the platform
  schema digest is read and matches; the installed apps are loaded);
- ``start with comparison``: the same plus the Alembic comparison of every platform table inside a
  write transaction, which is what every start did before the digest (``migrate_platform_tables``);
- ``raw``: the baseline, a new SQLAlchemy engine and one ``SELECT 1``.

Ratios are against ``raw``. A second part times whole processes: ``python -c`` importing Stageflow
and starting an engine, as a CLI command does.

    python bench/bench_engine_start.py                 # 30 starts per case, local PostgreSQL
    python bench/bench_engine_start.py --starts 100 --db postgresql+psycopg://postgres@host/postgres
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "platform")]

import sqlalchemy as sa  # noqa: E402
from benchapp import DEFAULT_PG_URL, fresh_pg_database, machine, pg_reachable, summary, write_bundle  # noqa: E402

from stageflow.runtime import create_stageflow  # noqa: E402
from stageflow.storage.database import write_transaction  # noqa: E402
from stageflow.storage.platform_schema import migrate_platform_tables  # noqa: E402

PROCESS_CODE = ("import sys; from stageflow.runtime import create_stageflow; "
                "create_stageflow(sys.argv[1], files_dir=sys.argv[2]).close()")


def _timed(action, starts: int) -> dict[str, float]:
    seconds = []
    for _ in range(starts):
        began = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - began)
    return summary(seconds)  # milliseconds


def measure(url: str, files: Path, starts: int) -> dict[str, dict[str, float]]:
    first = create_stageflow(url, files_dir=files)
    first.install(write_bundle(files.parent / "bundle"))
    first.close()

    def start():
        create_stageflow(url, files_dir=files).close()

    def start_with_comparison():
        engine = create_stageflow(url, files_dir=files)
        with write_transaction(engine.db) as conn:
            migrate_platform_tables(conn)
        engine.close()

    def raw():
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()

    result = {"raw": _timed(raw, starts), "start": _timed(start, starts),
              "start with comparison": _timed(start_with_comparison, starts)}
    process = [sys.executable, "-c", PROCESS_CODE, url, str(files)]
    result["process: import + start"] = _timed(lambda: subprocess.run(process, check=True), max(3, starts // 5))
    result["process: import only"] = _timed(
        lambda: subprocess.run([sys.executable, "-c", "import stageflow.runtime"], check=True), max(3, starts // 5))
    return result


def report(name: str, result: dict[str, dict[str, float]]) -> None:
    raw = result["raw"]["mean_ms"]
    print(f"\n{name}")
    for case, stats in result.items():
        ratio = f"{stats['mean_ms'] / raw:6.1f}x raw" if not case.startswith("process") else ""
        print(f"  {case:28s} mean {stats['mean_ms']:8.1f} ms  p50 {stats['p50_ms']:8.1f} ms  {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--db", default=DEFAULT_PG_URL, help="PostgreSQL admin URL (a database is created)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        results["sqlite"] = measure(f"sqlite:///{root}/start.db", root / "files", args.starts)
        report("SQLite", results["sqlite"])
        problem = pg_reachable(args.db)
        if problem:
            print(f"\nPostgreSQL skipped: {problem}")
        else:
            with fresh_pg_database(args.db) as url:
                (root / "pg").mkdir()
                results["postgresql"] = measure(url, root / "pg" / "files", args.starts)
                report("PostgreSQL", results["postgresql"])
    print("\n" + json.dumps({"machine": machine(args.db if "postgresql" in results else None)}, indent=1))


if __name__ == "__main__":
    main()
