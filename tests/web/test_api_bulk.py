"""PL22: bulk changes through ``POST /api/v1/<app>/<entity>/bulk``, all or nothing, on SQLite and
PostgreSQL, answered like single changes when a record is refused."""
from __future__ import annotations

from openapi_spec_validator import validate

DEALS = "/api/v1/mini/deal/"
BULK = "/api/v1/mini/deal/bulk"


def test_pl22_bulk_update_then_bulk_delete(web):
    api = web.api("boss")
    ids = [web.create("boss", "deal", {"title": f"Deal {i}", "refusal_reason": "No budget"})["id"] for i in range(3)]
    changed = api.post(BULK, json={"ids": ids, "values": {"stage": "refused", "priority": "high", "version": 1}})
    assert changed.status_code == 200, changed.get_json()
    items = changed.get_json()["items"]
    assert [(i["id"], i["stage"], i["priority"], i["version"]) for i in items] == [
        (i, "refused", "high", 2) for i in sorted(ids)]
    history = api.get(f"{DEALS}{ids[0]}/history").get_json()["items"]
    assert {(h["field"], h["new"], h["by"]) for h in history} >= {("stage", "refused", "boss"), ("priority", "high", "boss")}

    deleted = api.post(BULK, json={"ids": ids[:2], "delete": True})
    assert deleted.status_code == 200 and deleted.get_json() == {"deleted": sorted(ids[:2])}
    assert [api.get(f"{DEALS}{i}").status_code for i in ids] == [404, 404, 200]


def test_pl22_a_refused_move_is_409_with_the_gates_message_and_nothing_changes(web):
    api = web.api("boss")
    ready = web.create("boss", "deal", {"title": "Ready", "refusal_reason": "No budget"})
    blocked = web.create("boss", "deal", {"title": "Blocked"})
    single = api.patch(f"{DEALS}{blocked['id']}", json={"stage": "refused"})
    response = api.post(BULK, json={"ids": [ready["id"], blocked["id"]], "values": {"stage": "refused"}})
    assert single.status_code == response.status_code == 409
    body = response.get_json()
    gate = "cannot move to 'Refused': fill in Refusal reason first"
    assert body["message"] == f"deal #{blocked['id']}: {gate}; no record was changed"
    assert (body["record"], body["fields"], body["errors"]) == (blocked["id"], ["refusal_reason"],
                                                               {"refusal_reason": gate})
    assert single.get_json()["message"] == gate
    for deal in (ready, blocked):
        assert api.get(f"{DEALS}{deal['id']}").get_json() == deal


def test_pl22_invalid_values_are_422_naming_the_field_and_the_record(web):
    api = web.api("boss")
    deal = web.create("boss", "deal", {"title": "Deal"})
    response = api.post(BULK, json={"ids": [deal["id"]], "values": {"quantity": -1}})
    body = response.get_json()
    assert response.status_code == 422 and body["record"] == deal["id"]
    assert list(body["errors"]) == ["quantity"] and body["message"].startswith(f"deal #{deal['id']}: quantity: ")
    assert api.get(f"{DEALS}{deal['id']}").get_json() == deal


def test_pl22_rights_and_record_rules_hold_403_and_404(web):
    boris = web.api("boris")
    client = web.create("boss", "client", {"full_name": "Ivan"})
    denied = boris.post("/api/v1/mini/client/bulk", json={"ids": [client["id"]], "values": {"full_name": "Petr"}})
    assert denied.status_code == 403 and "may not update" in denied.get_json()["message"]
    mine = web.create("boris", "deal", {"title": "Mine", "assignee": "boris"})
    foreign = web.create("boss", "deal", {"title": "Carl's", "assignee": "carl"})
    hidden = boris.post(BULK, json={"ids": [mine["id"], foreign["id"]], "values": {"notes": "x"}})
    assert hidden.status_code == 404
    assert hidden.get_json() == {"message": f"deal #{foreign['id']} does not exist; no record was changed",
                                 "record": foreign["id"]}
    assert boris.get(f"{DEALS}{mine['id']}").get_json()["notes"] is None
    assert boris.post(BULK, json={"ids": [mine["id"]], "delete": True}).status_code == 403


def test_pl22_malformed_bulk_requests_are_client_errors(sqlite_web):
    api = sqlite_web.api("boss")
    deal = sqlite_web.create("boss", "deal", {"title": "Deal"})
    cases = [
        ({"ids": [deal["id"]], "values": {"notes": "x"}, "force": True}, 400, {"force": "unknown key"}),
        ({"ids": [deal["id"]], "delete": "yes"}, 400, {"delete": "expected true or false"}),
        ({"ids": [deal["id"]], "values": {"notes": "x"}, "delete": True}, 400, {"values": "not with delete"}),
        ({"ids": [deal["id"]]}, 422, {"values": "expected an object"}),
        ({"values": {"notes": "x"}}, 422, {"ids": "give a non-empty list of record ids"}),
        ({"ids": [deal["id"], 0], "values": {"notes": "x"}}, 422, {"ids": "0 is not a record id"}),
        ({"ids": [deal["id"]], "values": {"version": 3}}, 422, {"values": "name at least one field to change"}),
    ]
    for body, status, errors in cases:
        response = api.post(BULK, json=body)
        assert (response.status_code, response.get_json().get("errors")) == (status, errors), body
    assert api.post(BULK, data="[1]", content_type="application/json").status_code == 400
    assert api.post("/api/v1/mini/nope/bulk", json={"ids": [1], "values": {"a": 1}}).status_code == 404
    assert sqlite_web.api().post(BULK, json={"ids": [deal["id"]], "delete": True}).status_code == 401
    assert api.get(f"{DEALS}{deal['id']}").get_json() == deal


def test_pl22_the_bulk_operation_is_in_the_openapi_document(sqlite_web):
    doc = sqlite_web.api("boss").get("/api/v1/openapi.json").get_json()
    validate(doc)
    bulk = doc["paths"][BULK]["post"]
    assert bulk["operationId"] == "mini.deal.bulk"
    assert {"200", "400", "403", "404", "409", "422"} <= set(bulk["responses"])
    body = bulk["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["ids"] and set(body["properties"]) == {"ids", "values", "delete"}
