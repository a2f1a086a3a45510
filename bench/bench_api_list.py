"""The REST list endpoint on a 1,000,000-row PostgreSQL entity against the same query in raw SQL.

A benchmark, not a timed test. Targets (screens issue): a page of 50 rows with a filter and a
sort, server time through the API within 1.5x of raw SQL and p95 under 50 ms; a web process with
the three sample apps loaded stays under 250 MB resident.

    python bench/bench_api_list.py                  # 1,000,000 rows on the local PostgreSQL
    python bench/bench_api_list.py --rows 100000 --calls 100

Server time is the Flask test client's round trip (routing, JWT check, permissions, the
RecordService query, JSON), with no network in between. The raw side runs the SQL the service
runs for the same page (taken from SQLAlchemy's ``before_cursor_execute``), so the ratio is the
platform's overhead on top of the database's own work. The resident size is measured in a fresh
child process that loads the three sample apps into SQLite, builds the web app and serves the
start page and a list of every entity once.
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
from bench_schema import fill  # noqa: E402
from benchapp import APP, DEFAULT_PG_URL, ENTITY, fresh_pg_database, machine, pg_reachable, summary, write_bundle  # noqa: E402
from sqlalchemy import event  # noqa: E402

from stageflow.runtime import create_stageflow  # noqa: E402
from stageflow.security.users import set_admin  # noqa: E402
from stageflow.web import create_app  # noqa: E402

TARGET_RATIO, TARGET_P95_MS, TARGET_RSS_MB = 1.5, 50.0, 250.0
CASES = {  # name: query string of GET /api/v1/bench/task/
    "status=open, sort -id": "status=open&sort=-id&limit=50",
    "assignee=alice, sort -due": "assignee=alice&sort=-due&limit=50",
    "status=open, sort -amount": "status=open&sort=-amount&limit=50",
}
PASSWORD = "bench password 1"


def captured_sql(engine: sa.Engine, call):
    """Run ``call`` and return the last SELECT on the entity table it sent, with its parameters."""
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if f"{APP}__{ENTITY}" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen[-1]


def timed(call, calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def run_list(url: str, rows: int, calls: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        sf = create_stageflow(url, files_dir=Path(folder) / "files")
        sf.install(write_bundle(Path(folder) / "bundle"))
        fill(sf.db, f"{APP}__{ENTITY}", rows)
        with sf.db.begin() as conn:
            set_admin(conn, "admin", PASSWORD)
        app = create_app(sf, secret_key="bench-secret-" * 4)
        client = app.test_client()
        token = client.post("/api/v1/security/login", json={"username": "admin", "password": PASSWORD}).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for name, query in CASES.items():
            path = f"/api/v1/{APP}/{ENTITY}/?{query}"

            def api_call():
                response = client.get(path, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                return response

            statement, parameters = captured_sql(sf.db, api_call)
            ids = [r["id"] for r in api_call().get_json()["items"]]
            with sf.db.connect() as conn:
                raw_ids = [r[0] for r in conn.exec_driver_sql(statement, parameters)]
                assert raw_ids[:len(ids)] == ids, f"{name}: raw SQL gave other rows"  # the service asks for one more row: is there a next page?

                def raw_call():
                    conn.exec_driver_sql(statement, parameters).fetchall()

                raw = summary(timed(raw_call, calls, 10))
            api = summary(timed(api_call, calls, 10))
            results[name] = {"api": api, "raw": raw, "ratio": api["mean_ms"] / raw["mean_ms"],
                             "rows_returned": len(ids)}
        sf.close()
    return results


RSS_CHILD = r"""
import resource, sys, tempfile
from pathlib import Path
from stageflow.demo import ensure_admin, load_sample_apps
from stageflow.runtime import create_stageflow
from stageflow.web import create_app
folder = tempfile.mkdtemp()
sf = create_stageflow(f"sqlite:///{folder}/demo.db", files_dir=Path(folder) / "files")
list(load_sample_apps(sf))
ensure_admin(sf, "rss password 1")
client = create_app(sf, secret_key="rss-secret-" * 4).test_client()
token = client.post("/api/v1/security/login", json={"username": "admin", "password": "rss password 1"}).get_json()["access_token"]
for app in sf.catalog.names():
    for entity in sf.catalog.get(app).spec.entities:
        assert client.get(f"/api/v1/{app}/{entity}/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(rss / 1024, peak / 1024)
"""


def web_process_rss() -> dict:
    done = subprocess.run([sys.executable, "-c", RSS_CHILD], capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(HERE.parent / "platform"), "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    rss, peak = (float(v) for v in done.stdout.split()[-2:])
    return {"rss_mb": rss, "peak_rss_mb": peak}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG_URL, help="PostgreSQL server URL (a fresh database is made there)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    report = {"machine": machine(args.db), "rows": args.rows, "calls": args.calls}
    problem = pg_reachable(args.db)
    if problem:
        print(f"PostgreSQL not reachable ({problem}); list part skipped")
    else:
        with fresh_pg_database(args.db) as url:
            report["list"] = run_list(url, args.rows, args.calls)
    report["web_process"] = web_process_rss()
    print(f"machine: {report['machine']}")
    for name, r in report.get("list", {}).items():
        verdict = "met" if r["ratio"] <= TARGET_RATIO and r["api"]["p95_ms"] <= TARGET_P95_MS else "MISSED"
        print(f"{name:28} api mean/p50/p95 {r['api']['mean_ms']:.2f}/{r['api']['p50_ms']:.2f}/{r['api']['p95_ms']:.2f} ms"
              f"  raw {r['raw']['mean_ms']:.2f}/{r['raw']['p50_ms']:.2f}/{r['raw']['p95_ms']:.2f} ms"
              f"  ratio {r['ratio']:.2f}  {verdict}")
    web = report["web_process"]
    print(f"web process, three sample apps: {web['rss_mb']:.0f} MB resident (peak {web['peak_rss_mb']:.0f} MB), "
          f"target {TARGET_RSS_MB:.0f} MB: {'met' if web['peak_rss_mb'] <= TARGET_RSS_MB else 'MISSED'}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
