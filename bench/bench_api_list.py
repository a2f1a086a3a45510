"""The REST list endpoint on a 1,000,000-row PostgreSQL entity against the same query in raw SQL.

A benchmark, not a timed test: it prints numbers and never fails on them. Targets (screens
issue): a page of 50 rows with a filter and a sort, server time through the API within 1.5x of
raw SQL and p95 under 50 ms; a web process with the three sample apps loaded stays under 250 MB
resident.

    python bench/bench_api_list.py                  # 1,000,000 rows on the local PostgreSQL
    python bench/bench_api_list.py --rows 100000 --calls 100
    python bench/bench_api_list.py --skip-list      # only the web process's resident size

The bench app's ``amount`` and ``due`` are marked ``indexed`` here (an app sorting big lists by
them would have them); one case sorts on ``quantity``, which has no index. Server time is the
Flask test client's round trip (routing, JWT check, permissions, the
RecordService query, JSON), with no network in between. The raw side runs the SQL the service
runs for the same page (taken from SQLAlchemy's ``before_cursor_execute``) on a connection held
open, so the ratio is the platform's whole overhead on top of the database's own work. Calls
are interleaved (API, raw, raw, API, ...) so drift hits both sides alike.

The resident size is measured in a fresh child process (this script with ``--web-process``):
it loads the three sample apps with their seed data into SQLite, builds the web app, logs in
through the login form and the API, and serves every screen three times: the start page, the
inbox, and per entity the list, a card, each pipeline's board, the calendar (entities with a
date field) and the API list. ``VmRSS`` (now) and ``VmHWM`` (peak) come from
``/proc/self/status``.
"""
from __future__ import annotations

import argparse
import json
import re
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
from werkzeug.security import generate_password_hash  # noqa: E402

from stageflow.runtime import create_stageflow  # noqa: E402
from stageflow.security.users import set_admin  # noqa: E402
from stageflow.storage import platform_tables as st  # noqa: E402
from stageflow.web import create_app  # noqa: E402

TARGET_RATIO, TARGET_P95_MS, TARGET_RSS_MB = 1.5, 50.0, 250.0
# The bench app with ``amount`` and ``due`` marked ``indexed`` in its metadata, as an app whose big
# lists are sorted by them would have them; ``quantity`` stays without an index.
INDEXED_SORT_FIELDS = ("amount", "due")
CASES = {  # name: (user, query string of GET /api/v1/bench/task/)
    "status=open, sort -id": ("admin", "status=open&sort=-id&limit=50"),
    "assignee=alice, sort -due": ("admin", "assignee=alice&sort=-due&limit=50"),
    "status=open, sort -amount": ("admin", "status=open&sort=-amount&limit=50"),
    # A worker sees only the tasks assigned to them (record rule "assigned", per-record grants).
    "alice (rule), status=open, sort -amount": ("alice", "status=open&sort=-amount&limit=50"),
    # The sort field has no index: the database sorts the 250,000 open tasks for every page.
    "status=open, sort -quantity (no index)": ("admin", "status=open&sort=-quantity&limit=50"),
}
PASSWORD = "bench password 1"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


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


def timed_pair(api_call, raw_call, calls: int, warmup: int) -> tuple[list[float], list[float]]:
    """Seconds per call of each side, interleaved (the side going first alternates)."""
    for _ in range(warmup):
        api_call(), raw_call()
    api_t, raw_t = [], []
    for i in range(calls):
        for side in (("api", "raw") if i % 2 == 0 else ("raw", "api")):
            start = time.perf_counter()
            api_call() if side == "api" else raw_call()
            (api_t if side == "api" else raw_t).append(time.perf_counter() - start)
    return api_t, raw_t


