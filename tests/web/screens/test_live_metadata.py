"""Issue 3, item 1: entities and fields added while the server runs appear on the next request.

The same Flask app object keeps serving (no restart, no new routes): the generic screen routes
look the new revision up per request.
"""
from __future__ import annotations

import json

from tests.bundle_edit import EditableBundle


def _install_with_a_new_entity_and_field(web, tmp_path, mini_bundle):
    bundle = EditableBundle(mini_bundle, tmp_path / "mini-next")
    bundle.edit("app.json", lambda app: app.update(version="1.1.0"))
    bundle.edit("entities/deal.json", lambda deal: deal["fields"].append(
        {"name": "budget_code", "kind": "string", "label": {"en": "Budget code", "ru": "Код бюджета"}}))
    bundle.write("entities/visit.json", {"schema_version": 1, "name": "visit",
                                         "label": {"en": "Visit", "ru": "Визит"},
                                         "fields": [{"name": "place", "kind": "string", "label": "Place"}]})
    roles = bundle.root / "roles"
    for path in roles.glob("*.json"):
        role = json.loads(path.read_text(encoding="utf-8"))
        if role.get("admin"):
            continue
        role.setdefault("entities", {})["visit"] = {"rights": ["read", "create", "update"]}
        bundle.write(f"roles/{path.name}", role)
    web.sf.install(bundle.root)


def test_new_entity_and_field_show_on_the_next_request_without_restart(web, tmp_path, mini_bundle):
    client = web.browser("boss")
    before = client.get("/").get_data(as_text=True)
    assert client.get("/mini/deal/").status_code == 200
    assert client.get("/mini/visit/").status_code == 404
    assert "/mini/visit/" not in before

    _install_with_a_new_entity_and_field(web, tmp_path, mini_bundle)

    after = client.get("/").get_data(as_text=True)
    assert "/mini/visit/" in after  # the navbar menu and the start page list it
    assert client.get("/mini/visit/").status_code == 200
    web.create("boss", "deal", {"title": "with a budget code", "budget_code": "B-7"})
    api = web.api("boss")
    response = api.get("/api/v1/mini/deal/?q=budget")
    assert response.status_code == 200
    assert [r["budget_code"] for r in response.get_json()["items"]] == ["B-7"]
    schema = api.get("/api/v1/openapi.json").get_json()
    assert "budget_code" in json.dumps(schema)
