"""Each trigger kind fires exactly when it should and not otherwise (PL07), rules can be
restricted to pipelines, serve several entities and be switched off (PL11, BK28)."""
from __future__ import annotations

import datetime as dt

import pytest

from stageflow.data import RecordNotFound
from stageflow.security import AccessDenied

from .support import START, comment, rule

HIGH = {"field": "priority", "op": "eq", "value": "high"}


# -- record_created ------------------------------------------------------------------------------

def test_pl07_record_created_fires_once_per_new_record_of_its_entities_only(make_app):
    h = make_app(rule("greet", {"kind": "record_created"}, [comment("new {{ record.title }}")]))
    deal = h.create(title="Flat")
    h.client()
    h.run()
    h.update(deal["id"], amount="10", stage="won")
    h.run()
    assert h.said(deal["id"]) == ["new Flat"]
    assert [(r["record_id"], r["outcome"], r["source"]) for r in h.runs("greet")] == [(deal["id"], "fired", "event:1")]


def test_pl11_one_rule_serves_several_entities(make_app):
    h = make_app(rule("greet", {"kind": "record_created"}, [comment("hello")], entities=["deal", "client"]))
    deal, client = h.create(), h.client()
    h.run()
    assert h.said(deal["id"]) == ["hello"] and h.said(client["id"], "client") == ["hello"]


# -- field_changed -------------------------------------------------------------------------------

def test_pl07_field_changed_fires_only_when_a_watched_field_changes(make_app):
    h = make_app(rule("watch", {"kind": "field_changed", "fields": ["amount", "priority"]},
                      [comment("{{ record.amount }}/{{ record.priority }}")]))
    deal = h.create(amount="5")  # a creation is not a change
    h.run()
    h.update(deal["id"], notes="unwatched")
    h.run()
    assert h.runs("watch") == []
    h.update(deal["id"], amount="7")
    h.run()
    h.update(deal["id"], priority="high")
    h.run()
    h.update(deal["id"], priority="high")  # the same value again is no change at all
    h.run()
    assert h.said(deal["id"]) == ["7.00/normal", "7.00/high"]


def test_pl07_field_changed_with_before_fires_on_the_edge_only(make_app):
    """``before`` held before the change and the rule's condition holds now: entering "high"."""
    h = make_app(rule("escalate", {"kind": "field_changed", "fields": ["priority", "amount"],
                                   "before": {"not": HIGH}}, [comment("escalated")], condition=HIGH))
    deal = h.create()
    h.run()
    steps = [{"priority": "high"},  # normal -> high: the edge
             {"amount": "100"},  # still high: before does not hold
             {"priority": "low"},  # the condition does not hold now
             {"priority": "high"}]  # low -> high: the edge again
    for values in steps:
        h.update(deal["id"], **values)
        h.run()
    assert h.outcomes("escalate") == ["fired", "skipped", "skipped", "fired"]
    assert h.said(deal["id"]) == ["escalated", "escalated"]
    assert {r["reason"] for r in h.runs("escalate") if r["outcome"] == "skipped"} == {"condition does not hold"}


# -- stage_entered / stage_left -------------------------------------------------------------------

def test_pl07_stage_entered_fires_for_the_listed_stages_including_a_creation_there(make_app):
    h = make_app(rule("entered", {"kind": "stage_entered", "stages": ["qualified", "won"]},
                      [comment("in {{ record.stage }}")]))
    client = h.client()
    deal = h.create(client=client["id"])
    born_won = h.create(stage="won")
    h.run()
    for stage in ("qualified", "won", "new", "won"):
        h.update(deal["id"], stage=stage)
        h.run()
    assert h.said(deal["id"]) == ["in qualified", "in won", "in won"]
    assert h.said(born_won["id"]) == ["in won"]
    assert h.outcomes("entered") == ["fired"] * 4  # the move to "new" was not even considered


def test_pl07_stage_entered_without_stages_means_any_stage(make_app):
    h = make_app(rule("any_stage", {"kind": "stage_entered"}, [comment("{{ record.stage }}")]))
    deal = h.create()
    h.run()
    h.update(deal["id"], stage="won")
    h.run()
    assert h.said(deal["id"]) == ["new", "won"]


