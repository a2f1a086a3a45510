"""Every action kind does what its docstring promises (PL08), inside the rule's transaction."""
from __future__ import annotations

import json

import pytest

from stageflow.data.timeline import add_comment
from stageflow.storage.database import write_transaction

from .support import APP, comment, rule, set_note

CREATED = {"kind": "record_created"}
NO_ASSIGNEE = {"field": "assignee", "op": "is_empty"}


def entered(*stages: str, **extra) -> dict:
    return {"kind": "stage_entered", "stages": list(stages), **extra}


def assign(to: dict, **extra) -> dict:
    return {"kind": "assign", "to": to, **extra}


# -- set_fields ----------------------------------------------------------------------------------

def test_pl08_set_fields_with_literal_formula_template_and_previous_value(make_app):
    h = make_app(rule("recalc", {"kind": "field_changed", "fields": ["amount"]}, [{"kind": "set_fields", "values": {
        "priority": "high",
        "quantity": {"formula": "int(amount) * 2"},
        "notes": {"template": "{{ record.title }}: {{ previous.amount }} -> {{ record.amount }}"},
        "rate": {"ref": "previous.amount"}}}]))
    deal = h.create(title="Flat", amount="5")
    h.run()
    h.update(deal["id"], amount="7")
    h.run()
    got = h.get(deal["id"])
    assert (got["priority"], got["quantity"], got["notes"], got["rate"]) == ("high", 14, "Flat: 5.00 -> 7.00", "5.0000")
    assert h.history(deal["id"], "quantity")[-1]["changed_by"] == "system"  # robots write as the system


def test_pl08_later_actions_see_what_earlier_actions_set(make_app):
    h = make_app(rule("chain", CREATED, [{"kind": "set_fields", "values": {"quantity": 5}},
                                         {"kind": "set_fields", "values": {"rate": {"formula": "quantity * 2"},
                                                                           "notes": {"template": "{{ record.quantity }}"}}}]))
    deal = h.create(quantity=1)
    h.run()
    got = h.get(deal["id"])
    assert (got["notes"], got["rate"]) == ("5", "10.0000")  # today: ("5", "2.0000")


# -- move_stage, return_to_pipeline --------------------------------------------------------------

@pytest.mark.parametrize("action, where", [
    ({"stage": "won"}, ("sales", "won")),
    ({"pipeline": "claims"}, ("claims", "received")),
    ({"pipeline": "claims", "stage": "fixed"}, ("claims", "fixed")),
])
def test_pl08_move_stage_inside_a_pipeline_and_into_another(make_app, action, where):
    h = make_app(rule("move", entered("qualified"), [{"kind": "move_stage", **action}]))
    deal = h.create(client=h.client()["id"])
    h.update(deal["id"], stage="qualified")
    h.run()
    got = h.get(deal["id"])
    assert (got["pipeline"], got["stage"]) == where


def test_pl08_gate_refusal_fails_the_rule_and_undoes_only_its_own_actions(make_app):
    h = make_app(rule("a_close", entered("won"), [set_note("closing"), comment("closing"),
                                                  {"kind": "move_stage", "stage": "refused"}]),
                 rule("b_mark", entered("won"), [{"kind": "set_fields", "values": {"priority": "high"}}]))
    deal = h.create()
    h.update(deal["id"], stage="won")
    h.run()
    got = h.get(deal["id"])
    assert (got["stage"], got["notes"], got["priority"]) == ("won", None, "high")
    assert h.said(deal["id"]) == []
    failed = h.runs("a_close")[0]
    assert failed["outcome"] == "failed"
    assert failed["reason"].endswith(
        "move_stage: StageMoveRefused: cannot move to 'Refused': fill in Refusal reason first")
    assert h.outcomes("b_mark") == ["fired"]
    assert [a["rule"] for a in h.action_runs()] == ["b_mark"]  # the failed rule left no action keys


