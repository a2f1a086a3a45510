"""Versions over HTTP (PL21, PL24): a publish with a message lists as a version; two versions
compare field by field; a rollback installs the earlier one as the newest, refused with 409 from
a stale view and 403 for users who may not configure the app; bad parameters are clear 400s."""
from __future__ import annotations

import pytest

META = "/api/v1/_meta"
DRAFT = f"{META}/apps/mini/draft"
VERSIONS = f"{META}/apps/mini/versions"
DEAL = "entities/deal.json"


def publish_court_case(admin, message: str | None = "Deals get a court case no.") -> int:
    draft = admin.get(DRAFT).get_json()
    deal = draft["documents"][DEAL]
    deal["fields"].append({"name": "court_case", "kind": "string", "label": "Court case"})
    assert admin.put(f"{DRAFT}/documents/{DEAL}", json={"document": deal}).status_code == 200
    body = {"base_revision": draft["base_revision"]} | ({"message": message} if message else {})
    published = admin.post(f"{DRAFT}/publish", json=body)
    assert published.status_code == 200, published.get_json()
    return published.get_json()["revision"]


def test_pl21_a_published_message_lists_with_its_version(web):
    admin = web.api("boss")
    revision = publish_court_case(admin)
    versions = admin.get(VERSIONS).get_json()["versions"]
    assert [(v["revision"], v["message"], v["created_by"], v["current"]) for v in versions] == [
        (revision, "Deals get a court case no.", "boss", True), (revision - 1, None, None, False)]
    assert versions[0]["created_at"].startswith("20")


def test_pl21_diff_names_the_field_and_rollback_makes_the_old_version_the_newest(web):
    admin = web.api("boss")
    revision = publish_court_case(admin)
    diff = admin.get(f"{VERSIONS}/diff?old={revision - 1}&new={revision}").get_json()
    assert diff["documents"] == [{"path": DEAL, "change": "changed", "items": [
        {"where": ["fields", "court_case"], "change": "added", "before": None,
         "after": '{"name": "court_case", "kind": "string", "label": "Court case"}'}]}]

    rolled = admin.post(f"{VERSIONS}/{revision - 1}/rollback", json={"base_revision": revision})
    assert rolled.status_code == 200, rolled.get_json()
    assert rolled.get_json()["revision"] == revision + 1
    assert admin.get(VERSIONS).get_json()["versions"][0]["message"] == f"Rolled back to revision {revision - 1}"
    refused = admin.post("/api/v1/mini/deal/", json={"title": "x", "court_case": "A40"})
    assert refused.status_code == 422  # the field is gone from the app
    assert refused.get_json()["errors"] == {"court_case": "deal has no field 'court_case'"}


def test_pl21_a_stale_or_unauthorised_rollback_changes_nothing(web):
    admin = web.api("boss")
    revision = publish_court_case(admin, message=None)
    stale = admin.post(f"{VERSIONS}/{revision - 1}/rollback", json={"base_revision": revision - 1})
    assert stale.status_code == 409 and stale.get_json()["current_revision"] == revision
    assert web.api("boris").post(f"{VERSIONS}/{revision - 1}/rollback",
                                 json={"base_revision": revision}).status_code == 403
    assert web.api("boris").get(VERSIONS).status_code == 403
    assert web.api().get(VERSIONS).status_code == 401
    assert admin.post(f"{VERSIONS}/99/rollback", json={"base_revision": revision}).status_code == 404
    assert admin.get(VERSIONS).get_json()["versions"][0]["revision"] == revision


@pytest.mark.parametrize(("url", "body", "named"), [
    (f"{VERSIONS}/diff?old=1", None, "new"),
    (f"{VERSIONS}/diff?old=x&new=1", None, "old"),
    (f"{VERSIONS}/diff?old=1&new=99999999999999999999", None, "new"),
    (f"{VERSIONS}/1/rollback", {}, "base_revision"),
    (f"{VERSIONS}/1/rollback", {"base_revision": True}, "base_revision"),
    (f"{VERSIONS}/1/rollback", {"base_revision": 1, "message": 5}, "message"),
    (f"{VERSIONS}/1/rollback", {"base_revision": 1, "message": "x" * 2001}, "message"),
    (f"{DRAFT}/publish", {"base_revision": 1, "message": ["no"]}, "message"),
])
def test_pl21_bad_version_parameters_are_clear_400s(web, url, body, named):
    admin = web.api("boss")
    answer = admin.get(url) if body is None else admin.post(url, json=body)
    assert answer.status_code == 400, answer.get_json()
    assert named in answer.get_json()["message"]
