"""The builder's API over drafts (PL24): edits, live checks, preview and publish by HTTP.

Twenty invalid edits, each made as the builder makes it, answer with the pointer of the offending
input, and none of them changes the installed revision or its documents. Two publishes from the
same base: the second is refused with 409 and nothing is lost.
"""
from __future__ import annotations

import copy

import pytest

META = "/api/v1/_meta"
DRAFT = f"{META}/apps/mini/draft"


def _installed(admin) -> dict:
    return admin.get(f"{META}/apps/mini").get_json()


def _field(doc: dict, name: str) -> dict:
    return next(f for f in doc["fields"] if f["name"] == name)


def _index(doc: dict, name: str) -> int:
    return next(i for i, f in enumerate(doc["fields"]) if f["name"] == name)


def _add_field(field: dict):
    def edit(doc):
        doc["fields"].append(field)
    return edit


def _set_field(name: str, key: str, value):
    def edit(doc):
        _field(doc, name)[key] = value
    return edit


def _set_option(name: str, key: str, value):
    def edit(doc):
        _field(doc, name).setdefault("options", {})[key] = value
    return edit


def _set(key: str, value):
    def edit(doc):
        doc[key] = value
    return edit


def _stage(name: str, key: str, value):
    def edit(doc):
        next(s for s in doc["stages"] if s["name"] == name)[key] = value
    return edit


def _role_entity(entity: str, key: str, value):
    def edit(doc):
        doc["entities"][entity][key] = value
    return edit


def _department(index: int, key: str, value):
    def edit(doc):
        doc["departments"][index][key] = value
    return edit


DEAL, SALES, SELLER, CITY, ORG = ("entities/deal.json", "pipelines/sales.json", "roles/seller.json",
                                  "handbooks/city.json", "org.json")
# (document, the edit, the pointer the problem must name, its code). Field positions are those
# of the mini app's deal: the edits that add a field add it last (index 13 would be wrong if the
# fixture grew: the pointer is computed from the document in the test).
INVALID_EDITS = [
    ("unknown field kind", DEAL, _add_field({"name": "weird", "kind": "hologram", "label": "W"}), "/fields/-/kind", "unknown_kind"),
    ("bad field name", DEAL, _add_field({"name": "Bad Name", "kind": "string", "label": "B"}), "/fields/-/name", "schema"),
    ("duplicate field", DEAL, _add_field({"name": "title", "kind": "string", "label": "T"}), "/fields/-/name", "duplicate_name"),
    ("link to no entity", DEAL, _add_field({"name": "partner", "kind": "link", "label": "P",
                                            "options": {"entity": "nowhere"}}), "/fields/-/options/entity", "unknown_entity"),
    ("link without target", DEAL, _add_field({"name": "partner", "kind": "link", "label": "P"}), "/fields/-/options", "kind_options"),
    ("select without choices", DEAL, _set_option("priority", "choices", []), "/fields/{priority}/options/choices", "kind_options"),
    ("unknown option", DEAL, _set_option("amount", "currency_symbol", "$"), "/fields/{amount}/options", "kind_options"),
    ("formula syntax", DEAL, _set_option("vat", "formula", "amount *"), "/fields/{vat}/options/formula", "formula_syntax"),
    ("required not a flag", DEAL, _set_field("title", "required", "yes"), "/fields/{title}/required", "schema"),
    ("title field missing", DEAL, _set("title_field", "nothing"), "/title_field", "unknown_field"),
    ("list column missing", DEAL, _set("views", {"list": {"columns": ["title", "ghost"]}}), "/views/list/columns/1", "unknown_field"),
    ("empty label", DEAL, _set("label", ""), "/label", "schema"),
    ("stage gate on no field", SALES, _stage("won", "required_fields", ["ghost"]), "/stages/2/required_fields/0", "unknown_field"),
    ("stage color", SALES, _stage("new", "color", "grey"), "/stages/0/color", "schema"),
    ("stage kind", SALES, _stage("won", "kind", "victory"), "/stages/2/kind", "schema"),
    ("pipeline of no entity", SALES, _set("entity", "ghost"), "/entity", "unknown_entity"),
    ("role right", SELLER, _role_entity("deal", "rights", ["read", "fly"]), "/entities/deal/rights/1", "schema"),
    ("role on no entity", SELLER, lambda doc: doc["entities"].__setitem__("ghost", {"rights": ["read"]}), "/entities/ghost", "unknown_entity"),
    ("field rule on no field", SELLER, lambda doc: doc["entities"]["deal"]["fields"].append(
        {"field": "ghost", "access": "hidden"}), "/entities/deal/fields/2/field", "unknown_field"),
    ("department parent", ORG, _department(1, "parent", "ghost"), "/departments/1/parent", "unknown_department"),
    ("handbook item code", CITY, lambda doc: doc["items"].append({"code": "Bad Code", "label": "X"}), "/items/2/code", "schema"),
]


