"""Pipelines and stage gates through the RecordService (PL04 pipelines, PL06 stage gates, BK17)."""
from __future__ import annotations

import pytest

from stageflow.data import BulkRefused, RecordValidationError, StageMoveRefused
from stageflow.runtime import create_stageflow
from tests.bundle_edit import EditableBundle

from .support import START, footprint, iso, outbox

APP = "mini"


def make(sf, actor=None, **values):
    return sf.records.create(actor or sf.system, APP, "deal", {"title": "Deal", **values})


def move(sf, deal, actor=None, **values):
    return sf.records.update(actor or sf.system, APP, "deal", deal["id"], values)


def where(deal) -> tuple[str, str]:
    return deal["pipeline"], deal["stage"]


# -- where a record starts ---------------------------------------------------------------------

def test_pl04_new_record_starts_on_the_default_pipelines_first_stage(sf):
    deal = make(sf)
    assert where(deal) == ("sales", "new")
    assert deal["stage_changed_at"] == iso(START)


@pytest.mark.parametrize("values, expected", [
    ({"pipeline": "claims"}, ("claims", "received")),
    ({"pipeline": "claims", "stage": "fixed"}, ("claims", "fixed")),
    ({"stage": "won"}, ("sales", "won")),
    ({"pipeline": "sales", "stage": "won"}, ("sales", "won")),
    ({"pipeline": "", "stage": None}, ("sales", "new")),
])
def test_pl04_new_record_can_name_its_pipeline_and_stage(sf, values, expected):
    assert where(make(sf, **values)) == expected


@pytest.mark.parametrize("values, message, field", [
    ({"pipeline": "support"}, "deal has no pipeline 'support'", "pipeline"),
    ({"stage": "lost"}, "pipeline 'sales' has no stage 'lost'", "stage"),
    ({"pipeline": "claims", "stage": "won"}, "pipeline 'claims' has no stage 'won'", "stage"),
])
def test_unknown_pipeline_or_stage_is_refused_on_create(sf, values, message, field):
    before = footprint(sf)
    with pytest.raises(StageMoveRefused) as error:
        make(sf, **values)
    assert str(error.value) == message and error.value.fields == (field,)
    assert footprint(sf) == before


def test_unknown_pipeline_or_stage_is_refused_on_update(sf):
    deal = make(sf, pipeline="claims")
    with pytest.raises(StageMoveRefused, match="no stage 'won'"):
        move(sf, deal, stage="won")  # a stage of the sales pipeline, not of claims
    with pytest.raises(StageMoveRefused, match="no pipeline 'support'"):
        move(sf, deal, pipeline="support")
    assert where(sf.records.get(sf.system, APP, "deal", deal["id"])) == ("claims", "received")


def test_an_entity_without_pipelines_refuses_stage_values(sf):
    with pytest.raises(RecordValidationError) as error:
        sf.records.create(sf.system, APP, "client", {"full_name": "Ivan", "stage": "new", "pipeline": "sales"})
    assert error.value.errors == {"stage": "is set by the system", "pipeline": "is set by the system"}


# -- required fields gate (PL06, BK17) ---------------------------------------------------------

def test_pl06_bk17_refused_needs_a_refusal_reason_and_the_message_names_it(sf, clock):
    deal = make(sf)
    before, events = footprint(sf), outbox(sf)
    clock.advance(hours=1)
    with pytest.raises(StageMoveRefused) as error:
        move(sf, deal, stage="refused")
    assert str(error.value) == "cannot move to 'Refused': fill in Refusal reason first"
    assert error.value.fields == ("refusal_reason",)
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["stage"] == "new"
    assert footprint(sf) == before and outbox(sf) == events

    move(sf, deal, refusal_reason="Too expensive")
    refused = move(sf, deal, stage="refused")
    assert refused["stage"] == "refused" and refused["stage_changed_at"] == iso(clock.now)


def test_pl06_bk17_reason_given_in_the_same_update_as_the_move_is_enough(sf):
    deal = make(sf)
    moved = move(sf, deal, stage="refused", refusal_reason="No budget")
    assert (moved["stage"], moved["refusal_reason"]) == ("refused", "No budget")


