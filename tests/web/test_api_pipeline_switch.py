"""The REST API refuses a pipeline switch that skips the stage gates (hardening: gates on every
move; PL06 stage gates, PL22 the REST API): PATCH, PUT and bulk updates answer 409 naming the
pipeline and stage, and change nothing. Kanban and the stage bar call the same API."""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import give_passwords, make_web

APP = "bankruptcy_crm"
BUNDLE = Path(__file__).resolve().parents[2] / "apps" / APP
DEALS = f"/api/v1/{APP}/deal/"
OPERATOR = "ivanova.a"  # a call-center operator: may read, create and update her deals
EXPLOIT = {"pipeline": "deal_support", "stage": "completed", "completion_date": "2026-11-23"}
REFUSED = ("cannot move from 'New lead' of pipeline 'Sales' to 'Debts written off' of pipeline "
           "'Case support'; allowed: nowhere")


@pytest.fixture
def crm_web(db_url, tmp_path):
    served = make_web(db_url, tmp_path / "files", BUNDLE)
    give_passwords(served.sf, others=(OPERATOR,))
    yield served
    served.sf.close()


def fresh_lead(web) -> dict:
    """A new lead the operator took: hers to update, standing on the first sales stage."""
    actor = web.sf.actor(OPERATOR)
    client = web.sf.records.create(actor, APP, "client", {"last_name": "Клиентова", "first_name": "Мария",
                                                          "phone": "+7 916 555-00-00"})
    return web.sf.records.create(actor, APP, "deal", {
        "title": "Клиентова — банкротство", "client": client["id"], "client_phone": client["phone"],
        "request_date": "2026-11-23", "city": "msk", "assignee": OPERATOR})


def test_hardening_pl06_pl22_patch_put_and_bulk_cannot_switch_a_lead_into_a_completed_case(crm_web):
    """hardening: gates on every move (PL06, PL22): the reported exploit, ``PATCH
    {"pipeline": "deal_support", "stage": "completed", ...}`` by a call-center operator, and the
    same through PUT and a bulk update, are 409 with the gate's message; the lead is unchanged."""
    api, lead = crm_web.api(OPERATOR), fresh_lead(crm_web)
    url = f"{DEALS}{lead['id']}"

    patched = api.patch(url, json={**EXPLOIT, "version": lead["version"]})
    assert patched.status_code == 409, patched.get_json()
    assert patched.get_json()["message"] == REFUSED
    assert patched.get_json()["fields"] == ["stage"]

    current = api.get(url).get_json()
    put = api.put(url, json={**current, **EXPLOIT}, headers={"If-Match": f'"{current["version"]}"'})
    assert put.status_code == 409, put.get_json()
    assert put.get_json()["message"] == REFUSED

    bulk = api.post(f"{DEALS}bulk", json={"ids": [lead["id"]], "values": EXPLOIT})
    assert bulk.status_code == 409, bulk.get_json()
    assert bulk.get_json()["message"] == f"deal #{lead['id']}: {REFUSED}; no record was changed"
    assert bulk.get_json()["record"] == lead["id"]

    created = api.post(DEALS, json={**{k: v for k, v in lead.items() if k in (
        "title", "client", "client_phone", "request_date", "city", "assignee")}, **EXPLOIT})
    assert created.status_code == 409, created.get_json()
    assert created.get_json()["message"] == ("a new record cannot start at 'Debts written off' of pipeline "
                                             "'Case support'; allowed: nowhere")

    after = api.get(url).get_json()
    assert (after["pipeline"], after["stage"], after["completion_date"], after["version"]) == (
        "deal_sales", "new_lead", None, lead["version"])
