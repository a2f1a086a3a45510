"""PL22: the OpenAPI 3 document generated from the metadata validates and matches the answers."""
from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from stageflow.metadata import sample_app_paths
from stageflow.web.api.openapi import build_document


def test_pl22_the_mini_document_validates_and_maps_field_kinds(sqlite_web):
    response = sqlite_web.api("boss").get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    validate(doc)
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "access_token from POST /api/v1/security/login"}
    deal = doc["components"]["schemas"]["mini.deal"]["properties"]
    expect = {"title": ("string", None), "notes": ("string", None), "quantity": ("integer", "int64"),
              "amount": ("string", "decimal"), "rate": ("string", "decimal"), "important": ("boolean", None),
              "due": ("string", "date"), "meeting_at": ("string", "date-time"), "estimate": ("integer", "int64"),
              "client": ("integer", "int64"), "assignee": ("string", None), "department": ("string", None),
              "site": ("string", "uri"), "scans": ("array", None), "documents": ("array", None),
              "creditors": ("array", None), "vat": ("string", "decimal"), "priority": ("string", None),
              "tags": ("array", None)}
    for name, (kind, fmt) in expect.items():
        assert (deal[name]["type"], deal[name].get("format")) == (kind, fmt), name
    assert deal["priority"]["enum"] == ["low", "normal", "high", None]
    assert deal["tags"]["items"]["enum"] == ["vip", "partner"]
    assert deal["scans"]["items"]["type"] == "integer"
    assert deal["documents"]["items"]["properties"] == {"text": {"type": "string", "minLength": 1, "maxLength": 500},
                                                        "done": {"type": "boolean"}}
    assert set(deal["creditors"]["items"]["properties"]) == {"creditor", "debt", "id"}
    assert deal["vat"]["readOnly"] and deal["id"]["readOnly"] and deal["created_at"]["readOnly"]
    assert deal["stage"]["enum"] == ["fixed", "new", "qualified", "received", "refused", "won"]
    client = doc["components"]["schemas"]["mini.client"]["properties"]
    assert client["email"]["format"] == "email" and client["phone"]["type"] == "string"
    assert "enum" not in client["city"]  # handbook codes are rows, not a fixed list

    paths = doc["paths"]
    assert set(paths["/api/v1/mini/deal/"]) == {"get", "post"}
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/mini/deal/{id}"])
    for sub in ("history", "comments", "attachments"):
        assert f"/api/v1/mini/deal/{{id}}/{sub}" in paths
    create = paths["/api/v1/mini/deal/"]["post"]
    assert {"201", "401", "403", "409", "422"} <= set(create["responses"])
    assert create["requestBody"]["content"]["application/json"]["schema"]["allOf"][1]["required"] == ["title"]
    params = {p["name"] for p in paths["/api/v1/mini/deal/"]["get"]["parameters"]}
    assert {"where", "q", "sort", "limit", "cursor", "count", "amount", "due", "priority"} <= params
    assert paths["/api/v1/security/login"]["post"]["security"] == []


def test_pl22_records_returned_by_the_api_match_their_schema(sqlite_web):
    api = sqlite_web.api("boss")
    client = api.post("/api/v1/mini/client/", json={"full_name": "Ivan", "email": "i@example.com"}).get_json()
    deal = api.post("/api/v1/mini/deal/", json={
        "title": "Full", "client": client["id"], "amount": "12.5", "rate": "0.1234", "priority": "high",
        "tags": ["vip"], "important": True, "due": "2026-12-01", "meeting_at": "2026-12-01T10:00:00+03:00",
        "estimate": "1h 30m", "quantity": 3, "site": "https://example.com", "assignee": "anna",
        "department": "sales", "creditors": [{"creditor": "Bank", "debt": "5"}]}).get_json()
    doc = api.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for name, record in (("mini.deal", deal), ("mini.client", client)):
        validator = OAS30Validator({**schemas[name], "components": doc["components"]})
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == [], (name, errors)
    page = api.get("/api/v1/mini/deal/").get_json()
    page_schema = doc["paths"]["/api/v1/mini/deal/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert not list(OAS30Validator({**page_schema, "components": doc["components"]}).iter_errors(page))


def test_pl22_the_document_of_all_three_sample_apps_validates(sqlite_url, tmp_path):
    from stageflow.runtime import create_stageflow

    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    for path in sample_app_paths():
        sf.install(path)
    doc = build_document(sf)
    validate(doc)
    apps = {name.split(".")[0] for name in doc["components"]["schemas"] if "." in name}
    assert apps == {"bankruptcy_crm", "it_service", "production"}
    assert len({op["operationId"] for item in doc["paths"].values() for key, op in item.items()
                if key != "parameters"}) == sum(len([k for k in item if k != "parameters"]) for item in doc["paths"].values())
    sf.close()


def test_pl22_the_document_needs_a_login_and_covers_the_callers_apps(sqlite_web):
    assert sqlite_web.api().get("/api/v1/openapi.json").status_code == 401
    boris = sqlite_web.api("boris")
    assert "mini.deal" in boris.get("/api/v1/openapi.json", query_string={"app": "mini"}).get_json()["components"]["schemas"]
    assert boris.get("/api/v1/openapi.json", query_string={"app": "other"}).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs/init.js"])
def test_pl22_document_routes_answer(sqlite_web, path):
    assert sqlite_web.api("boss").get(path).status_code == 200