def test_pl07_stage_entered_pipeline_filter(make_app):
    h = make_app(rule("claim_opened", {"kind": "stage_entered", "pipeline": "claims"}, [comment("claim")]))
    deal = h.create()
    direct = h.create(pipeline="claims", stage="fixed")
    h.run()
    h.update(deal["id"], stage="won")
    h.run()
    assert h.said(deal["id"]) == []
    h.update(deal["id"], pipeline="claims")  # lands on the first stage of claims
    h.run()
    assert h.get(deal["id"])["stage"] == "received"
    assert h.said(deal["id"]) == ["claim"] and h.said(direct["id"]) == ["claim"]


def test_pl07_stage_left_fires_when_leaving_the_listed_stages(make_app):
    h = make_app(rule("left_new", {"kind": "stage_left", "stages": ["new"]}, [comment("left {{ record.stage }}")]))
    client = h.client()
    deal = h.create(client=client["id"])
    other = h.create()
    h.run()
    assert h.runs("left_new") == []  # a creation leaves nothing
    h.update(deal["id"], stage="qualified")
    h.run()
    h.update(deal["id"], stage="won")
    h.run()
    h.update(other["id"], pipeline="claims")  # leaving "new" for another pipeline counts too
    h.run()
    assert h.said(deal["id"]) == ["left qualified"] and h.said(other["id"]) == ["left received"]


def test_pl09_stage_entered_condition_can_read_the_previous_stage(make_app):
    h = make_app(rule("from_new", {"kind": "stage_entered", "stages": ["won"]}, [comment("straight from new")],
                      condition={"field": "previous.stage", "op": "eq", "value": "new"}))
    deal = h.create()
    h.run()
    h.update(deal["id"], stage="won")
    h.run()
    assert h.said(deal["id"]) == ["straight from new"]


# -- time ----------------------------------------------------------------------------------------

def _timed(field, offset, unit, at=None, **extra):
    trigger = {"kind": "time", "field": field, "offset": offset, "unit": unit, **({"at": at} if at else {})}
    return rule("timed", trigger, [comment("due")], **extra)


@pytest.mark.parametrize("field, value, offset, unit, at, due", [
    ("due", "2026-03-10", 2, "days", None, dt.datetime(2026, 3, 12, 9, 0)),  # dates default to 09:00
    ("due", "2026-03-10", -1, "days", "14:30", dt.datetime(2026, 3, 9, 14, 30)),  # negative = before
    ("due", "2026-03-10", -2, "weeks", None, dt.datetime(2026, 2, 24, 9, 0)),
    ("due", "2026-01-31", 1, "months", None, dt.datetime(2026, 2, 28, 9, 0)),  # clamped to the month's end
    ("due", "2026-11-30", 3, "months", "08:05", dt.datetime(2027, 2, 28, 8, 5)),
    ("meeting_at", "2026-03-05T10:00:00Z", -30, "minutes", None, dt.datetime(2026, 3, 5, 9, 30)),
    ("meeting_at", "2026-03-05T10:00:00Z", 2, "hours", "18:00", dt.datetime(2026, 3, 5, 12, 0)),  # no "at"
    ("stage_changed_at", None, 15, "minutes", None, START + dt.timedelta(minutes=15)),
])
def test_pl07_time_trigger_due_time(make_app, field, value, offset, unit, at, due):
    h = make_app(_timed(field, offset, unit, at))
    h.create(**({field: value} if value else {}))
    h.automation.dispatcher.drain()  # events only: a due time already past would fire at once
    assert [(t["due_at"], t["status"], t["purpose"]) for t in h.timers("timed")] == [(due, "pending", "trigger")]


def test_pl07_time_trigger_fires_once_when_due(make_app, clock):
    h = make_app(_timed("due", -1, "days"))
    deal = h.create(due="2026-03-05")
    h.run()
    clock.now = dt.datetime(2026, 3, 4, 8, 59)
    h.run()
    assert h.said(deal["id"]) == []
    clock.advance(minutes=1)
    h.run()
    clock.advance(days=3)
    h.run()
    assert h.said(deal["id"]) == ["due"]
    assert [t["status"] for t in h.timers("timed")] == ["fired"]


