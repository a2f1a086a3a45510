"""Stage gates on moves into another pipeline, through the RecordService (hardening: gates on
every move; PL04 pipelines and allowed moves, PL06 stage gates).

A record enters another pipeline only where the target stage's ``entry_from`` lets it in, or,
undeclared, on the pipeline's first stage; a new record starts on any stage of the default
pipeline but elsewhere only on an undeclared first stage; the engine's own moves (robots,
declared in their rules) are not bound by the entry rule but meet every other gate.
"""
from __future__ import annotations

import pytest

from stageflow.data import BulkRefused, StageMoveRefused
from stageflow.runtime import create_stageflow
from tests.apps.bankruptcy_crm.support import START as CRM_START
from tests.apps.bankruptcy_crm.support import build as build_crm
from tests.bundle_edit import EditableBundle
from tests.support import Clock

from .support import footprint, outbox

APP = "mini"
EXPLOIT = {"pipeline": "deal_support", "stage": "completed", "completion_date": "2026-11-23"}
REFUSED_EXPLOIT = ("cannot move from 'New lead' of pipeline 'Sales' to 'Debts written off' of pipeline "
                   "'Case support'; allowed: nowhere")


def make(sf, actor=None, **values):
    return sf.records.create(actor or sf.system, APP, "deal", {"title": "Deal", **values})


def move(sf, deal, actor=None, **values):
    return sf.records.update(actor or sf.system, APP, "deal", deal["id"], values)


def where(deal) -> tuple[str, str]:
    return deal["pipeline"], deal["stage"]


def stored(sf, deal) -> tuple[str, str]:
    return where(sf.records.get(sf.system, APP, "deal", deal["id"]))


def installed(db_url, tmp_path, mini_bundle, clock, change=None):
    """The mini app (sales: new, qualified, won, refused; claims: received, fixed), with
    ``change(claims_doc)`` applied to its claims pipeline first."""
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    if change is not None:
        bundle.edit("pipelines/claims.json", change)
    engine = create_stageflow(db_url, files_dir=tmp_path / "files", clock=clock)
    engine.install(bundle.root)
    return engine


def stage_of(doc, name) -> dict:
    return next(s for s in doc["stages"] if s["name"] == name)


@pytest.fixture
def declared_sf(db_url, tmp_path, mini_bundle, clock):
    """Claims' ``fixed`` takes won sales deals with an amount; ``received`` keeps its default."""
    def declare(doc):
        fixed = stage_of(doc, "fixed")
        fixed["entry_from"] = [{"pipeline": "sales", "stages": ["won"]}]
        fixed["required_fields"] = ["amount"]
    engine = installed(db_url, tmp_path, mini_bundle, clock, declare)
    yield engine
    engine.close()


@pytest.fixture
def narrowed_sf(db_url, tmp_path, mini_bundle, clock):
    """Claims' first stage declares ``entry_from`` too: only refused sales deals get in, from any
    of its stages ``fixed`` takes a sales deal."""
    def declare(doc):
        stage_of(doc, "received")["entry_from"] = [{"pipeline": "sales", "stages": ["refused"]}]
        stage_of(doc, "fixed")["entry_from"] = [{"pipeline": "sales"}]
    engine = installed(db_url, tmp_path, mini_bundle, clock, declare)
    yield engine
    engine.close()


# -- the default: only the first stage of another pipeline ----------------------------------------

def test_hardening_pl04_pl06_a_user_cannot_switch_pipeline_into_a_later_stage(sf):
    """hardening: gates on every move (PL04, PL06): without ``entry_from`` a record from another
    pipeline enters only the first stage; the refusal changes nothing and names both places."""
    anna = sf.actor("anna")
    deal = make(sf, anna, assignee="anna")
    before, events = footprint(sf), outbox(sf)
    with pytest.raises(StageMoveRefused) as refused:
        move(sf, deal, anna, pipeline="claims", stage="fixed")
    assert str(refused.value) == ("cannot move from 'New' of pipeline 'Sales' to 'Fixed' of pipeline 'Claims'; "
                                  "allowed: Received")
    assert refused.value.fields == ("stage",)
    assert stored(sf, deal) == ("sales", "new")
    assert footprint(sf) == before and outbox(sf) == events
    assert where(move(sf, deal, anna, pipeline="claims", stage="received")) == ("claims", "received")