def test_pr11_claim_round_trip_returns_the_deal_to_its_pipeline_and_stage(make_app):
    h = make_app(rule("to_claims", {"kind": "field_changed", "fields": ["notes"]}, [{"kind": "move_stage", "pipeline": "claims"}],
                      condition={"field": "notes", "op": "eq", "value": "defects to fix"}),
                 rule("claim_done", entered("fixed", pipeline="claims"), [{"kind": "return_to_pipeline"},
                                                                          comment("back in {{ record.pipeline }}")]))
    deal = h.create(client=h.client()["id"])
    for values in ({"stage": "qualified"}, {"stage": "won"}, {"notes": "defects to fix"}):
        h.update(deal["id"], **values)
        h.run()
    assert (h.get(deal["id"])["pipeline"], h.get(deal["id"])["stage"]) == ("claims", "received")
    h.update(deal["id"], stage="fixed")
    h.run()
    got = h.get(deal["id"])
    assert (got["pipeline"], got["stage"]) == ("sales", "won")
    assert h.said(deal["id"]) == ["back in sales"]
    assert h.runs("claim_done")[0]["reason"] == "return_to_pipeline: returned to sales/won; post_comment: commented"


def test_pl08_return_to_pipeline_without_an_earlier_pipeline_does_nothing(make_app):
    h = make_app(rule("back", entered("won"), [{"kind": "return_to_pipeline"}]))
    deal = h.create()
    h.update(deal["id"], stage="won")
    h.run()
    assert h.get(deal["id"])["stage"] == "won"
    assert h.runs("back")[0]["reason"] == "return_to_pipeline: no earlier pipeline to return to"


# -- create_record -------------------------------------------------------------------------------

def test_pl08_create_record_links_it_back(make_app):
    h = make_app(rule("first_deal", CREATED, [{"kind": "create_record", "entity": "deal", "link_field": "client",
                                               "values": {"title": {"template": "First deal of {{ record.full_name }}"},
                                                          "assignee": "boris"}}], entities=["client"]))
    client = h.client("Ivan")
    h.run()
    deals = h.sf.records.list(h.actor("boss"), APP, "deal").items
    assert [(d["title"], d["client"], d["assignee"], d["created_by"]) for d in deals] == [
        ("First deal of Ivan", client["id"], "boris", "system")]
    assert h.runs("first_deal")[0]["reason"] == f"create_record: created deal #{deals[0]['id']}"


# -- assign --------------------------------------------------------------------------------------

def test_pl08_assign_to_a_user_or_a_reference(make_app):
    h = make_app(rule("fixed", CREATED, [assign({"user": "boris"})], condition={"field": "title", "op": "eq", "value": "a"}),
                 rule("creator", CREATED, [assign({"ref": "actor"})], condition={"field": "title", "op": "eq", "value": "b"}),
                 rule("bounce", {"kind": "field_changed", "fields": ["assignee"]}, [assign({"ref": "previous.assignee"})],
                      condition={"field": "assignee", "op": "eq", "value": "carl"}))
    a, b = h.create(title="a"), h.create(title="b", actor=h.actor("anna"))
    h.run()
    assert (h.get(a["id"])["assignee"], h.get(b["id"])["assignee"]) == ("boris", "anna")
    h.update(a["id"], assignee="carl")  # carl may not hold it: back to the one before
    h.run()
    assert h.get(a["id"])["assignee"] == "boris"


def test_pl08_round_robin_cycles_through_the_department(make_app):
    h = make_app(rule("spread", CREATED, [assign({"round_robin": "sales"})]))
    deals = [h.create() for _ in range(5)]
    h.run()
    assert [h.get(d["id"])["assignee"] for d in deals] == ["anna", "boris", "anna", "boris", "anna"]


