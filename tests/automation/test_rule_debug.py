"""Debugging a rule from the builder (PL10, PL24; issue 20 item 4): the rule's run log says why
it fired or not on each record; a dry run on a chosen record shows which parts of its condition
hold and which actions would run, and changes nothing. Only those who may configure the app
may do either."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from stageflow.automation.rule_debug import UnknownRule, dry_run, rule_run_log
from stageflow.data.records import RecordNotFound
from stageflow.security import AccessDenied
from stageflow.storage import platform_tables as st

from .support import APP, comment, rule

CREATED = {"kind": "record_created"}
BIG_AND_NEW = {"all": [{"field": "amount", "op": "gt", "value": 100},
                       {"field": "stage", "op": "eq", "value": "new"}]}


def _counts(h) -> tuple[int, ...]:
    with h.sf.db.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (st.rule_runs, st.action_runs, st.outbox, st.history, st.comments))


def test_pl10_the_run_log_of_a_rule_says_why_it_fired_or_not_on_each_record(make_app):
    h = make_app(rule("big_deal", CREATED, [comment("big")], condition=BIG_AND_NEW),
                 rule("other", CREATED, [comment("x")]))
    small, big = h.create(amount="5"), h.create(amount="500")
    h.run()
    log = rule_run_log(h.sf, h.actor("boss"), APP, "big_deal")
    assert [(r["record_id"], r["outcome"], r["reason"]) for r in log] == [
        (big["id"], "fired", "post_comment: commented"), (small["id"], "skipped", "condition does not hold")]
    assert {r["entity"] for r in log} == {"deal"} and all(r["at"].endswith("Z") for r in log)
    assert len(rule_run_log(h.sf, h.actor("boss"), APP, "big_deal", limit=1)) == 1


def test_pl10_a_dry_run_names_the_failing_part_and_the_actions_and_changes_nothing(make_app):
    h = make_app(rule("big_deal", CREATED, [comment("big"), {"kind": "set_fields", "values": {"quantity": 2}}],
                      condition=BIG_AND_NEW))
    small, big = h.create(amount="5"), h.create(amount="500")
    h.run()
    before = _counts(h)

    refused = dry_run(h.sf, h.actor("boss"), APP, "big_deal", "deal", small["id"])
    assert refused.would_run is False and refused.trigger == "record_created" and refused.pipeline_admits
    amount, stage = refused.condition["all"]
    assert (amount["field"], amount["holds"], str(amount["actual"])) == ("amount", False, "5.00")
    assert (stage["field"], stage["holds"], stage["actual"]) == ("stage", True, "new")
    assert [a["kind"] for a in refused.actions] == ["post_comment", "set_fields"]
    assert refused.actions[1]["options"] == {"values": {"quantity": 2}}

    passed = dry_run(h.sf, h.actor("boss"), APP, "big_deal", "deal", big["id"])
    assert passed.would_run is True and passed.condition["holds"] is True
    assert _counts(h) == before  # no run, no log line, no event, no history, no comment


def test_pl10_debugging_is_for_configurers_and_names_what_is_unknown(make_app):
    h = make_app(rule("big_deal", CREATED, [comment("big")], condition=BIG_AND_NEW))
    deal = h.create(amount="5")
    with pytest.raises(AccessDenied):
        dry_run(h.sf, h.actor("boris"), APP, "big_deal", "deal", deal["id"])
    with pytest.raises(AccessDenied):
        rule_run_log(h.sf, h.actor("anna"), APP, "big_deal")
    with pytest.raises(UnknownRule, match="no rule 'nope'"):
        dry_run(h.sf, h.actor("boss"), APP, "nope", "deal", deal["id"])
    with pytest.raises(UnknownRule, match="does not apply to 'client'"):
        dry_run(h.sf, h.actor("boss"), APP, "big_deal", "client", deal["id"])
    with pytest.raises(RecordNotFound):
        dry_run(h.sf, h.actor("boss"), APP, "big_deal", "deal", 10**9)