def test_pl06_blank_reason_does_not_open_the_gate(sf):
    deal = make(sf)
    with pytest.raises(StageMoveRefused, match="Refusal reason"):
        move(sf, deal, stage="refused", refusal_reason="   ")


def test_pl06_required_fields_gate_applies_on_create_too(sf):
    with pytest.raises(StageMoveRefused, match="fill in Refusal reason"):
        make(sf, stage="refused")
    with pytest.raises(StageMoveRefused, match="'Qualified': fill in Client"):
        make(sf, stage="qualified")
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    assert make(sf, stage="qualified", client=client["id"])["stage"] == "qualified"


def test_pl06_gates_hold_for_every_actor(sf):
    boris = sf.actor("boris")
    deal = make(sf, boris, assignee="boris")
    with pytest.raises(StageMoveRefused):
        move(sf, deal, boris, stage="refused")
    with pytest.raises(StageMoveRefused):
        move(sf, deal, sf.actor("boss"), stage="refused")


def test_pl06_gate_applies_when_moving_into_another_pipeline_stage(sf):
    deal = make(sf, pipeline="claims")
    with pytest.raises(StageMoveRefused, match="Refusal reason"):
        move(sf, deal, pipeline="sales", stage="refused")


# -- bulk moves meet the same gates (PL06) -----------------------------------------------------

def test_pl06_a_gate_refuses_a_move_by_update_and_by_bulk_update_alike_and_changes_nothing(sf, clock):
    ready, blocked, later = make(sf, refusal_reason="No budget"), make(sf), make(sf, refusal_reason="Too late")
    before, events = footprint(sf), outbox(sf)
    clock.advance(hours=1)
    with pytest.raises(StageMoveRefused) as single:
        move(sf, blocked, stage="refused")
    with pytest.raises(BulkRefused) as bulk:
        sf.records.bulk_update(sf.system, APP, "deal", [later["id"], blocked["id"], ready["id"]], {"stage": "refused"})
    gate = "cannot move to 'Refused': fill in Refusal reason first"
    assert str(single.value) == gate and single.value.fields == ("refusal_reason",)
    assert isinstance(bulk.value.reason, StageMoveRefused)
    assert (str(bulk.value.reason), bulk.value.reason.fields) == (gate, ("refusal_reason",))
    assert bulk.value.record_id == blocked["id"]
    assert str(bulk.value) == f"deal #{blocked['id']}: {gate}; no record was changed"
    # ``ready`` comes first in id order and had moved inside the transaction: rolled back too.
    assert [where(sf.records.get(sf.system, APP, "deal", d["id"])) for d in (ready, blocked, later)] == [
        ("sales", "new")] * 3
    assert footprint(sf) == before and outbox(sf) == events


def test_pl06_bulk_update_moves_every_record_with_history_and_events_per_record(sf, clock):
    deals = [make(sf, refusal_reason=f"Reason {i}") for i in range(3)]
    moved_at = clock.advance(hours=1)
    moved = sf.records.bulk_update(sf.actor("boss"), APP, "deal", [d["id"] for d in reversed(deals)],
                                   {"stage": "refused"})
    assert [(m["id"], m["stage"], m["stage_changed_at"], m["version"]) for m in moved] == [
        (d["id"], "refused", iso(moved_at), 2) for d in deals]
    for deal in deals:
        rows = sf.records.history(sf.system, APP, "deal", deal["id"])
        assert [(r["field"], r["old"], r["new"], r["by"]) for r in rows] == [
            ("stage", "new", "refused", "boss"), ("stage_changed_at", iso(START), iso(moved_at), "boss")]
        assert [e["event"] for e in outbox(sf, deal["id"])] == ["created", "updated", "stage_changed"]


# -- allowed moves gate (PL04 allowed moves, PL06) ---------------------------------------------