def test_pl08_least_loaded_picks_the_member_with_fewest_records(make_app):
    h = make_app(rule("balance", CREATED, [assign({"least_loaded": "sales"})], condition=NO_ASSIGNEE))
    for user in ("anna", "anna", "boris", "carl"):
        h.create(assignee=user)
    h.run()
    picked = []
    for _ in range(3):
        deal = h.create()
        h.run()  # one at a time: each choice sees the previous ones
        picked.append(h.get(deal["id"])["assignee"])
    assert picked == ["boris", "anna", "boris"]  # 2:1 -> boris; 2:2 -> by name; 3:2 -> boris


def test_bk07_previous_in_stage_gives_the_deal_back_to_its_call_center_operator(make_app, clock):
    h = make_app(rule("back_to_cc", entered("new"), [assign({"previous_in_stage": "new"})], condition={
        "field": "stage_changed_at", "op": "gt", "value": {"ref": "created_at"}}))
    deal = h.create(client=h.client()["id"])
    h.run()
    for values in ({"assignee": "carl"}, {"stage": "qualified", "assignee": "boris"}, {"notes": "sales work"},
                   {"stage": "new"}):
        clock.advance(minutes=5)
        h.update(deal["id"], **values)
        h.run()
    assert h.get(deal["id"])["assignee"] == "carl"
    assert h.runs("back_to_cc")[-1]["reason"] == "assign: assignee = carl"


def test_pl08_assign_head_of_a_department_field(make_app):
    h = make_app(rule("to_head", CREATED, [assign({"head_of": "department"})]))
    sales, support = h.create(department="sales"), h.create(department="support")
    h.run()
    assert (h.get(sales["id"])["assignee"], h.get(support["id"])["assignee"]) == ("anna", None)
    assert h.runs("to_head", support["id"])[0]["reason"] == 'assign: nobody to assign ({"head_of": "department"})'


# -- watchers and access -------------------------------------------------------------------------

def test_bk12_add_and_remove_watchers(make_app):
    h = make_app(rule("watch", CREATED, [{"kind": "add_watchers", "who": {"users": ["boris"], "department_heads": ["sales"]}}]),
                 rule("unwatch", entered("won"), [{"kind": "remove_watchers", "who": {"watchers": True}}]))
    deal = h.create()
    h.run()
    assert h.members(deal["id"], "watcher") == {"anna", "boris"}
    assert deal["id"] in h.visible_ids("boris")  # sellers see what they watch
    h.update(deal["id"], stage="won")
    h.run()
    assert h.members(deal["id"], "watcher") == set() and h.visible_ids("boris") == set()


def test_bk03_bk19_grant_and_revoke_access_change_who_sees_the_record(make_app):
    h = make_app(rule("drop_on_support", CREATED, [{"kind": "grant_access", "who": {"departments": ["support"]}}]),
                 rule("taken", {"kind": "field_changed", "fields": ["assignee"]},
                      [{"kind": "revoke_access", "who": {"departments": ["sales"]}, "except": {"fields": ["assignee"]}}]))
    deal = h.create()
    h.run()
    assert (deal["id"] in h.visible_ids("carl"), deal["id"] in h.visible_ids("boris")) == (True, False)
    h.update(deal["id"], assignee="boris")
    h.run()
    seen = {user: deal["id"] in h.visible_ids(user) for user in ("anna", "boris", "carl", "boss")}
    assert seen == {"anna": False, "boris": True, "carl": True, "boss": True}
    assert h.members(deal["id"], "denied") == {"anna"}
    h.update(deal["id"], assignee="anna")  # the new holder is let back in, the others are out
    h.run()
    seen = {user: deal["id"] in h.visible_ids(user) for user in ("anna", "boris", "carl")}
    assert seen == {"anna": True, "boris": False, "carl": True}
    assert h.members(deal["id"], "denied") == {"boris"}


# -- notify, SMS, comments, webhooks -------------------------------------------------------------

def _emails(bundle):
    def org(doc):
        for user in doc["users"]:
            if user["username"] == "anna":
                user["email"] = "anna@example.com"
    bundle.edit("org.json", org)


