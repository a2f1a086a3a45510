"""PL22: the REST API's record verbs on SQLite and PostgreSQL, and their error statuses."""
from __future__ import annotations

DEALS = "/api/v1/mini/deal/"


def test_pl22_every_verb_of_a_record(web):
    api = web.api("boss")
    client = api.post("/api/v1/mini/client/", json={"full_name": "Ivan Petrov", "city": "msk"}).get_json()

    created = api.post(DEALS, json={"title": "Debt relief", "client": client["id"], "amount": "150000.5",
                                    "tags": ["vip"], "creditors": [{"creditor": "Bank", "debt": "10"}]})
    assert created.status_code == 201
    deal = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/mini/deal/{deal['id']}")
    assert created.headers["ETag"] == '"1"'
    assert deal["amount"] == "150000.50" and deal["vat"] == "30000.10" and deal["stage"] == "new"
    assert deal["creditors"] == [{"id": deal["creditors"][0]["id"], "creditor": "Bank", "debt": "10.00"}]

    read = api.get(f"{DEALS}{deal['id']}")
    assert read.status_code == 200 and read.get_json() == deal and read.headers["ETag"] == '"1"'

    patched = api.patch(f"{DEALS}{deal['id']}", json={"priority": "high", "version": 1})
    assert patched.status_code == 200
    assert patched.get_json()["priority"] == "high" and patched.get_json()["version"] == 2

    # PUT replaces: the visible writable fields left out are emptied; system keys sent back are ignored.
    full = {**patched.get_json(), "title": "Renamed"}
    del full["tags"], full["amount"]
    put = api.put(f"{DEALS}{deal['id']}", json=full, headers={"If-Match": '"2"'})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["title"] == "Renamed" and put.get_json()["tags"] is None
    assert put.get_json()["amount"] is None and put.get_json()["vat"] is None
    assert put.get_json()["client"] == client["id"] and put.get_json()["version"] == 3

    history = api.get(f"{DEALS}{deal['id']}/history").get_json()["items"]
    assert {"field": "priority", "old": "normal", "new": "high"}.items() <= history[0].items()
    assert history[0]["by"] == "boss"

    assert api.delete(f"{DEALS}{deal['id']}", headers={"If-Match": "3"}).status_code == 204
    gone = api.get(f"{DEALS}{deal['id']}")
    assert gone.status_code == 404 and "does not exist" in gone.get_json()["message"]


def test_pl22_stage_moves_through_patch_and_refusals_are_409_with_the_gate_message(web):
    api = web.api("boss")
    deal = api.post(DEALS, json={"title": "Stage test"}).get_json()
    refused = api.patch(f"{DEALS}{deal['id']}", json={"stage": "qualified"})
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["fields"] == ["client"] and "fill in Client first" in body["message"]
    assert body["errors"] == {"client": body["message"]}

    client = api.post("/api/v1/mini/client/", json={"full_name": "Anna"}).get_json()
    moved = api.patch(f"{DEALS}{deal['id']}", json={"stage": "qualified", "client": client["id"]})
    assert moved.status_code == 200 and moved.get_json()["stage"] == "qualified"
    unknown = api.patch(f"{DEALS}{deal['id']}", json={"stage": "nowhere"})
    assert unknown.status_code == 409 and unknown.get_json()["fields"] == ["stage"]