def test_pl07_time_trigger_is_recomputed_when_its_date_changes(make_app, clock):
    h = make_app(_timed("due", 0, "days"))
    deal, other = h.create(due="2026-03-05"), h.create(due="2026-03-05")
    h.run()
    h.update(deal["id"], due="2026-03-20")
    h.update(deal["id"], notes="unrelated edit")
    h.run()
    mine = [(t["due_at"].date().isoformat(), t["status"]) for t in h.timers("timed") if t["record_id"] == deal["id"]]
    assert mine == [("2026-03-05", "cancelled"), ("2026-03-20", "pending")]
    assert len(h.timers("timed", status="pending")) == 2  # one per rule and record
    clock.now = dt.datetime(2026, 3, 6)
    h.run()
    assert h.said(deal["id"]) == [] and h.said(other["id"]) == ["due"]
    h.update(deal["id"], due=None)  # no date, no timer
    h.run()
    clock.now = dt.datetime(2026, 4, 1)
    h.run()
    assert h.said(deal["id"]) == [] and h.timers("timed", status="pending") == []


def test_bk02_escalation_is_cancelled_when_the_deal_is_taken_within_15_minutes(make_app, clock):
    h = make_app(rule("not_taken", {"kind": "time", "field": "stage_changed_at", "offset": 15, "unit": "minutes"},
                      [{"kind": "notify", "to": {"department_heads": ["head_office"]},
                        "title": "Nobody took {{ record.title }}"}],
                      condition={"field": "assignee", "op": "is_empty"}))
    left, taken = h.create(title="Left"), h.create(title="Taken")
    h.run()
    clock.advance(minutes=10)
    h.update(taken["id"], assignee="carl")
    h.run()
    assert [t["status"] for t in h.timers("not_taken") if t["record_id"] == taken["id"]] == ["cancelled"]
    clock.advance(minutes=4, seconds=59)
    h.run()
    assert h.inbox("boss") == []
    clock.advance(seconds=1)
    h.run()
    assert [(n["title"], n["record_id"], n["count"]) for n in h.inbox("boss")] == [("Nobody took Left", left["id"], 1)]
    assert h.outcomes("not_taken") == ["fired"]


def test_pl07_time_trigger_rechecks_its_condition_at_the_due_time(make_app, clock):
    h = make_app(_timed("stage_changed_at", 15, "minutes", condition={"field": "stage", "op": "eq", "value": "new"}))
    deal = h.create()
    h.run()
    h.update(deal["id"], stage="won")
    clock.advance(minutes=20)
    h.automation.dispatcher.sweep()  # the timer comes due before the move's event is processed
    assert h.said(deal["id"]) == []
    assert [(r["outcome"], r["reason"]) for r in h.runs("timed")] == [
        ("skipped", "condition no longer holds at the due time")]


def test_pl07_time_trigger_does_not_fire_again_for_the_same_due_time(make_app, clock):
    h = make_app(_timed("stage_changed_at", 15, "minutes"))
    deal = h.create()
    h.run()
    clock.advance(minutes=16)
    h.run()
    h.update(deal["id"], notes="an edit after the reminder")
    h.run()
    assert h.said(deal["id"]) == ["due"]


def test_pl11_time_rule_of_one_pipeline_does_not_fire_after_the_record_left_it(make_app, clock):
    h = make_app(_timed("stage_changed_at", 1, "hours", pipelines=["sales"]))
    deal = h.create()
    h.run()
    h.update(deal["id"], pipeline="claims")
    h.run()
    assert [t["status"] for t in h.timers("timed")] == ["cancelled"]
    clock.advance(hours=2)
    h.run()
    assert h.said(deal["id"]) == []


# -- manual --------------------------------------------------------------------------------------

def _with_viewer(bundle):
    """vera may read deals but not change them."""
    bundle.edit("org.json", lambda doc: doc["users"].append(
        {"username": "vera", "full_name": "Vera Viewer", "roles": ["viewer"]}))
    bundle.write("roles/viewer.json", {"schema_version": 1, "name": "viewer", "label": "Viewer",
                                       "entities": {"deal": {"rights": ["read"]}}})