@pytest.fixture
def claims_sf(db_url, tmp_path, mini_bundle, clock):
    """The mini app with a third claims stage, so that received's ``moves_to: [fixed]`` can refuse."""
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.edit("pipelines/claims.json", lambda doc: doc["stages"].append(
        {"name": "rejected", "label": "Rejected", "kind": "lost"}))
    engine = create_stageflow(db_url, files_dir=tmp_path / "files", clock=clock)
    engine.install(bundle.root)
    yield engine
    engine.close()


def test_pl04_pl06_received_claim_may_only_move_to_fixed(claims_sf):
    sf = claims_sf
    claim = make(sf, pipeline="claims")
    with pytest.raises(StageMoveRefused) as error:
        move(sf, claim, stage="rejected")
    assert str(error.value) == "cannot move from 'Received' to 'Rejected'; allowed: Fixed"
    assert where(sf.records.get(sf.system, APP, "deal", claim["id"])) == ("claims", "received")
    assert move(sf, claim, stage="fixed")["stage"] == "fixed"


def test_pl04_stage_without_moves_to_may_go_anywhere_in_its_pipeline(claims_sf):
    sf = claims_sf
    claim = make(sf, pipeline="claims", stage="fixed")
    assert move(sf, claim, stage="rejected")["stage"] == "rejected"
    assert move(sf, claim, stage="received")["stage"] == "received"


def test_pl04_moves_to_limits_moves_inside_the_pipeline_only(claims_sf):
    sf = claims_sf
    claim = make(sf, pipeline="claims")
    moved = move(sf, claim, pipeline="sales", stage="won")
    assert where(moved) == ("sales", "won")
    assert where(move(sf, claim, pipeline="claims", stage="rejected")) == ("claims", "rejected")


def test_pl04_a_new_record_may_start_on_any_stage_despite_moves_to(claims_sf):
    assert where(make(claims_sf, pipeline="claims", stage="rejected")) == ("claims", "rejected")


# -- moving between pipelines (PL04) -----------------------------------------------------------

def test_pl04_move_to_another_pipeline_and_back_lands_on_first_stages(sf, clock):
    deal = make(sf, stage="won")
    clock.advance(hours=1)
    in_claims = move(sf, deal, pipeline="claims")
    assert where(in_claims) == ("claims", "received")
    assert in_claims["stage_changed_at"] == iso(clock.now)
    clock.advance(hours=1)
    back = move(sf, deal, pipeline="sales")
    assert where(back) == ("sales", "new")
    assert back["stage_changed_at"] == iso(clock.now)
    events = [e["payload"] for e in outbox(sf, deal["id"]) if e["event"] == "stage_changed"]
    assert [(e["from"]["stage"], e["to"]["pipeline"], e["to"]["stage"]) for e in events] == [
        ("won", "claims", "received"), ("received", "sales", "new")]


def test_pl04_move_to_another_pipeline_with_a_stage_lands_on_that_stage(sf):
    deal = make(sf)
    assert where(move(sf, deal, pipeline="claims", stage="fixed")) == ("claims", "fixed")
    assert where(move(sf, deal, pipeline="sales", stage="won")) == ("sales", "won")


def test_stage_changed_at_moves_only_when_the_stage_does(sf, clock):
    deal = make(sf)
    clock.advance(hours=1)
    assert move(sf, deal, title="Renamed")["stage_changed_at"] == iso(START)
    assert move(sf, deal, stage="new")["stage_changed_at"] == iso(START)
    moved_at = clock.advance(hours=1)
    assert move(sf, deal, stage="won")["stage_changed_at"] == iso(moved_at)
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["stage_changed_at"] == iso(moved_at)


# -- historical imports ------------------------------------------------------------------------

def test_historical_create_by_the_system_skips_the_gates(sf):
    old = sf.records.create(sf.system, APP, "deal", {"title": "Old", "stage": "refused"},
                            historical=True, automation=False)
    assert old["stage"] == "refused" and old["refusal_reason"] is None


@pytest.mark.parametrize("username", ["boss", "anna"])
def test_historical_flag_from_a_user_does_not_skip_the_gates(sf, username):
    with pytest.raises(StageMoveRefused):
        sf.records.create(sf.actor(username), APP, "deal", {"title": "Old", "stage": "refused"}, historical=True)