def test_pl22_a_stale_version_is_409_with_the_current_version(web):
    api = web.api("boss")
    deal = api.post(DEALS, json={"title": "Concurrent"}).get_json()
    assert api.patch(f"{DEALS}{deal['id']}", json={"title": "First writer", "version": 1}).status_code == 200
    stale = api.patch(f"{DEALS}{deal['id']}", json={"title": "Second writer", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["current_version"] == 2
    assert api.put(f"{DEALS}{deal['id']}", json={"title": "x"}, headers={"If-Match": '"1"'}).status_code == 409
    assert api.delete(f"{DEALS}{deal['id']}", json={"version": 1}).status_code == 409
    assert api.get(f"{DEALS}{deal['id']}").get_json()["title"] == "First writer"
    bad = api.patch(f"{DEALS}{deal['id']}", json={"title": "y"}, headers={"If-Match": "abc"})
    assert bad.status_code == 400 and bad.get_json()["errors"] == {"version": "not a number"}


def test_pl22_invalid_values_are_422_naming_each_failing_field(web):
    api = web.api("boss")
    response = api.post(DEALS, json={"amount": "lots", "priority": "urgent", "quantity": -1,
                                     "vat": "1", "nonsense": 1, "client": 999})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"title", "amount", "priority", "quantity", "vat", "nonsense", "client"}
    assert errors["title"] == "is required" and "not one of" in errors["priority"]
    assert "message" in response.get_json()
    linked = api.post(DEALS, json={"title": "t", "client": 999})
    assert linked.status_code == 422 and set(linked.get_json()["errors"]) == {"client"}


def test_pl22_malformed_requests_are_400_and_unknown_things_404(web):
    api = web.api("boss")
    for body in ("not json", "[1, 2]"):
        response = api.post(DEALS, data=body, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["message"]
    assert api.get("/api/v1/nope/deal/").status_code == 404
    assert "no entity" in api.get("/api/v1/mini/nope/").get_json()["message"]
    assert api.get(f"{DEALS}123456").status_code == 404
    assert api.get(f"{DEALS}{2**63}").status_code == 404  # beyond BIGINT: 404, not a database error
    assert api.get("/api/v1/mini/deal/1/nothing-here").get_json()["message"]
    not_allowed = api.post(f"{DEALS}1")
    assert not_allowed.status_code == 405 and not_allowed.get_json()["message"]


def test_pl22_login_and_401_paths(web):
    anonymous = web.api()
    response = anonymous.get(DEALS)
    assert response.status_code == 401 and "login required" in response.get_json()["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad_token = anonymous.get(DEALS, headers={"Authorization": "Bearer not.a.token"})
    assert bad_token.status_code == 401 and "not valid" in bad_token.get_json()["message"]
    assert anonymous.get(DEALS, headers={"Authorization": "Basic Ym9zczp4"}).status_code == 401

    client = web.app.test_client()
    wrong = client.post("/api/v1/security/login", json={"username": "boss", "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.get_json()["message"]
    unknown = client.post("/api/v1/security/login", json={"username": "nobody", "password": "whatever1"})
    assert unknown.status_code == 401
    # provider is optional (FAB 5.3's own view answered 500 without it) and a refresh token comes along.
    tokens = client.post("/api/v1/security/login", json={"username": "anna", "password": "correct horse 42"})
    assert tokens.status_code == 200 and {"access_token", "refresh_token"} <= set(tokens.get_json())
    refresh = tokens.get_json()["refresh_token"]
    assert anonymous.get(DEALS, headers={"Authorization": f"Bearer {refresh}"}).status_code == 401
    renewed = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {refresh}"})
    assert renewed.status_code == 200
    assert anonymous.get(DEALS, headers={"Authorization": f"Bearer {renewed.get_json()['access_token']}"}).status_code == 200
    assert client.post("/api/v1/security/login", json={"username": "x\x00", "password": "y"}).status_code == 401


def test_pl22_a_deactivated_user_loses_api_access_at_once(web):
    from stageflow.storage import platform_tables as st

    api = web.api("anna")
    assert api.get(DEALS).status_code == 200
    with web.sf.db.begin() as conn:
        conn.execute(st.users.update().where(st.users.c.username == "anna").values(active=False))
    assert api.get(DEALS).status_code == 401


def test_pl22_nul_characters_and_out_of_range_dates_are_refused_not_crashes(web):
    api = web.api("boss")
    nul = api.post(DEALS, json={"title": "a\x00b"})
    assert nul.status_code == 422 and nul.get_json()["errors"] == {"title": "contains a NUL character"}
    assert api.get(DEALS, query_string={"title": "a\x00"}).status_code == 400
    # 0001-01-01 at +13:00 is before year 1 in UTC: Python cannot hold it.
    early = api.post(DEALS, json={"title": "t", "meeting_at": "0001-01-01T00:00:00+13:00"})
    assert early.status_code == 422
    assert api.get(DEALS, query_string={"meeting_at": "0001-01-01T00:00:00+13:00"}).status_code == 400
