"""Debugging rules over HTTP (PL10, PL24): the run log and the dry run of a rule, for those who
may configure the app; values come back as the rest of the API writes them; bad parameters are
clear 400s, unknown rules and records 404s."""
from __future__ import annotations

import pytest

from stageflow.automation.dispatcher import Dispatcher
from tests.automation.support import comment, rule
from tests.bundle_edit import EditableBundle
from tests.web.conftest import make_web

RULES = "/api/v1/_meta/apps/mini/rules"
BIG_AND_NEW = {"all": [{"field": "amount", "op": "gt", "value": 100},
                       {"field": "stage", "op": "eq", "value": "new"}]}


@pytest.fixture
def ruled_web(sqlite_url, tmp_path, mini_bundle):
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.write("rules/big_deal.json", rule("big_deal", {"kind": "record_created"}, [comment("big")],
                                             condition=BIG_AND_NEW))
    web = make_web(sqlite_url, tmp_path / "files", bundle.root)
    yield web
    web.sf.close()


def test_pl10_dry_run_and_run_log_by_http(ruled_web):
    admin = ruled_web.api("boss")
    deal = admin.post("/api/v1/mini/deal/", json={"title": "Small", "amount": "5"}).get_json()
    answer = admin.post(f"{RULES}/big_deal/dry-run", json={"entity": "deal", "record_id": deal["id"]})
    assert answer.status_code == 200, answer.get_json()
    result = answer.get_json()
    assert result["would_run"] is False and result["condition"]["holds"] is False
    assert result["condition"]["all"][0] == {"field": "amount", "op": "gt", "value": "100.00", "actual": "5.00",
                                             "holds": False}
    assert [a["kind"] for a in result["actions"]] == ["post_comment"]
    Dispatcher(ruled_web.sf).drain()  # the automation, run here rather than by a worker
    runs = admin.get(f"{RULES}/big_deal/runs").get_json()["runs"]
    assert [(r["record_id"], r["outcome"], r["reason"]) for r in runs] == [
        (deal["id"], "skipped", "condition does not hold")]


def test_pl10_rule_debugging_refuses_clearly(ruled_web):
    admin = ruled_web.api("boss")
    deal = admin.post("/api/v1/mini/deal/", json={"title": "Small", "amount": "5"}).get_json()
    assert ruled_web.api("boris").get(f"{RULES}/big_deal/runs").status_code == 403
    assert ruled_web.api().get(f"{RULES}/big_deal/runs").status_code == 401
    assert admin.get(f"{RULES}/nope/runs").status_code == 404
    assert admin.get(f"{RULES}/big_deal/runs?limit=x").status_code == 400
    for body, named in (({"record_id": deal["id"]}, "entity"), ({"entity": "deal"}, "record_id"),
                        ({"entity": "deal", "record_id": 10**30}, "record_id"),
                        ({"entity": "deal", "record_id": True}, "record_id")):
        answer = admin.post(f"{RULES}/big_deal/dry-run", json=body)
        assert answer.status_code == 400 and named in answer.get_json()["message"], body
    assert admin.post(f"{RULES}/big_deal/dry-run", json={"entity": "deal", "record_id": 999999}).status_code == 404