def test_pl14_notify_in_app_and_by_email(make_app):
    h = make_app(rule("tell", entered("won"), [{"kind": "notify", "to": {"fields": ["assignee"], "users": ["boss", "carl"]},
                                                "title": "{{ record.title }} won", "body": "Amount {{ record.amount }}",
                                                "channels": ["inapp", "email"]}]), edit=_emails)
    deal = h.create(title="Flat", amount="10", assignee="anna")
    h.update(deal["id"], stage="won")
    h.run()
    for user in ("anna", "boss", "carl"):
        assert [(n["title"], n["body"], n["record_id"], n["count"]) for n in h.inbox(user)] == [
            ("Flat won", "Amount 10.00", deal["id"], 1)]
    assert h.inbox("boris") == []
    assert sorted((m["channel"], m["recipient"], m["subject"], m["body"]) for m in h.messages()) == [
        ("email", "anna@example.com", "Flat won", "Amount 10.00"),
        ("email", "boss@example.com", "Flat won", "Amount 10.00")]  # carl has no e-mail address
    assert h.runs("tell")[0]["reason"] == "notify: notified anna, boss, carl (inapp, email)"


def test_pl08_notify_departments_and_watchers(make_app):
    h = make_app(rule("tell", entered("won"), [{"kind": "notify", "to": {"departments": ["support"], "watchers": True},
                                                "title": "won"}]))
    deal = h.create()
    h.sf.records.set_member(h.sf.system, APP, "deal", deal["id"], "boris", "watcher")
    h.update(deal["id"], stage="won")
    h.run()
    assert {user: len(h.inbox(user)) for user in ("anna", "boris", "carl", "boss")} == {
        "anna": 0, "boris": 1, "carl": 1, "boss": 0}
    assert h.messages() == []  # in-app only by default


def test_bk04_send_sms_to_a_phone_field(make_app):
    h = make_app(rule("welcome", CREATED, [{"kind": "send_sms", "phone_field": "phone",
                                            "text": "Hello {{ record.full_name }}, code {{ record.id * 7 }}"}],
                      entities=["client"]))
    with_phone, without = h.client("Ivan", phone="+7 900 123-45-67"), h.client("Olga")
    h.run()
    assert [(m["channel"], m["recipient"], m["body"], m["status"]) for m in h.messages()] == [
        ("sms", "+7 900 123-45-67", f"Hello Ivan, code {with_phone['id'] * 7}", "sent")]
    assert h.runs("welcome", without["id"])[0]["reason"] == "send_sms: no phone in phone"


def test_pl13_robot_comments_can_be_hidden_from_the_timeline(make_app):
    h = make_app(rule("robot", entered("won"), [comment("Contract for {{ record.title }} is ready")]))
    deal = h.create(title="Flat")
    with write_transaction(h.sf.db) as conn:
        add_comment(conn, APP, "deal", deal["id"], "Call the client", author="anna", now=h.clock())
    h.update(deal["id"], stage="won")
    h.run()
    assert [(c["kind"], c["author"], c["body"]) for c in h.comments(deal["id"])] == [
        ("comment", "anna", "Call the client"), ("robot", "robot:robot", "Contract for Flat is ready")]
    assert [c["body"] for c in h.comments(deal["id"], include_robots=False)] == ["Call the client"]


def test_pl08_webhook_is_queued_with_its_rendered_body(make_app):
    h = make_app(rule("erp", entered("won"), [{"kind": "webhook", "url": "https://erp.example/hook",
                                               "body": {"deal": "{{ record.id }}", "n": 5}}]))
    deal = h.create(title="Flat")
    h.update(deal["id"], stage="won")
    h.automation.dispatcher.run_until_idle()  # no sender: the message stays queued
    [message] = h.messages("webhook")
    body = json.loads(message["body"])
    assert (message["recipient"], message["status"], message["attempts"]) == ("https://erp.example/hook", "pending", 0)
    assert (body["deal"], body["n"], body["record"]["title"], body["record"]["stage"]) == (str(deal["id"]), 5, "Flat", "won")


