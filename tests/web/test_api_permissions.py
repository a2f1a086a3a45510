"""PL18 through the API: role rights (403), record rules (404), field rules (hidden, read-only)."""
from __future__ import annotations

DEALS = "/api/v1/mini/deal/"


def test_pl18_a_hidden_field_is_absent_from_card_list_history_and_search(web):
    deal = web.create("boss", "deal", {"title": "Won deal", "assignee": "boris", "passport": "4510 123456"})
    boss = web.api("boss")
    assert boss.patch(f"{DEALS}{deal['id']}", json={"stage": "won"}).status_code == 200

    boris = web.api("boris")
    card = boris.get(f"{DEALS}{deal['id']}").get_json()
    assert "passport" not in card and card["title"] == "Won deal"
    listed = boris.get(DEALS).get_json()["items"]
    assert [d["id"] for d in listed] == [deal["id"]] and "passport" not in listed[0]
    history = boris.get(f"{DEALS}{deal['id']}/history").get_json()["items"]
    assert history and all(h["field"] != "passport" for h in history)
    assert boris.get(DEALS, query_string={"passport": "4510 123456"}).status_code == 400
    assert "4510" not in boris.get(DEALS, query_string={"q": "4510"}).get_data(as_text=True)
    # The administrator still sees it.
    assert boss.get(f"{DEALS}{deal['id']}").get_json()["passport"] == "4510 123456"


def test_pl18_hidden_and_read_only_fields_cannot_be_written(web):
    deal = web.create("boss", "deal", {"title": "Open deal", "assignee": "boris", "amount": "10"})
    boris = web.api("boris")
    response = boris.patch(f"{DEALS}{deal['id']}", json={"amount": "99"})
    assert response.status_code == 422 and response.get_json()["errors"] == {"amount": "is read-only for you"}
    # PUT without the read-only field asks to empty it: refused the same way.
    card = boris.get(f"{DEALS}{deal['id']}").get_json()
    put = boris.put(f"{DEALS}{deal['id']}", json={k: v for k, v in card.items() if k != "amount"})
    assert put.status_code == 422 and set(put.get_json()["errors"]) == {"amount"}
    ok = boris.put(f"{DEALS}{deal['id']}", json={**card, "title": "Renamed by Boris"})
    assert ok.status_code == 200 and ok.get_json()["amount"] == "10.00"


def test_pl18_record_rules_make_other_records_not_found(web):
    mine = web.create("boss", "deal", {"title": "Boris's", "assignee": "boris"})
    theirs = web.create("boss", "deal", {"title": "Carl's", "assignee": "carl"})
    boris = web.api("boris")
    assert [d["title"] for d in boris.get(DEALS).get_json()["items"]] == ["Boris's"]
    for call in (boris.get, boris.delete):
        assert call(f"{DEALS}{theirs['id']}").status_code in (403, 404)
    assert boris.get(f"{DEALS}{theirs['id']}").status_code == 404
    assert boris.patch(f"{DEALS}{theirs['id']}", json={"title": "x"}).status_code == 404
    assert boris.get(f"{DEALS}{theirs['id']}/comments").status_code == 404
    assert boris.post(f"{DEALS}{theirs['id']}/comments", json={"body": "hi"}).status_code == 404
    # anna heads sales (boris's department) and sees his deal, not carl's (support).
    anna = web.api("anna")
    assert [d["title"] for d in anna.get(DEALS).get_json()["items"]] == ["Boris's"]
    assert anna.get(f"{DEALS}{mine['id']}").status_code == 200


def test_pl18_role_rights_are_403(web):
    boris = web.api("boris")
    deal = boris.post(DEALS, json={"title": "Mine", "assignee": "boris"})
    assert deal.status_code == 201
    denied = boris.delete(f"{DEALS}{deal.get_json()['id']}")
    assert denied.status_code == 403 and "may not delete" in denied.get_json()["message"]
    assert boris.post("/api/v1/mini/client/", json={"full_name": "X"}).status_code == 403
    assert boris.get("/api/v1/mini/client/").status_code == 200
    assert boris.post("/api/v1/mini/city/", json={"code": "spb", "label": "SPb"}).status_code == 403
