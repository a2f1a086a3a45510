"""The metadata API: admins change an app's configuration while the server runs (issue 3 proof).

A change is validated in full and installed in one transaction: refused changes answer with
every problem and leave the revision, the documents and the data as they were.
"""
from __future__ import annotations

import copy

META = "/api/v1/_meta/apps"
DEALS = "/api/v1/mini/deal/"


def _revision(api) -> int:
    return api.get(f"{META}/mini").get_json()["revision"]


def test_only_configurers_may_read_or_change_an_app(web):
    seller = web.api("boris")
    listed = seller.get(META)
    assert listed.status_code == 200
    assert [a["configurable"] for a in listed.get_json()["items"]] == [False]
    assert seller.get(f"{META}/mini").status_code == 403
    refused = seller.post(f"{META}/mini/entities/deal/fields", json={"name": "x", "kind": "string", "label": "X"})
    assert refused.status_code == 403 and "may not change" in refused.get_json()["message"]
    assert web.api().get(f"{META}/mini").status_code == 401


def test_a_field_added_through_the_api_is_served_at_once(web):
    admin = web.api("boss")
    before = _revision(admin)
    added = admin.post(f"{META}/mini/entities/deal/fields",
                       json={"name": "court_case", "kind": "string", "label": {"en": "Court case", "ru": "Номер дела"}})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["revision"] == before + 1
    created = admin.post(DEALS, json={"title": "with a case", "court_case": "A40-1/2026"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["court_case"] == "A40-1/2026"
    documents = admin.get(f"{META}/mini").get_json()["documents"]
    assert documents["entities/deal.json"]["fields"][-1]["name"] == "court_case"


def test_refused_metadata_lists_every_problem_and_changes_nothing(web):
    admin = web.api("boss")
    before = admin.get(f"{META}/mini").get_json()
    bad = admin.post(f"{META}/mini/entities/deal/fields", json={"name": "weird", "kind": "hologram", "label": "W"})
    assert bad.status_code == 422
    body = bad.get_json()
    assert "nothing changed" in body["message"]
    assert [(p["path"], p["code"]) for p in body["problems"]] == [("entities/deal.json", "unknown_kind")]
    assert body["problems"][0]["pointer"].startswith("/fields/")
    assert admin.get(f"{META}/mini").get_json() == before

    documents = copy.deepcopy(before["documents"])
    documents["entities/deal.json"]["fields"][0]["kind"] = "nope"
    documents["entities/deal.json"]["title_field"] = "missing"
    replaced = admin.put(f"{META}/mini", json={"documents": documents})
    assert replaced.status_code == 422
    codes = {(p["pointer"], p["code"]) for p in replaced.get_json()["problems"]}
    assert ("/fields/0/kind", "unknown_kind") in codes
    assert admin.get(f"{META}/mini").get_json() == before


def test_malformed_edits_name_what_is_wrong(web):
    admin = web.api("boss")
    documents = admin.get(f"{META}/mini").get_json()["documents"]
    assert admin.put(f"{META}/mini", json={"documents": []}).status_code == 400
    stray = admin.put(f"{META}/mini", json={"documents": {**documents, "notes/x.txt": {}}})
    assert stray.status_code == 400 and "notes/x.txt" in stray.get_json()["message"]
    other = dict(documents)
    other["app.json"] = {**documents["app.json"], "name": "other"}
    assert "manifest of app 'mini'" in admin.put(f"{META}/mini", json={"documents": other}).get_json()["message"]
    assert admin.post(f"{META}/mini/entities/ghost/fields", json={"name": "x", "kind": "string", "label": "X"}).status_code == 404
    twice = admin.post(f"{META}/mini/entities/deal/fields", json={"name": "title", "kind": "string", "label": "T"})
    assert twice.status_code == 400 and "already has a field 'title'" in twice.get_json()["message"]
    assert admin.get(f"{META}/nothing").status_code == 404


def test_a_lossy_type_change_is_refused_with_409_and_keeps_the_data(web):
    admin = web.api("boss")
    deal = admin.post(DEALS, json={"title": "keeps its notes", "notes": "long text"}).get_json()
    before = admin.get(f"{META}/mini").get_json()
    documents = copy.deepcopy(before["documents"])
    for field in documents["entities/deal.json"]["fields"]:
        if field["name"] == "notes":
            field["kind"] = "integer"
            field.pop("searchable", None)
    refused = admin.put(f"{META}/mini", json={"documents": documents})
    assert refused.status_code == 409, refused.get_json()
    assert "nothing changed" in refused.get_json()["message"]
    assert admin.get(f"{META}/mini").get_json()["revision"] == before["revision"]
    assert admin.get(f"{DEALS}{deal['id']}").get_json()["notes"] == "long text"
