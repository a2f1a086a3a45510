"""Automation under load: Redis, real Celery worker processes, PostgreSQL.

A benchmark, not a timed test: it prints numbers (a table, then JSON) and never fails on them.
Targets (automation issue): trigger-to-action p95 under 1 s at 200 events/s with two workers; at
least 500 rule evaluations per second per worker; time triggers firing within 5 s of their due
time with 100,000 timers pending.

    python bench/bench_automation.py                       # local PostgreSQL and Redis db 13
    python bench/bench_automation.py --rates 200,50 --seconds 30 --timers 100000
    python bench/bench_automation.py --only throughput,evaluations --profile
    python bench/bench_automation.py --db postgresql+psycopg://postgres@host:5432/postgres \\
        --redis redis://host:6379/13 --json results.json

A fresh database ``sf_bench_<hex>`` is created on the PostgreSQL server and dropped at the end;
the Redis database (default 13) is flushed before and after, so give it one nobody else uses.
The workers are started exactly as deployed, ``python -m stageflow.cli worker --db URL
--concurrency 1`` (each with its embedded beat), in folders of their own, and killed by process
group at the end (see ``tests/automation/reliability_support.py``).

Phases (``--only`` picks some):

- ``throughput``: N records created in one transaction, then one ring; events per second until
  the last rule ran, with one worker and then two. The rule posts a robot comment.
- ``latency``: records created at each of ``--rates`` per second for ``--seconds``, each write ringing the
  workers (what ``Stageflow.start_automation`` does with a broker); trigger-to-action latency =
  the ``sf_rule_run`` row's insert time minus the ``sf_outbox`` row's insert time, both taken by
  PostgreSQL's ``clock_timestamp()`` (columns added to this throwaway database only: the
  platform's own timestamps have one-second resolution).
- ``evaluations``: 20 rules on ``record_created`` whose condition is false; rule evaluations per
  second, per worker (each evaluation also writes its "skipped" run-log row, as the engine does).
- ``timers``: ``--timers`` pending timers written by SQL (2% due over the next minute, the rest
  over the next 30 days); lag = the moment the sweep marked a timer fired (a trigger records
  ``clock_timestamp()``) minus its due time; then a burst of 2,000 overdue timers and the rate
  at which they fire (``--burst``).
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "platform"), str(REPO)]

import sqlalchemy as sa
from benchapp import (
    APP,
    DEFAULT_PG_URL,
    ENTITY,
    fresh_pg_database,
    machine,
    pg_reachable,
    write_bundle,
)

from stageflow.runtime import create_stageflow
from stageflow.storage.database import write_transaction
from tests.automation.reliability_support import CeleryWorker, Doorbell, wait_until

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PHASES = ("throughput", "latency", "evaluations", "timers")
TARGETS = {"latency_p95_ms": 1000, "evaluations_per_worker_s": 500, "timer_lag_p95_s": 5}
EVAL_RULES = 20


# -- the app and its rules per phase ------------------------------------------------------------------

def _rule(name: str, trigger: dict, actions: list[dict], condition: dict | None = None) -> dict:
    doc = {"schema_version": 1, "name": name, "label": name, "entities": [ENTITY], "trigger": trigger,
           "actions": actions}
    if condition:
        doc["condition"] = condition
    return doc


def phase_rules(phase: str) -> list[dict]:
    comment = [{"kind": "post_comment", "text": "robot: {{ record.title }}"}]
    if phase in ("throughput", "latency"):
        return [_rule("on_create", {"kind": "record_created"}, comment)]
    if phase == "evaluations":
        never = {"field": "status", "op": "eq", "value": "cancelled"}  # tasks are created "open"
        return [_rule(f"check_{i:02d}", {"kind": "record_created"}, comment, never) for i in range(EVAL_RULES)]
    return [_rule("remind", {"kind": "time", "field": "started_at", "offset": 0, "unit": "minutes"}, comment)]


class Bench:
    """One database, the bench app, two workers (started as needed), a doorbell."""

    def __init__(self, db_url: str, redis_url: str, workdir: Path):
        self.db_url, self.redis_url, self.workdir = db_url, redis_url, workdir
        self.sf = create_stageflow(db_url, files_dir=workdir / "files")
        self.db = sa.create_engine(db_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        self.doorbell = Doorbell(redis_url)
        self.workers = [CeleryWorker(f"sf-bench-{n}", db_url, redis_url, workdir / f"worker-{n}") for n in "ab"]
        self.revision = 0
        self._wall_clock_columns()

    def _wall_clock_columns(self) -> None:
        """Sub-second timestamps taken by PostgreSQL, in this throwaway database only."""
        with self.db.connect() as conn:
            for statement in (
                "ALTER TABLE sf_outbox ADD COLUMN bench_at timestamptz DEFAULT clock_timestamp()",
                "ALTER TABLE sf_rule_run ADD COLUMN bench_at timestamptz DEFAULT clock_timestamp()",
                "ALTER TABLE sf_timer ADD COLUMN bench_fired timestamptz",
                """CREATE FUNCTION bench_fired() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                     IF NEW.status = 'fired' AND OLD.status = 'pending' THEN NEW.bench_fired := clock_timestamp(); END IF;
                     RETURN NEW; END $$""",
                "CREATE TRIGGER bench_fired BEFORE UPDATE ON sf_timer FOR EACH ROW EXECUTE FUNCTION bench_fired()",
            ):
                conn.execute(sa.text(statement))

    def install(self, phase: str) -> None:
        self.revision += 1
        folder = write_bundle(self.workdir / f"bundle-{self.revision}")
        app = json.loads((folder / "app.json").read_text())
        app["version"] = f"1.{self.revision}.0"
        (folder / "app.json").write_text(json.dumps(app))
        (folder / "rules").mkdir()
        for doc in phase_rules(phase):
            (folder / "rules" / f"{doc['name']}.json").write_text(json.dumps(doc))
        self.sf.install(folder)

    def workers_up(self, count: int) -> None:
        for worker in self.workers[count:]:
            if worker.alive():
                worker.stop()
        for worker in self.workers[:count]:
            if not worker.alive():
                worker.start()
        for worker in self.workers[:count]:
            worker.wait_ready(120)

    def scalar(self, sql: str, **params):
        with self.db.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params):
        with self.db.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def pending(self) -> int:
        return self.scalar("SELECT count(*) FROM sf_outbox WHERE processed_at IS NULL")

    def wait_idle(self, timeout: float) -> None:
        wait_until(lambda: self.pending() == 0, timeout, 0.02, what="the outbox to drain")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each running worker's processes (main, pool child, beat)."""
        tick = os.sysconf("SC_CLK_TCK")
        used = {}
        for worker in self.workers:
            total = 0.0
            for pid in worker.group_pids():
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    fields = stat[stat.rindex(")") + 2:].split()
                    total += (int(fields[11]) + int(fields[12])) / tick
                except (OSError, ValueError, IndexError):
                    pass
            used[worker.name] = total
        return used

    def create_batch(self, n: int, prefix: str) -> float:
        """``n`` tasks in one transaction (their events appear at once); returns the DB commit time."""
        with write_transaction(self.sf.db) as conn:
            for i in range(n):
                self.sf.records.create(self.sf.system, APP, ENTITY, {"title": f"{prefix} {i}"}, conn=conn)
        committed = self.scalar("SELECT extract(epoch FROM clock_timestamp())")
        for _ in self.workers:
            self.doorbell()
        return float(committed)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.doorbell.close()
        self.db.dispose()
        self.sf.close()


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(q):
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50": statistics.median(ordered), "p95": pick(0.95), "p99": pick(0.99),
            "max": ordered[-1], "mean": statistics.fmean(ordered)}


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# -- phases ---------------------------------------------------------------------------------------------

