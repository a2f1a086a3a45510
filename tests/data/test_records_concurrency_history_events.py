"""Optimistic concurrency, field history and outbox events of the RecordService.

History rows say who changed which field when, with old and new values; domain events are
appended to the outbox in the same transaction as the change (DESIGN: the automation engine
reads the outbox, never the ORM).
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, text

from stageflow.data import RecordConflict
from stageflow.runtime import create_stageflow

from .support import START, footprint, history, iso, outbox

APP = "mini"


def make(sf, **values):
    return sf.records.create(sf.system, APP, "deal", {"title": "Deal", **values})


# -- optimistic concurrency --------------------------------------------------------------------

def test_version_increments_by_one_per_effective_update(sf):
    deal = make(sf)
    assert deal["version"] == 1
    for expected, title in enumerate(["B", "C", "D"], start=1):
        deal = sf.records.update(sf.system, APP, "deal", deal["id"], {"title": title}, expected_version=expected)
        assert deal["version"] == expected + 1
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["version"] == 4


def test_update_with_stale_expected_version_is_a_conflict_and_changes_nothing(sf):
    deal = make(sf)
    sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "Mine"}, expected_version=1)
    stored, before, events = sf.records.get(sf.system, APP, "deal", deal["id"]), footprint(sf), outbox(sf)
    with pytest.raises(RecordConflict) as error:
        sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "Theirs"}, expected_version=1)
    assert error.value.current_version == 2
    assert "reload" in str(error.value)
    assert sf.records.get(sf.system, APP, "deal", deal["id"]) == stored
    assert footprint(sf) == before and outbox(sf) == events


def test_delete_with_stale_expected_version_is_a_conflict(sf):
    deal = make(sf)
    sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "Mine"})
    with pytest.raises(RecordConflict):
        sf.records.delete(sf.system, APP, "deal", deal["id"], expected_version=1)
    sf.records.delete(sf.system, APP, "deal", deal["id"], expected_version=2)


def test_noop_update_bumps_nothing_and_writes_no_history_or_event(sf, clock):
    deal = make(sf, amount="100", tags=["vip", "partner"], due="2026-05-01",
                meeting_at="2026-05-01T10:00:00Z", creditors=[{"creditor": "Bank", "debt": 5}])
    before, events = footprint(sf), outbox(sf)
    clock.advance(minutes=5)
    same = sf.records.update(sf.system, APP, "deal", deal["id"], {
        "title": " Deal ", "amount": "100.00", "tags": ["vip", "partner"], "due": "01.05.2026",
        "meeting_at": "2026-05-01T13:00:00+03:00", "creditors": [{"creditor": "Bank", "debt": "5.00"}],
        "priority": "normal", "stage": "new", "pipeline": "sales"}, expected_version=1)
    assert same["version"] == 1 and same["updated_at"] == iso(START)
    assert footprint(sf) == before and outbox(sf) == events


def _run_alongside(sf, first, second):
    """Run ``first(conn)`` in an open transaction, start ``second()`` in a thread, let it reach the
    record, then commit the transaction; returns what ``second`` returned or raised."""
    outcome: dict = {}
    reached = threading.Event()
    worker_id: list[int] = []

    @event.listens_for(sf.db, "before_cursor_execute")
    def watch(conn, cursor, statement, parameters, context, executemany):
        # On SQLite a writer queues at BEGIN IMMEDIATE; elsewhere it reaches the row.
        if worker_id and threading.get_ident() == worker_id[0] and (
                "mini__deal" in statement or statement.startswith("BEGIN")):
            reached.set()

    def worker():
        worker_id.append(threading.get_ident())
        try:
            outcome["value"] = second()
        except Exception as exc:  # noqa: BLE001 - the test inspects what happened
            outcome["error"] = exc

    try:
        with sf.db.begin() as conn:
            first(conn)
            thread = threading.Thread(target=worker)
            thread.start()
            assert reached.wait(10)
            time.sleep(0.5)  # let the second writer block on (or bounce off) the row
        thread.join(30)
        assert not thread.is_alive()
    finally:
        event.remove(sf.db, "before_cursor_execute", watch)
    return outcome


def _engine(url, tmp_path, mini_bundle):
    engine = create_stageflow(url, files_dir=tmp_path / "files")
    engine.install(mini_bundle)
    return engine


def _check_concurrent_same_version(engine):
    deal = make(engine)
    outcome = _run_alongside(
        engine,
        lambda conn: engine.records.update(engine.system, APP, "deal", deal["id"], {"title": "A"},
                                           expected_version=1, conn=conn),
        lambda: engine.records.update(engine.system, APP, "deal", deal["id"], {"title": "B"}, expected_version=1))
    assert isinstance(outcome.get("error"), RecordConflict), outcome
    stored = engine.records.get(engine.system, APP, "deal", deal["id"])
    assert (stored["title"], stored["version"]) == ("A", 2)


def _check_concurrent_updates_both_land(engine):
    deal = make(engine)
    outcome = _run_alongside(
        engine,
        lambda conn: engine.records.update(engine.system, APP, "deal", deal["id"], {"title": "A"}, conn=conn),
        lambda: engine.records.update(engine.system, APP, "deal", deal["id"], {"notes": "B"}))
    assert "error" not in outcome, outcome
    stored = engine.records.get(engine.system, APP, "deal", deal["id"])
    assert (stored["title"], stored["notes"], stored["version"]) == ("A", "B", 3)


def test_concurrent_updates_with_the_same_version_one_wins_on_postgres(pg_url, tmp_path, mini_bundle):
    engine = _engine(pg_url, tmp_path, mini_bundle)
    try:
        _check_concurrent_same_version(engine)
        _check_concurrent_updates_both_land(engine)
    finally:
        engine.close()


def test_concurrent_updates_with_the_same_version_one_wins_on_sqlite(sqlite_url, tmp_path, mini_bundle):
    engine = _engine(sqlite_url, tmp_path, mini_bundle)
    try:
        _check_concurrent_same_version(engine)
    finally:
        engine.close()


def test_concurrent_updates_of_different_fields_both_land_on_sqlite(sqlite_url, tmp_path, mini_bundle):
    engine = _engine(sqlite_url, tmp_path, mini_bundle)
    try:
        _check_concurrent_updates_both_land(engine)
    finally:
        engine.close()


# -- field history -----------------------------------------------------------------------------

def test_history_names_who_when_old_and_new_for_each_changed_field(sf, clock):
    deal = make(sf, amount="100", notes="old note")
    at = clock.advance(hours=1)
    sf.records.update(sf.actor("boss"), APP, "deal", deal["id"],
                      {"amount": "250", "notes": "new note", "title": "Deal"})
    rows = sf.records.history(sf.system, APP, "deal", deal["id"])
    assert rows == [
        {"field": "amount", "old": "100.00", "new": "250.00", "at": iso(at), "by": "boss"},
        {"field": "vat", "old": "20.00", "new": "50.00", "at": iso(at), "by": "boss"},
        {"field": "notes", "old": "old note", "new": "new note", "at": iso(at), "by": "boss"},
    ]
    assert [(r["changed_by"], r["changed_at"]) for r in history(sf, deal["id"])] == [("boss", at)] * 3


def test_history_accumulates_in_order_across_updates(sf, clock):
    deal = make(sf)
    first = clock.advance(minutes=1)
    sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "Two"})
    second = clock.advance(minutes=1)
    sf.records.update(sf.actor("boss"), APP, "deal", deal["id"], {"title": "Three", "assignee": "boris"})
    rows = sf.records.history(sf.system, APP, "deal", deal["id"])
    assert [(r["field"], r["old"], r["new"], r["at"], r["by"]) for r in rows] == [
        ("title", "Deal", "Two", iso(first), "system"),
        ("title", "Two", "Three", iso(second), "boss"),
        ("assignee", None, "boris", iso(second), "boss"),
    ]


def test_history_of_a_child_table_change_holds_the_rows_before_and_after(sf):
    deal = make(sf, creditors=[{"creditor": "Bank A", "debt": 10}])
    sf.records.update(sf.system, APP, "deal", deal["id"], {
        "creditors": [{"creditor": "Bank A", "debt": 15}, {"creditor": "Bank B"}]})
    rows = sf.records.history(sf.system, APP, "deal", deal["id"])
    assert [(r["field"], r["old"], r["new"]) for r in rows] == [(
        "creditors",
        [{"creditor": "Bank A", "debt": "10.00"}],
        [{"creditor": "Bank A", "debt": "15.00"}, {"creditor": "Bank B", "debt": None}],
    )]


def test_history_of_a_stage_move_holds_stage_and_stage_changed_at(sf, clock):
    deal = make(sf)
    at = clock.advance(days=1)
    sf.records.update(sf.system, APP, "deal", deal["id"], {"stage": "won"})
    rows = {r["field"]: (r["old"], r["new"]) for r in sf.records.history(sf.system, APP, "deal", deal["id"])}
    assert rows == {"stage": ("new", "won"), "stage_changed_at": (iso(START), iso(at))}


def test_history_of_a_pipeline_move_holds_pipeline_and_stage(sf, clock):
    deal = make(sf)
    clock.advance(days=1)
    sf.records.update(sf.system, APP, "deal", deal["id"], {"pipeline": "claims"})
    rows = {r["field"]: (r["old"], r["new"]) for r in sf.records.history(sf.system, APP, "deal", deal["id"])}
    assert rows["pipeline"] == ("sales", "claims") and rows["stage"] == ("new", "received")


# -- outbox events -----------------------------------------------------------------------------

def test_created_event_holds_the_values_actor_time_and_automation_flag(sf):
    deal = sf.records.create(sf.actor("anna"), APP, "deal", {"title": "Deal", "amount": 10, "assignee": "boris"})
    (created,) = outbox(sf, deal["id"])
    assert (created["app"], created["entity"], created["record_id"], created["event"]) == (
        APP, "deal", deal["id"], "created")
    assert (created["actor"], created["created_at"], created["processed_at"]) == ("anna", START, None)
    assert created["payload"]["automation"] is True
    values = created["payload"]["values"]
    assert values == deal  # child-table rows included, so automation sees them
    assert (values["amount"], values["vat"], values["stage"]) == ("10.00", "2.00", "new")


def test_an_event_stores_its_time_exactly_as_the_record_row_does(sf, clock):
    """Events are inserted through a statement compiled once per database (not Connection.execute):
    their times must still be stored in the same form as every other column's, or comparing and
    ordering them as stored would go wrong (SQLite keeps datetimes as text)."""
    deal = make(sf)  # at a whole second: SQLAlchemy writes '.000000', sqlite3's own adapter nothing
    with sf.db.connect() as conn:
        stored_event = conn.execute(text("SELECT CAST(created_at AS TEXT) FROM sf_outbox WHERE record_id = :id"),
                                    {"id": deal["id"]}).scalar_one()
        stored_row = conn.execute(text("SELECT CAST(created_at AS TEXT) FROM mini__deal WHERE id = :id"),
                                  {"id": deal["id"]}).scalar_one()
    assert stored_event == stored_row


def test_updated_event_lists_each_changed_field_with_old_and_new(sf, clock):
    deal = make(sf, amount=10, creditors=[{"creditor": "Bank"}])
    at = clock.advance(minutes=3)
    sf.records.update(sf.actor("boss"), APP, "deal", deal["id"], {
        "amount": 20, "creditors": [{"creditor": "Bank", "debt": 1}]})
    _, updated = outbox(sf, deal["id"])
    assert (updated["event"], updated["actor"], updated["created_at"]) == ("updated", "boss", at)
    assert updated["payload"] == {"changed": {
        "amount": ["10.00", "20.00"], "vat": ["2.00", "4.00"],
        "creditors": [[{"creditor": "Bank", "debt": None}], [{"creditor": "Bank", "debt": "1.00"}]],
    }, "automation": True}


def test_stage_move_appends_updated_then_stage_changed_with_from_and_to(sf, clock):
    deal = make(sf)
    clock.advance(minutes=1)
    sf.records.update(sf.system, APP, "deal", deal["id"], {"pipeline": "claims", "stage": "fixed"})
    events = outbox(sf, deal["id"])
    assert [e["event"] for e in events] == ["created", "updated", "stage_changed"]
    assert events[2]["payload"] == {"from": {"pipeline": "sales", "stage": "new"},
                                    "to": {"pipeline": "claims", "stage": "fixed"}, "automation": True}


def test_deleted_event_holds_the_last_values(sf, clock):
    deal = make(sf, amount=10)
    at = clock.advance(minutes=1)
    sf.records.delete(sf.actor("boss"), APP, "deal", deal["id"])
    deleted = outbox(sf, deal["id"])[-1]
    assert (deleted["event"], deleted["actor"], deleted["created_at"]) == ("deleted", "boss", at)
    assert deleted["payload"]["values"]["title"] == "Deal"
    assert deleted["payload"]["values"]["amount"] == "10.00"


def test_automation_false_is_recorded_in_every_event_payload(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "Old deal"}, automation=False)
    sf.records.update(sf.system, APP, "deal", deal["id"], {"stage": "won"}, automation=False)
    events = outbox(sf, deal["id"])
    assert [(e["event"], e["payload"]["automation"]) for e in events] == [
        ("created", False), ("updated", False), ("stage_changed", False)]


def test_events_and_history_are_written_in_the_callers_transaction(sf):
    deal = make(sf)
    before, events = footprint(sf), outbox(sf)
    with sf.db.connect() as conn:
        tx = conn.begin()
        sf.records.create(sf.system, APP, "deal", {"title": "Ghost"}, conn=conn)
        sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "Changed"}, conn=conn)
        tx.rollback()
    assert footprint(sf) == before and outbox(sf) == events
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["title"] == "Deal"

    with sf.db.begin() as conn:
        sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "Changed"}, conn=conn)
    assert [e["event"] for e in outbox(sf, deal["id"])] == ["created", "updated"]
    assert [r["field"] for r in history(sf, deal["id"])] == ["title"]


# -- many writers on one record (PostgreSQL) ---------------------------------------------------

THREADS = 8


def _hammer(engine, deal_id: int, per_thread: int, *, optimistic: bool) -> tuple[list[int], int]:
    """``THREADS`` threads each update ``quantity`` of one deal ``per_thread`` times with values no
    other update uses; returns the versions the applied updates produced and the conflicts."""
    applied: list[int] = []
    conflicts = 0
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def writer(number: int) -> None:
        nonlocal conflicts
        start.wait()
        for i in range(per_thread):
            value = number * 100_000 + i + 1
            try:
                version = None
                if optimistic:
                    version = engine.records.get(engine.system, APP, "deal", deal_id)["version"]
                result = engine.records.update(engine.system, APP, "deal", deal_id, {"quantity": value},
                                               expected_version=version)
                with lock:
                    applied.append(result["version"])
            except RecordConflict:
                with lock:
                    conflicts += 1
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                failures.append(exc)
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads) and failures == []
    return applied, conflicts


def _check_no_lost_update(engine, deal_id: int, applied: list[int]) -> list[dict]:
    """Each applied update made exactly one new version, one history row and one event, and each
    one started from the value the previous one left (nothing overwritten unseen)."""
    stored = engine.records.get(engine.system, APP, "deal", deal_id)
    assert stored["version"] == 1 + len(applied)
    assert sorted(applied) == list(range(2, 2 + len(applied)))
    rows = history(engine, deal_id)
    assert [r["field"] for r in rows] == ["quantity"] * len(applied)
    assert [r["old"] for r in rows] == [None] + [r["new"] for r in rows[:-1]]
    assert len({r["new"] for r in rows}) == len(rows)
    assert rows[-1]["new"] == stored["quantity"]
    assert [e["event"] for e in outbox(engine, deal_id)] == ["created"] + ["updated"] * len(applied)
    return rows


def test_a_thousand_concurrent_optimistic_updates_lose_nothing_on_postgres(pg_url, tmp_path, mini_bundle):
    """Issue proof: 1,000 updates of one record from 8 threads, each reading the version first:
    each is either applied or refused with a conflict, never silently overwritten."""
    engine = create_stageflow(pg_url, files_dir=tmp_path / "files")
    engine.install(mini_bundle)
    try:
        deal = make(engine)
        applied, conflicts = _hammer(engine, deal["id"], 1000 // THREADS, optimistic=True)
        assert len(applied) + conflicts == 1000
        assert applied and conflicts  # the threads really did collide
        _check_no_lost_update(engine, deal["id"], applied)
    finally:
        engine.close()


def test_concurrent_updates_without_a_version_all_apply_in_turn_on_postgres(pg_url, tmp_path, mini_bundle):
    """Without expected_version every update applies, one after the other: the row lock makes
    each start from the last committed value, and the final value is the last committed one."""
    engine = create_stageflow(pg_url, files_dir=tmp_path / "files")
    engine.install(mini_bundle)
    try:
        deal = make(engine)
        applied, conflicts = _hammer(engine, deal["id"], 400 // THREADS, optimistic=False)
        assert (len(applied), conflicts) == (400, 0)
        rows = _check_no_lost_update(engine, deal["id"], applied)
        writers = {r["new"] // 100_000 for r in rows}
        assert writers == set(range(THREADS))
    finally:
        engine.close()