def test_pl07_manual_button_needs_the_update_right_the_roles_and_the_condition(make_app, clock):
    h = make_app(rule("hand_back", {"kind": "manual", "button": {"en": "Hand back"}, "roles": ["sales_head", "viewer"]},
                      [comment("handed back by {{ actor }}")], condition={"field": "important", "op": "eq", "value": True}),
                 rule("note", {"kind": "manual"}, [comment("noted by {{ actor }}")]), edit=_with_viewer)
    deal = h.create(assignee="boris", important=True)
    h.run()
    assert h.runs("hand_back") == []  # events never fire a button
    with pytest.raises(AccessDenied):
        h.press("vera", deal["id"], "hand_back")  # in the roles, but may not edit
    with pytest.raises(AccessDenied):
        h.press("boris", deal["id"], "hand_back")  # may edit, not in the roles
    with pytest.raises(RecordNotFound):
        h.press("carl", deal["id"], "note")  # may edit deals, but cannot see this one
    assert h.press("boris", deal["id"], "note") == "fired"  # a button without roles: whoever may edit
    with pytest.raises(LookupError):
        h.press("anna", deal["id"], "no_such_button")
    assert h.press("anna", deal["id"], "hand_back") == "fired"
    h.update(deal["id"], important=False)
    clock.advance(seconds=1)
    assert h.press("anna", deal["id"], "hand_back") == "skipped"
    assert h.said(deal["id"]) == ["noted by boris", "handed back by anna"]
    assert [(r["outcome"], r["source"].split(":")[:2]) for r in h.runs("hand_back")] == [
        ("fired", ["manual", "anna"]), ("skipped", ["manual", "anna"])]


def test_pl07_manual_button_with_roles_is_open_to_the_apps_administrators(make_app):
    h = make_app(rule("hand_back", {"kind": "manual", "roles": ["sales_head"]}, [comment("handed back")]))
    deal = h.create()
    assert h.press("boss", deal["id"], "hand_back") == "fired"  # boss has the app's admin role


@pytest.mark.postgres
def test_pl07_manual_button_works_for_a_long_username(make_app):
    def long_user(bundle):
        bundle.edit("org.json", lambda doc: doc["users"].append(
            {"username": "alexandra.petrova", "full_name": "Alexandra Petrova", "roles": ["admin"]}))
    h = make_app(rule("stamp", {"kind": "manual"}, [comment("stamped")]), edit=long_user)
    deal = h.create()
    assert h.press("alexandra.petrova", deal["id"], "stamp") == "fired"


# -- pipelines filter, enabled ------------------------------------------------------------------

def test_pl11_rule_pipelines_filter(make_app):
    h = make_app(rule("claims_only", {"kind": "field_changed", "fields": ["notes"]}, [comment("claims")],
                      pipelines=["claims"]))
    sales, claim = h.create(), h.create(pipeline="claims")
    h.run()
    h.update(sales["id"], notes="x")
    h.update(claim["id"], notes="x")
    h.run()
    assert h.said(sales["id"]) == [] and h.said(claim["id"]) == ["claims"]
    assert [r["record_id"] for r in h.runs("claims_only")] == [claim["id"]]


def test_bk28_disabled_rules_never_fire(make_app, clock):
    off = {"enabled": False}
    h = make_app(rule("auto_create", {"kind": "record_created"}, [comment("created")], **off),
                 rule("auto_stage", {"kind": "stage_entered"}, [comment("entered")], **off),
                 rule("auto_timer", {"kind": "time", "field": "stage_changed_at", "offset": 1, "unit": "minutes"},
                      [comment("timer")], **off),
                 rule("auto_button", {"kind": "manual"}, [comment("pressed")], **off))
    deal = h.create()
    h.run()
    h.update(deal["id"], stage="won")
    clock.advance(days=1)
    h.run()
    with pytest.raises(LookupError):
        h.press("boss", deal["id"], "auto_button")
    assert h.said(deal["id"]) == [] and h.runs() == [] and h.timers() == []