def bench_throughput(bench: Bench, events: int) -> dict:
    bench.install("throughput")
    results = {}
    for count in (1, 2):
        bench.workers_up(count)
        bench.create_batch(20, "warm-up")  # first task of a fresh pool child builds its engine
        bench.wait_idle(120)
        first_id = bench.scalar("SELECT coalesce(max(id), 0) FROM sf_rule_run")
        cpu_before, load_before = bench.cpu_seconds(), load()
        committed = bench.create_batch(events, f"batch{count}")
        bench.wait_idle(600)
        last = float(bench.scalar("SELECT extract(epoch FROM max(bench_at)) FROM sf_rule_run WHERE id > :i",
                                  i=first_id))
        cpu = {k: v - cpu_before.get(k, 0) for k, v in bench.cpu_seconds().items()}
        seconds = last - committed
        results[f"{count}_worker{'s' if count > 1 else ''}"] = {
            "events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds, 1),
            "worker_cpu_s": {k: round(v, 1) for k, v in cpu.items() if v},
            "events_per_worker_cpu_s": round(events / max(sum(cpu.values()), 1e-9), 1),
            "load_before": load_before}
    return results


def bench_latency(bench: Bench, rate: float, seconds: float, threads: int, warmup: float = 3.0) -> dict:
    bench.install("latency")
    bench.workers_up(2)
    bench.create_batch(20, "warm-up")
    bench.wait_idle(120)
    hook = bench.doorbell
    bench.sf.records.after_commit.append(hook)  # every write rings, as start_automation does
    first_event = bench.scalar("SELECT coalesce(max(id), 0) FROM sf_outbox")
    created: list[int] = []
    stop_at = time.monotonic() + seconds
    errors: list[BaseException] = []

    def produce(index: int) -> None:
        interval = threads / rate
        next_at = time.monotonic() + index * interval / threads
        n = 0
        try:
            while True:
                now = time.monotonic()
                if now >= stop_at:
                    return
                if now < next_at:
                    time.sleep(next_at - now)
                bench.sf.records.create(bench.sf.system, APP, ENTITY, {"title": f"load {index}.{n}"})
                created.append(1)
                n += 1
                next_at += interval
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    load_before = load()
    started = time.monotonic()
    producers = [threading.Thread(target=produce, args=(i,), daemon=True) for i in range(threads)]
    for thread in producers:
        thread.start()
    for thread in producers:
        thread.join()
    producing = time.monotonic() - started
    queue = _redis_queue_length(bench.redis_url)
    bench.sf.records.after_commit.remove(hook)
    if errors:
        raise errors[0]
    bench.wait_idle(600)
    drained = time.monotonic() - started
    rows = bench.rows(
        "SELECT extract(epoch FROM o.bench_at - f.at) AS since, extract(epoch FROM r.bench_at - o.bench_at) AS lat "
        "FROM sf_outbox o JOIN sf_rule_run r ON r.source = 'event:' || o.id, "
        "(SELECT min(bench_at) AS at FROM sf_outbox WHERE id > :first) f "
        "WHERE o.id > :first AND o.event = 'created'", first=first_event)
    steady = [r.lat for r in rows if r.since >= warmup]
    stats = percentiles([float(x) for x in steady])
    return {"offered_per_s": rate, "achieved_per_s": round(len(created) / producing, 1), "events": len(created),
            "producer_threads": threads, "seconds": round(producing, 1), "drained_after_s": round(drained, 1),
            "celery_queue_at_end": queue, "latency_ms": {k: (round(v * 1e3, 1) if k != "n" else v)
                                                        for k, v in stats.items()},
            "warmup_excluded_s": warmup, "load_before": load_before}