# -- wait ----------------------------------------------------------------------------------------

def test_pl08_wait_runs_the_rest_later_exactly_once(make_app, clock):
    h = make_app(rule("follow_up", entered("won"), [comment("won"), {"kind": "wait", "amount": 2, "unit": "days"},
                                                    comment("follow up"), set_note("followed up")]))
    deal = h.create()
    h.update(deal["id"], stage="won")
    h.run()
    assert h.said(deal["id"]) == ["won"]
    [timer] = h.timers("follow_up")
    assert (timer["purpose"], timer["resume_at"], timer["due_at"]) == ("resume", 2, clock.now.replace(day=4))
    clock.advance(days=1, hours=23)
    h.run()
    assert h.said(deal["id"]) == ["won"]
    clock.advance(hours=2)
    h.run()
    h.run()
    assert h.said(deal["id"]) == ["won", "follow up"] and h.get(deal["id"])["notes"] == "followed up"
    assert [r["reason"] for r in h.runs("follow_up")] == [
        f"post_comment: commented; wait: waiting until {timer['due_at'].isoformat()}Z",
        "post_comment: commented; set_fields: set notes"]


# -- update_linked -------------------------------------------------------------------------------

def test_pl05_update_linked_sets_fields_of_the_record_a_link_points_at(make_app):
    h = make_app(rule("mark_client", entered("won"), [{"kind": "update_linked", "link": "client", "values": {
        "city": "kzn", "email": {"template": "won-{{ record.id }}@example.com"}}}]))
    client = h.client()
    deal = h.create(client=client["id"])
    h.update(deal["id"], stage="won")
    h.run()
    got = h.get(client["id"], "client")
    assert (got["city"], got["email"]) == ("kzn", f"won-{deal['id']}@example.com")
    assert h.runs("mark_client")[0]["reason"] == f"update_linked: updated client #{client['id']}"


def test_pl05_update_linked_without_a_link_does_nothing(make_app):
    h = make_app(rule("mark_client", entered("won"), [{"kind": "update_linked", "link": "client",
                                                      "values": {"city": "kzn"}}]))
    deal = h.create()
    h.update(deal["id"], stage="won")
    h.run()
    assert h.runs("mark_client")[0]["reason"] == "update_linked: no linked client"


def test_pl05_update_linked_from_moves_the_records_linking_here_where_the_condition_holds(make_app):
    h = make_app(rule("close_deals", {"kind": "field_changed", "fields": ["city"]}, [{
        "kind": "update_linked", "linked_from": {"entity": "deal", "field": "client"},
        "where": {"field": "priority", "op": "eq", "value": "high"}, "values": {"stage": "won"}}],
        entities=("client",)))
    client, other = h.client(), h.client(name="Other")
    urgent = h.create(client=client["id"], priority="high")
    calm = h.create(client=client["id"], priority="low")
    elsewhere = h.create(client=other["id"], priority="high")
    h.update(client["id"], "client", city="kzn")
    h.run()
    assert [h.get(d["id"])["stage"] for d in (urgent, calm, elsewhere)] == ["won", "new", "new"]
    assert h.history(urgent["id"], "stage")[-1]["changed_by"] == "system"


def test_pl05_a_gate_of_the_linked_record_fails_the_rule_and_changes_nothing(make_app):
    h = make_app(rule("refuse_deals", {"kind": "field_changed", "fields": ["city"]}, [
        comment("refusing"),
        {"kind": "update_linked", "linked_from": {"entity": "deal", "field": "client"}, "values": {"stage": "refused"}}],
        entities=("client",)))
    client = h.client()
    deal = h.create(client=client["id"])
    h.update(client["id"], "client", city="kzn")
    h.run()
    assert h.get(deal["id"])["stage"] == "new"  # refused needs a refusal_reason
    assert h.said(client["id"], "client") == []
    assert h.runs("refuse_deals")[0]["outcome"] == "failed"