@pytest.mark.parametrize("username", ["anna", "boss"])
def test_hardening_pl04_switching_pipeline_alone_lands_on_the_entry_stage(sf, username):
    """hardening: gates on every move (PL04): naming only the pipeline still lands on its first
    stage, for administrators the same as for anyone; moving back lands on the first stage too."""
    actor = sf.actor(username)
    deal = make(sf, actor, assignee="anna", stage="won")
    assert where(move(sf, deal, actor, pipeline="claims")) == ("claims", "received")
    with pytest.raises(StageMoveRefused, match="allowed: New$"):
        move(sf, deal, actor, pipeline="sales", stage="won")
    assert where(move(sf, deal, actor, pipeline="sales")) == ("sales", "new")


def test_hardening_pl06_bulk_update_switching_pipeline_is_refused_whole(sf):
    """hardening: gates on every move (PL06): a bulk update that switches pipeline into a later
    stage is refused for the first record and changes no record."""
    anna = sf.actor("anna")
    deals = [make(sf, anna, assignee="anna") for _ in range(2)]
    before, events = footprint(sf), outbox(sf)
    with pytest.raises(BulkRefused) as refused:
        sf.records.bulk_update(anna, APP, "deal", [d["id"] for d in deals], {"pipeline": "claims", "stage": "fixed"})
    assert isinstance(refused.value.reason, StageMoveRefused)
    assert refused.value.record_id == deals[0]["id"]
    assert "to 'Fixed' of pipeline 'Claims'; allowed: Received" in str(refused.value)
    assert [stored(sf, d) for d in deals] == [("sales", "new")] * 2
    assert footprint(sf) == before and outbox(sf) == events
    moved = sf.records.bulk_update(anna, APP, "deal", [d["id"] for d in deals], {"pipeline": "claims"})
    assert [where(m) for m in moved] == [("claims", "received")] * 2


# -- create: a new record comes from nowhere ---------------------------------------------------

def test_hardening_pl04_a_new_record_starts_in_another_pipeline_only_on_its_first_stage(sf):
    """hardening: gates on every move (PL04): create keeps today's rule for the default pipeline
    (any stage whose gates it meets) and meets the entry rule in any other pipeline."""
    anna = sf.actor("anna")
    assert where(make(sf, anna, assignee="anna", stage="won")) == ("sales", "won")
    assert where(make(sf, anna, assignee="anna", pipeline="claims")) == ("claims", "received")
    before = footprint(sf)
    with pytest.raises(StageMoveRefused) as refused:
        make(sf, anna, assignee="anna", pipeline="claims", stage="fixed")
    assert str(refused.value) == "a new record cannot start at 'Fixed' of pipeline 'Claims'; allowed: Received"
    assert footprint(sf) == before


# -- declared entries --------------------------------------------------------------------------

def test_hardening_pl04_pl06_a_declared_entry_passes_only_from_its_stage_and_with_its_gates(declared_sf):
    """hardening: gates on every move (PL04, PL06): ``entry_from`` opens a later stage to the
    stages it names, and the stage's own gates (required fields) still hold."""
    sf, anna = declared_sf, declared_sf.actor("anna")
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    early = make(sf, anna, assignee="anna", client=client["id"], stage="qualified")
    with pytest.raises(StageMoveRefused, match="from 'Qualified' of pipeline 'Sales' to 'Fixed' .*allowed: Received$"):
        move(sf, early, anna, pipeline="claims", stage="fixed", amount="10")
    won = make(sf, anna, assignee="anna", stage="won")
    with pytest.raises(StageMoveRefused, match="cannot move to 'Fixed': fill in Amount first"):
        move(sf, won, anna, pipeline="claims", stage="fixed")
    moved = move(sf, won, anna, pipeline="claims", stage="fixed", amount="10")
    assert where(moved) == ("claims", "fixed")
    events = [e["payload"] for e in outbox(sf, won["id"]) if e["event"] == "stage_changed"]
    assert [(e["from"]["pipeline"], e["from"]["stage"], e["to"]["pipeline"], e["to"]["stage"]) for e in events] == [
        ("sales", "won", "claims", "fixed")]