def _redis_queue_length(url: str) -> int | None:
    try:
        import redis

        client = redis.Redis.from_url(url)
        try:
            return int(client.llen("celery"))
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - a diagnostic only
        return None


def bench_evaluations(bench: Bench, events: int) -> dict:
    bench.install("evaluations")
    results = {}
    for count in (1, 2):
        bench.workers_up(count)
        bench.create_batch(10, "warm-up")
        bench.wait_idle(120)
        first_id = bench.scalar("SELECT coalesce(max(id), 0) FROM sf_rule_run")
        cpu_before, load_before = bench.cpu_seconds(), load()
        committed = bench.create_batch(events, f"eval{count}")
        bench.wait_idle(600)
        last, evaluations = bench.rows("SELECT extract(epoch FROM max(bench_at)), count(*) FROM sf_rule_run "
                                       "WHERE id > :i AND outcome = 'skipped'", i=first_id)[0]
        cpu = {k: v - cpu_before.get(k, 0) for k, v in bench.cpu_seconds().items()}
        seconds = float(last) - committed
        results[f"{count}_worker{'s' if count > 1 else ''}"] = {
            "events": events, "rules_per_event": EVAL_RULES, "evaluations": evaluations,
            "seconds": round(seconds, 2), "evaluations_per_s": round(evaluations / seconds, 1),
            "evaluations_per_worker_s": round(evaluations / seconds / count, 1),
            "evaluations_per_worker_cpu_s": round(evaluations / max(sum(cpu.values()), 1e-9), 1),
            "load_before": load_before}
    return results