def _expected_pointer(pointer: str, doc: dict) -> str:
    if "/fields/-" in pointer:
        return pointer.replace("/fields/-", f"/fields/{len(doc['fields']) - 1}")
    if "{" in pointer:
        name = pointer.split("{")[1].split("}")[0]
        return pointer.replace("{" + name + "}", str(_index(doc, name)))
    return pointer


def test_pl24_forms_cover_every_document_type_and_field_kind(web):
    forms = web.api("boss").get(f"{META}/forms").get_json()
    assert {"entity", "pipeline", "role", "handbook", "org", "app"} <= set(forms["documents"])
    kinds = web.sf.kinds.fields.names()
    assert sorted(forms["field_kinds"]) == sorted(kinds)
    link = forms["field_kinds"]["link"]
    assert link["properties"]["kind"]["const"] == "link"
    assert "entity" in link["properties"]["options"]["properties"]
    assert web.api().get(f"{META}/forms").status_code == 401


def test_pl24_only_configurers_reach_drafts(web):
    seller = web.api("boris")
    assert seller.get(DRAFT).status_code == 403
    assert seller.post(f"{DRAFT}/check", json={"path": DEAL, "document": {}}).status_code == 403
    assert seller.post(f"{DRAFT}/publish", json={"base_revision": 1}).status_code == 403
    assert seller.post(f"{META}/drafts", json={"manifest": {"name": "x"}}).status_code == 403
    assert web.api().get(DRAFT).status_code == 401
    # A browser session must send the CSRF token with a change.
    browser = web.browser("boss")
    assert browser.get(DRAFT).status_code == 200
    refused = browser.put(f"{DRAFT}/documents/{DEAL}", json={"document": {}})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["message"]


def test_pl24_twenty_invalid_edits_answer_with_their_pointer_and_change_nothing(web):
    admin = web.api("boss")
    installed = _installed(admin)
    assert len(INVALID_EDITS) >= 20
    for title, path, edit, pointer, code in INVALID_EDITS:
        draft = admin.get(DRAFT).get_json()
        document = copy.deepcopy(draft["documents"][path])
        edit(document)
        expected = (path, _expected_pointer(pointer, document), code)

        checked = admin.post(f"{DRAFT}/check", json={"path": path, "document": document})
        assert checked.status_code == 200, (title, checked.get_json())
        found = {(p["path"], p["pointer"], p["code"]) for p in checked.get_json()["problems"]}
        assert expected in found, (title, found)

        saved = admin.put(f"{DRAFT}/documents/{path}", json={"document": document,
                                                            "base_revision": draft["base_revision"]})
        assert saved.status_code == 200, (title, saved.get_json())
        assert expected in {(p["path"], p["pointer"], p["code"]) for p in saved.get_json()["problems"]}, title

        published = admin.post(f"{DRAFT}/publish", json={"base_revision": draft["base_revision"]})
        assert published.status_code == 422, (title, published.get_json())
        assert expected in {(p["path"], p["pointer"], p["code"]) for p in published.get_json()["problems"]}, title
        assert "nothing was published" in published.get_json()["message"]

        assert _installed(admin) == installed, title
        assert admin.delete(DRAFT).status_code == 204