def test_system_actor_without_historical_still_meets_the_gates(sf):
    with pytest.raises(StageMoveRefused):
        sf.records.create(sf.system, APP, "deal", {"title": "Old", "stage": "refused"})


def test_pl06_bk17_a_stage_keeps_its_required_fields_filled_while_the_record_is_there(sf):
    deal = sf.records.create(sf.system, "mini", "deal", {"title": "D"})
    moved = sf.records.update(sf.system, "mini", "deal", deal["id"],
                              {"stage": "refused", "refusal_reason": "Too expensive"})
    with pytest.raises(RecordValidationError) as refused:
        sf.records.update(sf.system, "mini", "deal", deal["id"], {"refusal_reason": ""})
    assert refused.value.errors == {"refusal_reason": "is required in stage 'Refused'"}
    # Leaving the stage frees the field again.
    sf.records.update(sf.system, "mini", "deal", deal["id"], {"stage": "new", "refusal_reason": None})
    assert moved["refusal_reason"] == "Too expensive"


@pytest.fixture
def gated_sf(mini_bundle, tmp_path, db_url):
    bundle = EditableBundle(mini_bundle, tmp_path / "gated")
    bundle.write("entities/task.json", {
        "schema_version": 1, "name": "task", "label": "Task",
        "fields": [{"name": "title", "kind": "string", "required": True},
                   {"name": "deal", "kind": "link", "options": {"entity": "deal"}},
                   {"name": "assignee", "kind": "user"},
                   {"name": "status", "kind": "select", "default": "open",
                    "options": {"choices": [{"value": "open"}, {"value": "done"}]}}]})

    def gates(doc):
        qualified, won = doc["stages"][1], doc["stages"][2]
        qualified["exit_blocked_by"] = [{
            "entity": "task", "link_field": "deal", "message": "other people's tasks are still open",
            "open": {"all": [{"field": "status", "op": "eq", "value": "open"},
                             {"field": "assignee", "op": "ne", "value": {"ref": "record.assignee"}}]}}]
        won["entry_condition"] = {"condition": {"field": "amount", "op": "gt", "value": 0},
                                  "message": "a won deal needs an amount"}
    bundle.edit("pipelines/sales.json", gates)
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    sf.install(bundle.root)
    yield sf
    sf.close()


def test_pl06_bk16_open_tasks_of_other_people_keep_the_deal_in_its_stage(gated_sf):
    sf = gated_sf
    client = sf.records.create(sf.system, "mini", "client", {"full_name": "C"})
    deal = sf.records.create(sf.system, "mini", "deal", {"title": "D", "client": client["id"], "assignee": "boris",
                                                          "stage": "qualified"})
    own = sf.records.create(sf.system, "mini", "task", {"title": "mine", "deal": deal["id"], "assignee": "boris"})
    other = sf.records.create(sf.system, "mini", "task", {"title": "lawyer", "deal": deal["id"], "assignee": "anna"})
    with pytest.raises(StageMoveRefused, match=r"cannot leave 'Qualified': other people's tasks are still open \(1 open\)"):
        sf.records.update(sf.system, "mini", "deal", deal["id"], {"stage": "won", "amount": 5})
    sf.records.update(sf.system, "mini", "task", other["id"], {"status": "done"})
    moved = sf.records.update(sf.system, "mini", "deal", deal["id"], {"stage": "won", "amount": 5})
    assert moved["stage"] == "won"
    assert sf.records.get(sf.system, "mini", "task", own["id"])["status"] == "open"  # the assignee's own task did not block


def test_pl06_entry_condition_refuses_with_its_message(gated_sf):
    sf = gated_sf
    deal = sf.records.create(sf.system, "mini", "deal", {"title": "D"})
    with pytest.raises(StageMoveRefused, match="cannot move to 'Won': a won deal needs an amount"):
        sf.records.update(sf.system, "mini", "deal", deal["id"], {"stage": "won"})
    assert sf.records.update(sf.system, "mini", "deal", deal["id"], {"stage": "won", "amount": 1})["stage"] == "won"