def _insert_timers(bench: Bench, count: int, first_due: dt.datetime, window_s: float, tag: str) -> None:
    """``count`` tasks whose ``started_at`` is due in [first_due, first_due + window], and their
    pending timers, as the engine would write them."""
    now = bench.sf.clock()
    with bench.db.connect() as conn:
        conn.execute(sa.text(
            'INSERT INTO "bench__task" (title, status, started_at, pipeline, stage, stage_changed_at, version, '
            "created_at, created_by, updated_at, updated_by) "
            "SELECT :tag || ' ' || g, 'open', "
            "date_trunc('second', :first + make_interval(secs => (g - 1) * :window / :n)), 'flow', 'todo', :now, 1, "
            ":now, 'system', :now, 'system' FROM generate_series(1, :n) g"),
            {"tag": tag, "first": first_due, "window": float(window_s), "n": count, "now": now})
        conn.execute(sa.text(
            "INSERT INTO sf_timer (app, entity, record_id, rule, purpose, due_at, status, cause, created_at) "
            "SELECT 'bench', 'task', id, 'remind', 'trigger', started_at, 'pending', "
            "'{\"due_from\": \"started_at\"}', :now FROM \"bench__task\" WHERE title LIKE :like"),
            {"now": now, "like": f"{tag} %"})
        conn.execute(sa.text("ANALYZE sf_timer"))


def bench_timers(bench: Bench, total: int, soon_share: float, window_s: float, burst: int) -> dict:
    for worker in bench.workers:
        worker.stop()
    bench.install("timers")
    now = bench.sf.clock()
    soon = max(1, int(total * soon_share))
    lead = 25.0  # the first "soon" timer falls due this long after setup: the workers are up by then
    _insert_timers(bench, total - soon, now + dt.timedelta(days=1), 29 * 86400, "later")
    setup_done = bench.sf.clock()
    first_due = setup_done + dt.timedelta(seconds=lead)
    _insert_timers(bench, soon, first_due, window_s, "soon")
    pending = bench.scalar("SELECT count(*) FROM sf_timer WHERE status = 'pending'")
    load_before = load()
    bench.workers_up(2)
    deadline = lead + window_s + 600
    wait_until(lambda: bench.scalar("SELECT count(*) FROM sf_timer t JOIN bench__task k ON k.id = t.record_id "
                                    "WHERE t.status = 'pending' AND k.title LIKE 'soon %'") == 0,
               deadline, 0.5, what="the soon timers to fire")
    lags = [float(r[0]) for r in bench.rows(
        "SELECT extract(epoch FROM (t.bench_fired AT TIME ZONE 'UTC') - t.due_at) FROM sf_timer t "
        "JOIN bench__task k ON k.id = t.record_id WHERE k.title LIKE 'soon %'")]
    window = {"pending_at_start": pending, "due_in_window": soon, "window_s": window_s,
              "lag_s": {k: (round(v, 3) if k != "n" else v) for k, v in percentiles(lags).items()},
              "load_before": load_before}
    # A burst: many timers overdue at once (a scheduler back from an outage), the rest pending.
    overdue_from = bench.sf.clock() - dt.timedelta(seconds=60)
    _insert_timers(bench, burst, overdue_from, 30, "burst")
    begun = time.monotonic()
    wait_until(lambda: bench.scalar("SELECT count(*) FROM sf_timer t JOIN bench__task k ON k.id = t.record_id "
                                    "WHERE t.status = 'pending' AND k.title LIKE 'burst %'") == 0,
               1200, 0.2, what="the burst to fire")
    took = time.monotonic() - begun
    fired = bench.rows("SELECT extract(epoch FROM max(t.bench_fired) - min(t.bench_fired)) FROM sf_timer t "
                       "JOIN bench__task k ON k.id = t.record_id WHERE k.title LIKE 'burst %'")[0][0]
    burst_result = {"overdue": burst, "seconds_until_all_fired": round(took, 1),
                    "fired_per_s": round(burst / max(float(fired or took), 1e-9), 1),
                    "pending_meanwhile": bench.scalar("SELECT count(*) FROM sf_timer WHERE status = 'pending'")}
    return {"window": window, "burst": burst_result}


