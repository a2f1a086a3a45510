"""Reliability of the automation with real processes: Redis, two Celery workers, PostgreSQL.

The proof asked for by the automation issue: a worker SIGKILLed in the middle of a rule 20 times
loses and repeats nothing; a scheduler restarted with 10,000 pending timers fires each one once;
1,000 rapid edits of one record end as if applied one after another (NS08).

PostgreSQL only: SQLite has a single writer, so two worker processes would only take turns on
its write lock; the dispatcher's ``FOR UPDATE SKIP LOCKED`` claim is the PostgreSQL path. Each
test starts its workers as process groups of their own and stops them in ``finally`` (see
``reliability_support``), so nothing outlives the test.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest

from stageflow.security import SYSTEM

from .reliability_support import (
    Cluster,
    rows,
    rule,
    scalar,
    wait_until,
)

# Real processes on a small machine: each test has its own waits (a few minutes at most); the
# suite's 5-minute default timeout would cut a loaded CI box short.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(900)]

APP = "mini"


@pytest.fixture
def make_cluster(pg_url, redis_client, redis_url, redis_prefix, tmp_path):
    """``make_cluster(*rules)``: the mini app with these rules, two ``stageflow worker``
    processes (each with its embedded beat, in folders of their own). Their Celery keys live
    under the test's Redis prefix, deleted around the test."""
    built: list[Cluster] = []

    def make(*rules: dict) -> Cluster:
        cluster = Cluster(pg_url, redis_url, tmp_path / f"cluster{len(built)}", rules, key_prefix=redis_prefix)
        built.append(cluster)
        return cluster

    yield make
    for cluster in built:
        cluster.close()


def _count_by(cluster: Cluster, sql: str) -> dict:
    return {tuple(r[:-1]) if len(r) > 2 else r[0]: r[-1] for r in rows(cluster.db, sql)}


# -- 1. a worker SIGKILLed mid-rule, 20 times ---------------------------------------------------------

EFFECT_STEPS = 5


def effects_rule() -> dict:
    """On every new deal: five robot comments (each one effect we can count), then a counter.
    Many statements in one transaction: a wide window to be killed in."""
    comments = [{"kind": "post_comment", "text": f"effect {{{{ record.id }}}} step {k}"}
                for k in range(EFFECT_STEPS)]
    counter = {"kind": "set_fields", "values": {"quantity": {"formula": "coalesce(quantity, 0) + 1"}}}
    return rule("effects", {"kind": "record_created"}, comments + [counter])


class Producer(threading.Thread):
    """Creates deals at a steady pace (each write rings the workers) until stopped."""

    def __init__(self, cluster: Cluster, per_second: float):
        super().__init__(name="deal-producer", daemon=True)
        self.cluster, self.interval = cluster, 1 / per_second
        self.ids: list[int] = []
        self.error: BaseException | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            next_at = time.monotonic()
            while not self.halt.is_set():
                deal = self.cluster.sf.records.create(SYSTEM, APP, "deal",
                                                      {"title": f"kill {len(self.ids)}", "quantity": 0})
                self.ids.append(deal["id"])
                next_at += self.interval
                self.halt.wait(max(0.0, next_at - time.monotonic()))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def stop(self, at_least: int = 0) -> list[int]:
        """Stop once ``at_least`` deals exist; returns their ids."""
        wait_until(lambda: len(self.ids) >= at_least or not self.is_alive(), 300, what=f"{at_least} deals")
        self.halt.set()
        self.join(30)
        if self.error:
            raise self.error
        return self.ids


WORKER_KILLS, POOL_KILLS = 20, 4
MIN_DEALS = 300