def test_pl24_edit_preview_publish_serves_the_new_field_at_once(web):
    admin = web.api("boss")
    draft = admin.get(DRAFT).get_json()
    deal = draft["documents"][DEAL]
    deal["fields"].append({"name": "court_case", "kind": "string", "label": "Court case"})
    saved = admin.put(f"{DRAFT}/documents/{DEAL}", json={"document": deal, "base_revision": draft["base_revision"]})
    assert saved.status_code == 200 and saved.get_json()["problems"] == []
    preview = admin.get(f"{DRAFT}/preview").get_json()
    assert preview["added_columns"] == ["mini__deal.court_case"]
    assert preview["documents_changed"] == [DEAL] and preview["problems"] == []
    published = admin.post(f"{DRAFT}/publish", json={"base_revision": draft["base_revision"]})
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["revision"] == draft["base_revision"] + 1
    created = admin.post("/api/v1/mini/deal/", json={"title": "with a case", "court_case": "A40-1/2026"})
    assert created.status_code == 201 and created.get_json()["court_case"] == "A40-1/2026"


def test_pl24_the_second_publish_from_one_base_is_refused_and_keeps_its_draft(web):
    admin = web.api("boss")
    base = admin.get(DRAFT).get_json()["base_revision"]
    # Another admin publishes first, straight through the metadata API.
    added = admin.post(f"{META}/apps/mini/entities/deal/fields", json={"name": "first", "kind": "string", "label": "F"})
    assert added.status_code == 201
    deal = admin.get(DRAFT).get_json()["documents"][DEAL]
    deal["fields"].append({"name": "second", "kind": "string", "label": "S"})
    assert admin.put(f"{DRAFT}/documents/{DEAL}", json={"document": deal}).status_code == 200
    refused = admin.post(f"{DRAFT}/publish", json={"base_revision": base})
    assert refused.status_code == 409, refused.get_json()
    assert "changed since you opened" in refused.get_json()["message"]
    assert refused.get_json()["current_revision"] == base + 1
    kept = admin.get(DRAFT).get_json()
    assert _field(kept["documents"][DEAL], "second")["label"] == "S"
    stale = admin.put(f"{DRAFT}/documents/{DEAL}", json={"document": deal, "base_revision": base + 1})
    assert stale.status_code == 409


def test_pl24_a_new_app_is_drafted_then_installed_by_its_first_publish(web):
    admin = web.api("boss")
    manifest = {"schema_version": 1, "name": "desk", "label": "Desk", "version": "1.0.0"}
    created = admin.post(f"{META}/drafts", json={"manifest": manifest})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["base_revision"] == 0
    assert admin.post(f"{META}/drafts", json={"manifest": manifest}).status_code == 409
    listed = admin.get(f"{META}/drafts").get_json()
    assert {"app": "desk", "base_revision": 0} in listed["items"] and listed["may_create"] is True
    assert web.api("boris").get(f"{META}/apps/desk/draft").status_code == 403
    ticket = {"schema_version": 1, "name": "ticket", "label": "Ticket",
              "fields": [{"name": "subject", "kind": "string", "label": "Subject", "required": True}]}
    saved = admin.put(f"{META}/apps/desk/draft/documents/entities/ticket.json", json={"document": ticket})
    assert saved.status_code == 200 and saved.get_json()["problems"] == [], saved.get_json()
    assert admin.get(f"{META}/apps/desk/draft/preview").get_json()["created_tables"] == ["desk__ticket"]
    published = admin.post(f"{META}/apps/desk/draft/publish", json={"base_revision": 0})
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["revision"] == 1
    made = admin.post("/api/v1/desk/ticket/", json={"subject": "Printer"})
    assert made.status_code == 201, made.get_json()


@pytest.mark.parametrize("body", [{}, {"path": DEAL}, {"document": {}}, {"path": 3, "document": {}}])
def test_pl24_a_malformed_check_is_a_clear_400(web, body):
    answer = web.api("boss").post(f"{DRAFT}/check", json=body)
    assert answer.status_code == 400 and "path" in answer.get_json()["message"]


def test_pl24_a_document_out_of_place_is_refused(web):
    admin = web.api("boss")
    answer = admin.put(f"{DRAFT}/documents/entities/deep/deal.json", json={"document": {}})
    assert answer.status_code == 400 and "not a place for a document" in answer.get_json()["message"]
    assert admin.put(f"{DRAFT}/documents/{DEAL}", json={"document": {}, "base_revision": "x"}).status_code == 400