# -- profile --------------------------------------------------------------------------------------------

def profile_in_process(bench: Bench, events: int) -> str:
    """cProfile of the same steps in this process (the workers stopped): events, then timers."""
    from stageflow.automation.worker import Automation

    for worker in bench.workers:
        worker.stop()
    out = io.StringIO()
    automation = Automation(create_stageflow(bench.db_url, files_dir=bench.workdir / "files"))
    for phase in ("throughput", "evaluations"):
        bench.install(phase)
        automation.sf.catalog.refresh()
        bench.create_batch(events, f"profile {phase}")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        done = automation.dispatcher.drain(10 ** 6)
        profiler.disable()
        elapsed = time.perf_counter() - started
        out.write(f"\n== in-process drain, {phase} rules: {done} events in {elapsed:.2f} s "
                  f"({elapsed / max(done, 1) * 1e3:.1f} ms each)\n")
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    automation.sf.close()
    return out.getvalue()


# -- report ---------------------------------------------------------------------------------------------

def table(results: dict) -> str:
    lines = ["| measurement | value | target |", "|---|---|---|"]
    for key, value in results.get("throughput", {}).items():
        lines.append(f"| events/s through rule evaluation, {key.replace('_', ' ')} | {value['events_per_s']} "
                     f"({value['events']} events in {value['seconds']} s; {value['events_per_worker_cpu_s']} "
                     f"per worker CPU-second) | |")
    for lat in results.get("latency", []):
        ms = lat["latency_ms"]
        lines.append(f"| trigger-to-action latency at {lat['achieved_per_s']}/s (offered {lat['offered_per_s']}), "
                     f"2 workers | p50 {ms.get('p50')} ms, p95 {ms.get('p95')} ms, max {ms.get('max')} ms "
                     f"(n={ms.get('n')}) | p95 < {TARGETS['latency_p95_ms']} ms: "
                     f"{'met' if ms.get('p95', 1e9) < TARGETS['latency_p95_ms'] else 'missed'} |")
    for key, value in results.get("evaluations", {}).items():
        target = value["evaluations_per_worker_s"] >= TARGETS["evaluations_per_worker_s"]
        lines.append(f"| rule evaluations/s per worker, {key.replace('_', ' ')} | {value['evaluations_per_worker_s']}"
                     f" ({value['evaluations']} in {value['seconds']} s; {value['evaluations_per_worker_cpu_s']} "
                     f"per worker CPU-second) | >= {TARGETS['evaluations_per_worker_s']}: "
                     f"{'met' if target else 'missed'} |")
    timers = results.get("timers")
    if timers:
        lag = timers["window"]["lag_s"]
        lines.append(f"| time-trigger lag, {timers['window']['pending_at_start']} pending, "
                     f"{timers['window']['due_in_window']} due over {timers['window']['window_s']:.0f} s | "
                     f"p50 {lag.get('p50')} s, p95 {lag.get('p95')} s, max {lag.get('max')} s | "
                     f"p95 <= {TARGETS['timer_lag_p95_s']} s: "
                     f"{'met' if lag.get('p95', 1e9) <= TARGETS['timer_lag_p95_s'] else 'missed'} |")
        burst = timers["burst"]
        lines.append(f"| overdue burst: {burst['overdue']} timers, {burst['pending_meanwhile']} pending | "
                     f"{burst['fired_per_s']} fired/s, all in {burst['seconds_until_all_fired']} s | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG_URL, help="PostgreSQL server URL (a database is created on it)")
    parser.add_argument("--redis", default=DEFAULT_REDIS_URL, help="Redis database URL (flushed before and after)")
    parser.add_argument("--only", default=",".join(PHASES), help=f"comma-separated phases of {', '.join(PHASES)}")
    parser.add_argument("--events", type=int, default=1000, help="events per throughput run (default 1000)")
    parser.add_argument("--rates", default="200,20",
                        help="offered events per second, one latency run each (default 200,20)")
    parser.add_argument("--seconds", type=float, default=20, help="duration of each latency run (default 20)")
    parser.add_argument("--threads", type=int, default=2, help="producer threads for the latency run (default 2)")
    parser.add_argument("--eval-events", type=int, default=400, help=f"events x {EVAL_RULES} rules (default 400)")
    parser.add_argument("--timers", type=int, default=100_000, help="pending timers (default 100,000)")
    parser.add_argument("--soon", type=float, default=0.02, help="share of them due over the window (default 0.02)")
    parser.add_argument("--window", type=float, default=60, help="seconds over which those fall due (default 60)")
    parser.add_argument("--burst", type=int, default=2000, help="overdue timers of the burst (default 2000)")
    parser.add_argument("--profile", action="store_true", help="also cProfile the steps in-process")
    parser.add_argument("--json", help="write the machine-readable results to this file")
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    reason = pg_reachable(args.db)
    if reason:
        print(f"PostgreSQL unreachable at {args.db}: {reason}; nothing measured")
        return 0
    import redis

    broker = redis.Redis.from_url(args.redis)
    try:
        broker.ping()
    except Exception as error:  # noqa: BLE001
        print(f"Redis unreachable at {args.redis}: {error}; nothing measured")
        return 0
    broker.flushdb()
    results: dict = {"date": dt.date.today().isoformat(), "redis": broker.info("server").get("redis_version")}
    profile = ""
    try:
        with fresh_pg_database(args.db) as url, tempfile.TemporaryDirectory(prefix="sf-bench-auto-") as tmp:
            results["machine"] = machine(url)
            bench = Bench(url, args.redis, Path(tmp))
            try:
                if "throughput" in phases:
                    results["throughput"] = bench_throughput(bench, args.events)
                    print(table({"throughput": results["throughput"]}), flush=True)
                if "latency" in phases:
                    results["latency"] = [bench_latency(bench, float(rate), args.seconds, args.threads)
                                          for rate in args.rates.split(",")]
                    print(table({"latency": results["latency"]}), flush=True)
                if "evaluations" in phases:
                    results["evaluations"] = bench_evaluations(bench, args.eval_events)
                    print(table({"evaluations": results["evaluations"]}), flush=True)
                if "timers" in phases:
                    results["timers"] = bench_timers(bench, args.timers, args.soon, args.window, args.burst)
                    print(table({"timers": results["timers"]}), flush=True)
                if args.profile:
                    profile = profile_in_process(bench, 300)
            finally:
                bench.close()
    finally:
        broker.flushdb()
        broker.close()
    print()
    print(f"Machine: {results['machine']}; Redis {results['redis']}")
    print(table(results))
    if profile:
        print(profile)
    payload = json.dumps(results, indent=2, default=str)
    if args.json:
        Path(args.json).write_text(payload + "\n", encoding="utf-8")
    else:
        print(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