def test_hardening_pl04_entry_from_on_the_first_stage_narrows_it(narrowed_sf):
    """hardening: gates on every move (PL04): a first stage that declares ``entry_from`` takes
    only the stages it lists, and no new record (a new record comes from no stage); an entry
    without ``stages`` takes any stage of that pipeline."""
    sf, anna = narrowed_sf, narrowed_sf.actor("anna")
    deal = make(sf, anna, assignee="anna")
    with pytest.raises(StageMoveRefused, match="to 'Received' of pipeline 'Claims'; allowed: Fixed$"):
        move(sf, deal, anna, pipeline="claims")
    with pytest.raises(StageMoveRefused, match="a new record cannot start at 'Received' .*; allowed: nowhere$"):
        make(sf, anna, assignee="anna", pipeline="claims")
    assert where(move(sf, deal, anna, pipeline="claims", stage="fixed")) == ("claims", "fixed")
    refused = make(sf, anna, assignee="anna", stage="refused", refusal_reason="No budget")
    assert where(move(sf, refused, anna, pipeline="claims")) == ("claims", "received")


# -- the engine ----------------------------------------------------------------------------------

def test_hardening_pl06_the_engine_is_not_bound_by_the_entry_rule_but_meets_the_other_gates(declared_sf):
    """hardening: gates on every move (PL06): the engine (robots, whose cross-pipeline moves are
    declared in their rules) may enter any stage of another pipeline, and still meets that
    stage's required fields."""
    sf = declared_sf
    deal = make(sf)
    with pytest.raises(StageMoveRefused, match="cannot move to 'Fixed': fill in Amount first"):
        move(sf, deal, pipeline="claims", stage="fixed")
    assert where(move(sf, deal, pipeline="claims", stage="fixed", amount="5")) == ("claims", "fixed")
    assert where(make(sf, pipeline="claims", stage="fixed", amount="5")) == ("claims", "fixed")


# -- the reported exploit, on the bankruptcy CRM --------------------------------------------------

@pytest.fixture
def crm(db_url, tmp_path):
    installed_crm = build_crm(db_url, tmp_path / "files", Clock(CRM_START))
    yield installed_crm
    installed_crm.sf.close()


def test_hardening_pl06_a_fresh_lead_cannot_jump_to_a_completed_case(crm):
    """hardening: gates on every move (PL06, BK17): a call-center operator who may update a lead
    cannot make it a completed support case by switching pipeline in the same write, neither by
    update nor by bulk update nor by creating it there; the robot's hand-over into support
    (deal_sales/handed_to_support -> deal_support/accepted) is untouched (tests/apps)."""
    lead = crm.lead(assignee="ivanova.a")
    with pytest.raises(StageMoveRefused) as refused:
        crm.update("ivanova.a", lead["id"], **EXPLOIT)
    assert str(refused.value) == REFUSED_EXPLOIT
    with pytest.raises(BulkRefused) as bulk:
        crm.sf.records.bulk_update(crm.sf.actor("ivanova.a"), "bankruptcy_crm", "deal", [lead["id"]], EXPLOIT)
    assert str(bulk.value.reason) == REFUSED_EXPLOIT
    after = crm.get(lead["id"])
    assert (after["pipeline"], after["stage"], after["completion_date"], after["version"]) == (
        "deal_sales", "new_lead", None, lead["version"])
    # Support takes deals only from the sales stage that hands them over (apps/bankruptcy_crm).
    with pytest.raises(StageMoveRefused, match="allowed: nowhere"):
        crm.update("ivanova.a", lead["id"], pipeline="deal_support")
    with pytest.raises(StageMoveRefused, match="a new record cannot start at 'Debts written off' of pipeline "
                                               "'Case support'; allowed: nowhere"):
        crm.lead(assignee="ivanova.a", **EXPLOIT)
