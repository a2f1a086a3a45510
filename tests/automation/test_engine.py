"""The rule engine and dispatcher: run log, exactly once, order per record, loop guard, imports,
deleted records, restarts, coalesced notifications (PL10, PL14, BK27, BK33, NS08)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, update

from stageflow.automation.engine import RuleEngine
from stageflow.automation.events import MAX_CAUSE_DEPTH
from stageflow.data.timeline import mark_read
from stageflow.runtime import create_stageflow
from stageflow.security import SYSTEM
from stageflow.storage import platform_tables as st
from stageflow.storage.database import write_transaction

from .support import APP, Harness, comment, rule

CREATED = {"kind": "record_created"}
QUANTITY_CHANGED = {"kind": "field_changed", "fields": ["quantity"]}
TELL_ANNA = {"kind": "notify", "to": {"users": ["anna"]}, "title": "{{ record.title }} changed"}


def _reprocess_everything(h: Harness) -> None:
    """As if every event and timer were delivered again (a redelivery after a lost ack)."""
    with write_transaction(h.sf.db) as conn:
        conn.execute(update(st.outbox).values(processed_at=None))
        conn.execute(update(st.timers).where(st.timers.c.status == "fired").values(status="pending"))


# -- the run log ---------------------------------------------------------------------------------

def test_pl10_each_run_is_logged_with_why_it_fired_or_not(make_app, clock):
    h = make_app(rule("a_fires", CREATED, [comment("hi")]),
                 rule("b_skips", CREATED, [comment("big")], condition={"field": "amount", "op": "gt", "value": 100}),
                 rule("c_fails", CREATED, [comment("before"), {"kind": "set_fields", "values": {"quantity": -1}}]),
                 rule("d_other", {"kind": "stage_entered", "stages": ["won"]}, [comment("won")]))
    deal = h.create(amount="5")
    h.run()
    runs = [(r["rule"], r["outcome"], r["reason"], r["source"], r["record_id"], r["created_at"]) for r in h.runs()]
    assert runs == [
        ("a_fires", "fired", "post_comment: commented", "event:1", deal["id"], clock.now),
        ("b_skips", "skipped", "condition does not hold", "event:1", deal["id"], clock.now),
        ("c_fails", "failed", ("post_comment: commented; set_fields: RecordValidationError: "
                               "deal: quantity: must be at least 0"), "event:1", deal["id"], clock.now)]
    assert h.said(deal["id"]) == ["hi"]  # the failed rule's comment was undone with it


# -- exactly once --------------------------------------------------------------------------------

def _effects(h: Harness, deal_id: int) -> dict:
    return {"comments": h.said(deal_id), "inbox": [(n["title"], n["count"]) for n in h.inbox("anna")],
            "messages": [(m["channel"], m["recipient"]) for m in h.messages()],
            "clients": h.sf.records.count(SYSTEM, APP, "client"), "assignee": h.get(deal_id)["assignee"],
            "action_runs": len(h.action_runs())}


def test_pl10_a_redelivered_event_repeats_no_action(make_app):
    h = make_app(rule("welcome", CREATED, [
        comment("hello"), {"kind": "notify", "to": {"users": ["anna", "boss"]}, "title": "new", "channels": ["inapp", "email"]},
        {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}, {"kind": "assign", "to": {"round_robin": "sales"}},
        {"kind": "create_record", "entity": "client", "values": {"full_name": "Made by a robot"}}]))
    deal = h.create()
    h.automation.dispatcher.run_until_idle()
    before = _effects(h, deal["id"])
    assert before["comments"] == ["hello"] and before["assignee"] == "anna" and before["clients"] == 1
    _reprocess_everything(h)
    h.automation.dispatcher.run_until_idle()
    assert _effects(h, deal["id"]) == before
    assert [r["reason"].count("already done") for r in h.runs("welcome")] == [0, 5]


def test_pl10_a_worker_dying_mid_event_leaves_nothing_and_the_event_runs_again(make_app, monkeypatch):
    h = make_app(rule("welcome", CREATED, [comment("hello"), {"kind": "set_fields", "values": {"notes": "seen"}}]))
    deal = h.create()
    real = RuleEngine.run_rule

    def dies_after_the_actions(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise RuntimeError("worker killed")
    monkeypatch.setattr(RuleEngine, "run_rule", dies_after_the_actions)
    with pytest.raises(RuntimeError):
        h.automation.step()
    assert h.said(deal["id"]) == [] and h.runs() == [] and h.get(deal["id"])["notes"] is None
    assert [e["processed_at"] for e in h.outbox()] == [None]
    monkeypatch.setattr(RuleEngine, "run_rule", real)
    h.run()
    assert h.said(deal["id"]) == ["hello"] and h.get(deal["id"])["notes"] == "seen"
    assert h.outcomes("welcome") == ["fired"]


def test_pl10_a_refired_timer_repeats_no_action(make_app, clock):
    h = make_app(rule("remind", {"kind": "time", "field": "stage_changed_at", "offset": 1, "unit": "hours"},
                      [comment("remind"), {"kind": "wait", "amount": 1, "unit": "days"}, comment("again")]))
    deal = h.create()
    h.run()
    clock.advance(hours=2)
    h.run()
    clock.advance(days=2)
    h.run()
    assert h.said(deal["id"]) == ["remind", "again"]
    _reprocess_everything(h)
    h.run()
    assert h.said(deal["id"]) == ["remind", "again"]


def test_pl10_delayed_actions_survive_a_restart_60_days_later(make_app, clock, db_url, tmp_path):
    h = make_app(rule("later", {"kind": "stage_entered", "stages": ["won"]},
                      [{"kind": "wait", "amount": 60, "unit": "days"}, comment("60 days later")]))
    deal = h.create()
    h.update(deal["id"], stage="won")
    h.run()
    h.sf.close()  # the process stops; only the database remains
    clock.advance(days=60)
    restarted = Harness(create_stageflow(db_url, files_dir=tmp_path / "files", clock=clock), clock)
    try:
        restarted.run()
        assert restarted.said(deal["id"]) == ["60 days later"]
    finally:
        restarted.sf.close()


# -- order ---------------------------------------------------------------------------------------

def test_pl10_events_of_one_record_run_in_order(make_app):
    h = make_app(rule("trace", QUANTITY_CHANGED, [comment("{{ previous.quantity }}")]))
    deal, other = h.create(quantity=0), h.create(quantity=0)
    for i in range(1, 31):
        h.update(deal["id"], quantity=i)
        h.update(other["id"], quantity=i)
    h.run()
    assert h.said(deal["id"]) == [str(i) for i in range(30)] == h.said(other["id"])
    sources = [int(r["source"].split(":")[1]) for r in h.runs("trace", deal["id"])]
    assert sources == sorted(sources) and len(sources) == 30


@pytest.mark.postgres
def test_pl10_a_record_whose_oldest_event_is_claimed_waits_while_others_run(make_app):
    """A second worker holds a record's oldest event: nobody takes that record's later events."""
    h = make_app(rule("trace", QUANTITY_CHANGED, [comment("{{ record.quantity }}")]))
    busy, free = h.create(), h.create()
    h.run()
    h.update(busy["id"], quantity=1)
    h.update(busy["id"], quantity=2)
    h.update(free["id"], quantity=1)
    first = min(e["id"] for e in h.outbox(busy["id"]) if e["processed_at"] is None)
    other_worker = create_engine(h.sf.db.url)
    try:
        with other_worker.connect() as conn, conn.begin():
            conn.execute(select(st.outbox.c.id).where(st.outbox.c.id == first).with_for_update())
            assert h.automation.dispatcher.drain() == 1
            assert h.said(busy["id"]) == [] and h.said(free["id"]) == ["1"]
        assert h.automation.dispatcher.drain() == 2
        assert h.said(busy["id"]) == ["1", "2"]  # each event's template sees the value it wrote
    finally:
        other_worker.dispose()


# -- loop guard, imports, deletions ---------------------------------------------------------------

def test_pl10_rules_updating_each_other_stop_at_the_loop_guard(make_app):
    h = make_app(rule("ping", QUANTITY_CHANGED, [{"kind": "set_fields", "values": {"rate": {"formula": "quantity + 1"}}}]),
                 rule("pong", {"kind": "field_changed", "fields": ["rate"]},
                      [{"kind": "set_fields", "values": {"quantity": {"formula": "int(rate) + 1"}}}]))
    deal = h.create()
    h.update(deal["id"], quantity=1)
    h.run()
    assert h.fired("ping") + h.fired("pong") == MAX_CAUSE_DEPTH
    [guard] = [r for r in h.runs() if r["outcome"] == "skipped"]
    assert guard["reason"] == f"loop guard: {MAX_CAUSE_DEPTH} rule runs in a chain"
    assert h.get(deal["id"])["quantity"] == MAX_CAUSE_DEPTH + 1
    assert all(e["processed_at"] is not None for e in h.outbox())


def test_bk33_imports_and_historical_records_run_no_automation(make_app, clock):
    h = make_app(rule("greet", CREATED, [comment("hi")]),
                 rule("moved", {"kind": "stage_entered"}, [comment("moved")]),
                 rule("remind", {"kind": "time", "field": "stage_changed_at", "offset": 1, "unit": "minutes"}, [comment("late")]))
    old = h.sf.records.create(SYSTEM, APP, "deal", {"title": "2019 deal", "stage": "refused"}, automation=False,
                              historical=True)
    h.sf.records.update(SYSTEM, APP, "deal", old["id"], {"stage": "won"}, automation=False)
    clock.advance(days=1)
    h.run()
    assert h.runs() == [] and h.timers() == [] and h.said(old["id"]) == []
    assert all(e["processed_at"] is not None for e in h.outbox())


def test_pl10_deleting_a_record_cancels_its_timers(make_app, clock):
    h = make_app(rule("remind", {"kind": "time", "field": "stage_changed_at", "offset": 1, "unit": "hours"}, [comment("late")]),
                 rule("later", CREATED, [{"kind": "wait", "amount": 1, "unit": "hours"}, comment("later")]))
    gone, kept = h.create(), h.create()
    h.run()
    h.sf.records.delete(SYSTEM, APP, "deal", gone["id"])
    h.run()
    assert {t["status"] for t in h.timers() if t["record_id"] == gone["id"]} == {"cancelled"}
    clock.advance(hours=2)
    h.run()
    assert h.said(gone["id"]) == [] and sorted(h.said(kept["id"])) == ["late", "later"]
    assert h.outcomes(record_id=gone["id"]) == ["fired"]  # only the wait, before the deletion


# -- coalescing and bursts -----------------------------------------------------------------------

def test_bk27_ns08_a_burst_of_identical_events_gives_one_notification(make_app):
    h = make_app(rule("tell", {"kind": "stage_entered", "stages": ["won"]},
                      [{"kind": "notify", "to": {"users": ["anna"]}, "title": "{{ record.title }} won"}]))
    deal = h.create(title="Flat")
    for _ in range(52):  # the worker was down while the deal bounced
        h.update(deal["id"], stage="won")
        h.update(deal["id"], stage="new")
    h.run()
    assert [(n["title"], n["count"], n["read"]) for n in h.inbox("anna")] == [("Flat won", 52, False)]
    with write_transaction(h.sf.db) as conn:
        mark_read(conn, "anna", h.inbox("anna")[0]["id"], h.clock())
    h.update(deal["id"], stage="won")
    h.run()
    assert [(n["count"], n["read"]) for n in h.inbox("anna")] == [(1, False), (52, True)]


def test_ns08_a_burst_of_identical_events_sends_one_email(make_app):
    h = make_app(rule("tell", {"kind": "stage_entered", "stages": ["won"]},
                      [{"kind": "notify", "to": {"users": ["boss"]}, "title": "{{ record.title }} won",
                        "channels": ["inapp", "email"]}]))
    deal = h.create(title="Flat")
    for _ in range(5):
        h.update(deal["id"], stage="won")
        h.update(deal["id"], stage="new")
    h.automation.dispatcher.run_until_idle()
    assert len(h.messages("email")) == 1


@pytest.mark.slow
def test_ns08_thousand_rapid_edits_end_as_if_processed_one_by_one(make_app):
    """1,000 edits land before the worker runs; the end state is the one-by-one end state: the
    derived field follows the last edit and anna has one notification counting every edit."""
    h = make_app(rule("mirror", QUANTITY_CHANGED, [{"kind": "set_fields", "values": {"rate": {"formula": "quantity * 2"}}},
                                                   TELL_ANNA]))
    burst, stepwise = h.create(title="Burst"), h.create(title="Stepwise")
    h.run()
    with write_transaction(h.sf.db) as conn:  # separate writes, committed before the worker wakes
        for i in range(1, 1001):
            h.sf.records.update(SYSTEM, APP, "deal", burst["id"], {"quantity": i}, conn=conn)
    h.run()
    for i in (1, 2, 3, 998, 999, 1000):  # the same edits, the worker running after each
        h.update(stepwise["id"], quantity=i)
        h.run()
    assert (h.get(burst["id"])["quantity"], h.get(burst["id"])["rate"]) == (1000, "2000.0000")
    assert (h.get(stepwise["id"])["quantity"], h.get(stepwise["id"])["rate"]) == (1000, "2000.0000")
    assert sorted((n["title"], n["count"]) for n in h.inbox("anna")) == [("Burst changed", 1000), ("Stepwise changed", 6)]
    assert h.fired("mirror", burst["id"]) == 1000
    assert all(e["processed_at"] is not None for e in h.outbox())


def test_ns08_fast_edits_see_each_edit_in_conditions(make_app):
    h = make_app(rule("small", QUANTITY_CHANGED, [comment("small")], condition={"field": "quantity", "op": "lt", "value": 3}))
    burst, stepwise = h.create(), h.create()
    for i in range(1, 6):
        h.update(burst["id"], quantity=i)
    for i in range(1, 6):
        h.update(stepwise["id"], quantity=i)
        h.run()
    h.run()
    assert h.said(stepwise["id"]) == ["small", "small"]
    assert h.said(burst["id"]) == h.said(stepwise["id"])