def login_tokens(client, usernames) -> dict[str, str]:
    tokens = {}
    for username in usernames:
        response = client.post("/api/v1/security/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)
        tokens[username] = response.get_json()["access_token"]
    return tokens


def api_bundle(folder: Path) -> Path:
    """The bench app bundle with the sort fields of :data:`INDEXED_SORT_FIELDS` indexed."""
    bundle = write_bundle(folder)
    path = bundle / "entities" / f"{ENTITY}.json"
    entity = json.loads(path.read_text(encoding="utf-8"))
    for spec in entity["fields"]:
        if spec["name"] in INDEXED_SORT_FIELDS:
            spec["indexed"] = True
    path.write_text(json.dumps(entity, indent=2), encoding="utf-8")
    return bundle


def run_list(url: str, rows: int, calls: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        sf = create_stageflow(url, files_dir=Path(folder) / "files")
        try:
            sf.install(api_bundle(Path(folder) / "bundle"))
            fill_seconds = fill(sf.db, f"{APP}__{ENTITY}", rows)
            print(f"filled {rows:,} rows in {fill_seconds:.1f} s", flush=True)
            with sf.db.begin() as conn:
                set_admin(conn, "admin", PASSWORD)
                conn.execute(st.users.update().where(st.users.c.username == "alice")
                             .values(password_hash=generate_password_hash(PASSWORD)))
            app = create_app(sf, secret_key="bench-secret-" * 4)
            add_floor_route(app)
            client = app.test_client()
            tokens = login_tokens(client, {user for user, _ in CASES.values()})
            floor = run_floor(client, calls)
            print(f"framework floor (empty JSON route): {floor['mean_ms']:.2f} ms", flush=True)
            for name, (user, query) in CASES.items():
                results[name] = run_case(sf, client, tokens[user], query, calls)
                r = results[name]
                print(f"{name}: api {r['api']['mean_ms']:.1f} ms, raw {r['raw']['mean_ms']:.1f} ms", flush=True)
        finally:
            sf.close()
    return results, floor


FLOOR_PATH = "/bench-floor"


def add_floor_route(app) -> None:
    """A route that only answers ``{}``: what any request costs in this Flask app (before the
    first request, as Flask wants)."""
    app.add_url_rule(FLOOR_PATH, "bench_floor", lambda: {})


def run_floor(client, calls: int) -> dict:
    """The framework's floor per request (routing, the app's before/after hooks, JSON, the test
    client), against doing nothing."""
    def floor_call():
        assert client.get(FLOOR_PATH).status_code == 200

    floor_t, _ = timed_pair(floor_call, lambda: None, calls, 10)
    return summary(floor_t)


def run_case(sf, client, token: str, query: str, calls: int) -> dict:
    path = f"/api/v1/{APP}/{ENTITY}/?{query}"
    headers = {"Authorization": f"Bearer {token}"}

    def api_call():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    statement, parameters = captured_sql(sf.db, api_call)
    ids = [r["id"] for r in api_call().get_json()["items"]]
    with sf.db.connect() as conn:
        raw_ids = [r[0] for r in conn.exec_driver_sql(statement, parameters)]
        # The service asks for one row more than the page: is there a next page?
        assert raw_ids[:len(ids)] == ids, f"{query}: raw SQL gave other rows"

        def raw_call():
            conn.exec_driver_sql(statement, parameters).fetchall()

        api_t, raw_t = timed_pair(api_call, raw_call, calls, 10)
    api, raw = summary(api_t), summary(raw_t)
    return {"query": query, "api": api, "raw": raw, "ratio": api["mean_ms"] / raw["mean_ms"],
            "ratio_p50": api["p50_ms"] / raw["p50_ms"], "rows_returned": len(ids),
            "sql": " ".join(statement.split())}


# -- the web process's resident size ------------------------------------------------------------

def status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def screen_paths(sf) -> tuple[list[str], list[str]]:
    """Every screen of every installed entity (browser paths) and the API lists."""
    screens, api = ["/", "/inbox/"], []
    for app_name in sf.catalog.names():
        for name, entity in sf.catalog.get(app_name).spec.entities.items():
            base = f"/{app_name}/{name}"
            screens.append(f"{base}/")
            first = sf.records.list(sf.system, app_name, name, limit=1).items
            if first:
                screens.append(f"{base}/{first[0]['id']}")
            screens += [f"{base}/board?pipeline={p.name}" for p in entity.pipelines]
            if any(f.kind in ("date", "datetime") for f in entity.fields):
                screens.append(f"{base}/calendar")
            api.append(f"/api/v1/{app_name}/{name}/")
    return screens, api


def web_process() -> dict:
    """In this process: load the sample apps, build the web app, serve every screen thrice."""
    from stageflow.demo import ensure_admin, load_sample_apps

    with tempfile.TemporaryDirectory(prefix="sf_bench_rss_") as tmp:
        folder = Path(tmp)
        sf = create_stageflow(f"sqlite:///{folder}/demo.db", files_dir=folder / "files")
        try:
            loaded = list(load_sample_apps(sf))
            ensure_admin(sf, PASSWORD)
            app = create_app(sf, secret_key="rss-secret-" * 4)
            after_build = status_kib("VmRSS")
            requests = serve_screens(sf, app)
            return {"apps": [a.app for a in loaded], "records_loaded": sum(a.records_added for a in loaded),
                    "requests": requests, "rss_after_build_mb": after_build / 1024,
                    "rss_mb": status_kib("VmRSS") / 1024, "peak_rss_mb": status_kib("VmHWM") / 1024}
        finally:
            sf.close()


def serve_screens(sf, app, rounds: int = 3) -> int:
    """Log in (form and API) and request every screen and API list ``rounds`` times; how many."""
    browser = app.test_client()
    page = browser.get("/login/").get_data(as_text=True)
    response = browser.post("/login/", data={"username": "admin", "password": PASSWORD,
                                             "csrf_token": CSRF_INPUT.search(page).group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)
    api_client = app.test_client()
    headers = {"Authorization": f"Bearer {login_tokens(api_client, ['admin'])['admin']}"}
    screens, api = screen_paths(sf)
    for _ in range(rounds):
        for path in screens:
            got = browser.get(path)
            assert got.status_code == 200, f"{path}: {got.status_code}"
        for path in api:
            got = api_client.get(path, headers=headers)
            assert got.status_code == 200, f"{path}: {got.status_code}"
    return rounds * (len(screens) + len(api))


def web_process_rss() -> dict:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--web-process"],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- report -------------------------------------------------------------------------------------

def print_report(report: dict) -> None:
    print(f"machine: {report['machine']}")
    floor = report.get("floor")
    if floor:
        print(f"{'framework floor (empty JSON route)':42} mean/p50/p95 {floor['mean_ms']:.2f}/{floor['p50_ms']:.2f}/"
              f"{floor['p95_ms']:.2f} ms")
    for name, r in report.get("list", {}).items():
        met = r["ratio"] <= TARGET_RATIO and r["api"]["p95_ms"] <= TARGET_P95_MS
        # What the platform adds on top of the framework's floor and the query, per raw query time.
        net = (r["api"]["mean_ms"] - floor["mean_ms"]) / r["raw"]["mean_ms"] if floor else float("nan")
        print(f"{name:42} api mean/p50/p95 {r['api']['mean_ms']:.2f}/{r['api']['p50_ms']:.2f}/"
              f"{r['api']['p95_ms']:.2f} ms  raw {r['raw']['mean_ms']:.2f}/{r['raw']['p50_ms']:.2f}/"
              f"{r['raw']['p95_ms']:.2f} ms  ratio {r['ratio']:.2f} (above the floor {net:.2f})  "
              f"{'met' if met else 'MISSED'}")
    web = report.get("web_process")
    if web:
        print(f"web process, three sample apps ({web['records_loaded']} records, {web['requests']} requests): "
              f"{web['rss_mb']:.0f} MB resident (after building the app {web['rss_after_build_mb']:.0f} MB, "
              f"peak {web['peak_rss_mb']:.0f} MB), target {TARGET_RSS_MB:.0f} MB: "
              f"{'met' if web['peak_rss_mb'] <= TARGET_RSS_MB else 'MISSED'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG_URL, help="PostgreSQL server URL (a fresh database is made there)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per side and case (default 200)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--skip-list", action="store_true", help="only measure the web process's size")
    parser.add_argument("--web-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.web_process:  # the child of web_process_rss()
        print(json.dumps(web_process()))
        return 0
    report = {"machine": machine(args.db), "rows": args.rows, "calls": args.calls}
    problem = None if args.skip_list else pg_reachable(args.db)
    if problem:
        print(f"PostgreSQL not reachable ({problem}); list part skipped")
    elif not args.skip_list:
        with fresh_pg_database(args.db) as url:
            report["list"], report["floor"] = run_list(url, args.rows, args.calls)
    report["web_process"] = web_process_rss()
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