def test_sigkill_a_worker_mid_rule_20_times_processes_every_event_exactly_once(make_cluster):
    """20 times a whole worker (main process, pool child, beat) is SIGKILLed while its transaction
    is in the middle of the rule, then restarted; 4 more times only the pool process running the
    rule is SIGKILLed and Celery forks a new one. Deals keep coming in throughout."""
    cluster = make_cluster(effects_rule()).start()
    producer = Producer(cluster, per_second=6)
    kills: list[dict] = []
    plan = ["pool" if n % 4 == 3 and n < 4 * POOL_KILLS else "worker" for n in range(WORKER_KILLS + POOL_KILLS)]
    producer.start()
    started = time.monotonic()
    try:
        for n, kind in enumerate(plan):
            victim = cluster.workers[(n // 4 if kind == "pool" else n) % 2]
            # Mid-rule: frozen (SIGSTOP), its open transaction has claimed an event and written
            # robot comments that are not committed (RowExclusiveLock on sf_comment, an xid);
            # only then SIGKILL. Otherwise it is thawed and tried again a moment later.
            caught = wait_until(lambda v=victim, k=kind: v.kill_mid_transaction(cluster.db, "sf_comment", k == "pool"),
                                timeout=90, interval=0.02, what=f"kill {n + 1}: {victim.name} mid-rule")
            if kind == "worker":
                victim.start()
            kills.append({"kind": kind, "worker": victim.name, "at": round(time.monotonic() - started, 2),
                          "deals": len(producer.ids), **caught})
    except BaseException:
        producer.stop()
        raise
    ids = producer.stop(at_least=MIN_DEALS)  # the workers are up again: a few more deals if needed
    killing = time.monotonic() - started
    for worker in cluster.workers:
        worker.wait_ready()
    backlog = scalar(cluster.db, "SELECT count(*) FROM sf_outbox WHERE processed_at IS NULL")
    cluster.wait_idle(timeout=180)
    print(f"kills: {len(kills)} in {killing:.1f} s, {len(ids)} deals, backlog {backlog} events, "
          f"idle after {time.monotonic() - started:.1f} s; kills at {[(k['kind'][0], k['at']) for k in kills]}")

    assert [k["kind"] for k in kills].count("worker") == WORKER_KILLS
    assert [k["kind"] for k in kills].count("pool") == POOL_KILLS
    assert all("sf_comment" in k["writing"] for k in kills)
    # The killed transactions are gone from the server: their connections were dropped.
    killed_pids = [k["pid"] for k in kills]
    assert scalar(cluster.db, "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)", p=killed_pids) == 0

    events = len(ids)
    assert events >= MIN_DEALS
    created = scalar(cluster.db, "SELECT count(*) FROM sf_outbox WHERE event = 'created' AND entity = 'deal'")
    assert created == events
    # Nothing left unprocessed: the created events and the counter's own update events.
    assert scalar(cluster.db, "SELECT count(*) FROM sf_outbox WHERE processed_at IS NULL") == 0
    assert scalar(cluster.db, "SELECT count(*) FROM sf_outbox") == 2 * events

    # Each event was processed exactly once: one run-log row per event, all fired.
    runs = _count_by(cluster, "SELECT outcome, count(*) FROM sf_rule_run GROUP BY outcome")
    assert runs == {"fired": events}
    assert rows(cluster.db, "SELECT source FROM sf_rule_run GROUP BY source HAVING count(*) > 1") == []
    # Each action exactly once per event (the idempotency keys), each effect exactly once.
    assert scalar(cluster.db, "SELECT count(*) FROM sf_action_run") == events * (EFFECT_STEPS + 1)
    assert scalar(cluster.db, "SELECT count(DISTINCT key) FROM sf_action_run") == events * (EFFECT_STEPS + 1)
    assert scalar(cluster.db, "SELECT count(*) FROM sf_comment WHERE kind = 'robot'") == events * EFFECT_STEPS
    assert rows(cluster.db, "SELECT record_id, body FROM sf_comment GROUP BY record_id, body "
                            "HAVING count(*) > 1") == []
    per_deal = _count_by(cluster, "SELECT record_id, count(*) FROM sf_comment GROUP BY record_id")
    assert per_deal == {i: EFFECT_STEPS for i in ids}
    # The counter went up once per deal, never twice.
    assert _count_by(cluster, 'SELECT quantity, count(*) FROM "mini__deal" GROUP BY quantity') == {1: events}


# -- 2. the scheduler restarted with 10,000 pending timers ----------------------------------------------

TIMERS = 10_000


def reminder_rule() -> dict:
    """Time trigger on the datetime field ``meeting_at``: a robot comment at the meeting time."""
    return rule("remind", {"kind": "time", "field": "meeting_at", "offset": 0, "unit": "minutes"},
                [{"kind": "post_comment", "text": "meeting now: {{ record.title }}"}])


def _pending_timers(cluster: Cluster, first_due: dt.datetime, spread_seconds: int) -> None:
    """10,000 deals with a meeting time, each with the pending timer of the ``remind`` rule.

    Setup, not the thing under test, so it is two SQL statements (the record service and the
    dispatcher would take minutes for 10,000 records); the rows are what ``RuleEngine.schedule``
    writes, and a sample is checked against the engine's own due-time computation.
    """
    from sqlalchemy import text

    from stageflow.automation.context import RuleScope
    from stageflow.storage.database import write_transaction

    sf, now = cluster.sf, cluster.sf.clock()
    with write_transaction(sf.db) as conn:
        conn.execute(text(
            'INSERT INTO "mini__deal" (title, quantity, priority, meeting_at, pipeline, stage, stage_changed_at, '
            "version, created_at, created_by, updated_at, updated_by) "
            "SELECT 'meeting ' || g, 0, 'normal', :first + make_interval(secs => g % :spread), 'sales', 'new', "
            ":now, 1, :now, 'system', :now, 'system' FROM generate_series(1, :n) g"),
            {"first": first_due, "spread": spread_seconds, "now": now, "n": TIMERS})
        conn.execute(text(
            "INSERT INTO sf_timer (app, entity, record_id, rule, purpose, due_at, status, cause, created_at) "
            "SELECT 'mini', 'deal', id, 'remind', 'trigger', meeting_at, 'pending', "
            "'{\"due_from\": \"meeting_at\"}', :now FROM \"mini__deal\""), {"now": now})
    app = sf.catalog.get(APP).spec
    remind = next(r for r in app.rules if r.name == "remind")
    trigger = sf.kinds.triggers.get(remind.trigger_kind)
    sample = rows(cluster.db, "SELECT t.record_id, t.due_at FROM sf_timer t ORDER BY random() LIMIT 20")
    for record_id, due_at in sample:
        record = sf.records.get(SYSTEM, APP, "deal", record_id)
        scope = RuleScope(sf.kinds, app.entities["deal"], record, {}, None, now)
        assert trigger.due_at(remind.trigger, record, scope.values) == due_at


def test_scheduler_restarted_with_10000_pending_timers_fires_each_once(make_cluster):
    cluster = make_cluster(reminder_rule()).start()
    cluster.kill_all()  # the scheduler goes down...
    start = cluster.sf.clock()
    _pending_timers(cluster, first_due=start - dt.timedelta(seconds=30), spread_seconds=40)
    assert scalar(cluster.db, "SELECT count(*) FROM sf_timer WHERE status = 'pending'") == TIMERS
    # ...and comes back with 10,000 pending timers, most of them overdue, the rest due within
    # seconds. Once a third has fired, the whole scheduler is SIGKILLed mid-sweep and restarted.
    began = time.monotonic()
    cluster.start()
    wait_until(lambda: scalar(cluster.db, "SELECT count(*) FROM sf_timer WHERE status = 'fired'") >= TIMERS // 3,
               timeout=180, what="a third of the timers fired")
    caught = wait_until(lambda: cluster.workers[0].kill_mid_transaction(cluster.db, "sf_comment"),
                        timeout=60, interval=0.02, what="worker a mid-fire")
    cluster.kill_all()
    assert "sf_timer" in caught["writing"] and "sf_comment" in caught["writing"]
    fired_before_restart = scalar(cluster.db, "SELECT count(*) FROM sf_timer WHERE status = 'fired'")
    assert fired_before_restart < TIMERS
    cluster.start()
    wait_until(lambda: scalar(cluster.db, "SELECT count(*) FROM sf_timer WHERE status = 'pending'") == 0,
               timeout=240, interval=0.5, what="every timer fired")
    cluster.wait_idle(timeout=30)
    print(f"timers: {TIMERS} fired, {fired_before_restart} before the crash, all {time.monotonic() - began:.1f} s "
          f"after the restart")

    statuses = _count_by(cluster, "SELECT status, count(*) FROM sf_timer GROUP BY status")
    assert statuses == {"fired": TIMERS}
    # Exactly once: one run per timer, one action key per timer, one comment per deal.
    assert _count_by(cluster, "SELECT outcome, count(*) FROM sf_rule_run GROUP BY outcome") == {"fired": TIMERS}
    assert rows(cluster.db, "SELECT source FROM sf_rule_run GROUP BY source HAVING count(*) > 1") == []
    assert scalar(cluster.db, "SELECT count(DISTINCT source) FROM sf_rule_run WHERE source LIKE 'timer:%'") == TIMERS
    assert scalar(cluster.db, "SELECT count(*) FROM sf_action_run") == TIMERS
    assert scalar(cluster.db, "SELECT count(*) FROM sf_comment WHERE kind = 'robot'") == TIMERS
    assert scalar(cluster.db, "SELECT count(DISTINCT record_id) FROM sf_comment") == TIMERS
    # None fired before it was due (the clocks are second-resolution and shared by the host).
    assert scalar(cluster.db, "SELECT count(*) FROM sf_timer WHERE fired_at < due_at") == 0


# -- 3. NS08: 1,000 rapid edits of one record --------------------------------------------------------

EDITS = 1000
HIGH = 900


def ns08_rules() -> list[dict]:
    """Two rules on every change of ``quantity``: ``tally`` logs the value it saw (``notes``, so
    the order shows) and counts its runs (``rate``); ``high`` counts the edits that set a value
    of at least 900 (``amount``): its condition must see the value of that edit, not a later one."""
    watch = {"kind": "field_changed", "fields": ["quantity"]}
    return [
        rule("tally", watch, [{"kind": "set_fields", "values": {
            "notes": {"formula": "concat(coalesce(notes, ''), quantity, ';')"},
            "rate": {"formula": "coalesce(rate, 0) + 1"}}}]),
        rule("high", watch, [{"kind": "set_fields", "values": {"amount": {"formula": "coalesce(amount, 0) + 1"}}}],
             condition={"field": "quantity", "op": "gte", "value": HIGH}),
    ]


def test_1000_rapid_edits_of_one_record_end_as_if_applied_sequentially(make_cluster):
    cluster = make_cluster(*ns08_rules()).start()
    records = cluster.sf.records
    deal = records.create(SYSTEM, APP, "deal", {"title": "busy deal", "quantity": 0})
    started = time.monotonic()
    for value in range(1, EDITS + 1):
        records.update(SYSTEM, APP, "deal", deal["id"], {"quantity": value})
    editing = time.monotonic() - started
    cluster.wait_idle(timeout=240)
    print(f"NS08: {EDITS} edits in {editing:.1f} s, automation idle {time.monotonic() - started:.1f} s after the first")

    final = records.get(SYSTEM, APP, "deal", deal["id"])
    # Applied one after another, each edit followed by its rules, the record would end so:
    expected = {"quantity": EDITS, "notes": "".join(f"{v};" for v in range(1, EDITS + 1)),
                "rate": Decimal(EDITS), "amount": Decimal(EDITS - HIGH + 1)}
    got = {"quantity": final["quantity"], "notes": final["notes"],
           "rate": Decimal(str(final["rate"])), "amount": Decimal(str(final["amount"]))}
    assert got == expected, f"{EDITS} edits in {editing:.1f} s"
    # Per-record order: every rule ran once per edit, in the order of the edits' events.
    runs = rows(cluster.db, "SELECT rule, source FROM sf_rule_run WHERE record_id = :r ORDER BY id", r=deal["id"])
    for name in ("tally", "high"):
        sources = [int(source.removeprefix("event:")) for r, source in runs if r == name]
        assert len(sources) == EDITS and sources == sorted(sources) and len(set(sources)) == EDITS
    outcomes = _count_by(cluster, "SELECT rule, outcome, count(*) FROM sf_rule_run GROUP BY rule, outcome")
    assert outcomes == {("tally", "fired"): EDITS, ("high", "fired"): EDITS - HIGH + 1,
                        ("high", "skipped"): HIGH - 1}
    assert scalar(cluster.db, "SELECT count(*) FROM sf_outbox WHERE processed_at IS NULL") == 0
