"""``/health`` (issue 22, item 3): status and version for anyone, the details for administrators."""
from __future__ import annotations

from stageflow.runtime import create_stageflow
from stageflow.security.users import set_admin
from stageflow.web import create_app
from tests.bundle_edit import EditableBundle
from tests.web.conftest import PASSWORD, Web


def _served(sqlite_url, tmp_path) -> Web:
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    with sf.db.begin() as conn:
        set_admin(conn, "root", PASSWORD)
    return Web(sf, create_app(sf))


def test_issue_22_anonymous_health_shows_only_status_and_version(sqlite_url, mini_bundle, tmp_path):
    web = _served(sqlite_url, tmp_path)
    web.sf.install(mini_bundle)
    for client in (web.app.test_client(), web.api()):
        response = client.get("/health")
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == {"status", "version"} and body["status"] == "ok" and body["version"]


def test_issue_22_a_user_who_is_not_an_administrator_sees_no_details(sqlite_web):
    body = sqlite_web.api("anna").get("/health").get_json()
    assert set(body) == {"status", "version"}


def test_health_reports_the_database_and_installed_revisions_to_an_administrator(sqlite_url, mini_bundle, tmp_path):
    web = _served(sqlite_url, tmp_path)
    web.sf.install(mini_bundle)
    expected = {"status": "ok", "database": "sqlite", "apps": {"mini": 1},
                "entities": {"mini": ["client", "deal", "city"]}}
    for client in (web.browser("root"), web.api("root")):
        response = client.get("/health")
        assert response.status_code == 200
        body = response.get_json()
        assert body.pop("version") and body == expected


def test_health_lists_an_app_and_its_entities_installed_while_serving(sqlite_url, mini_bundle, tmp_path):
    web = _served(sqlite_url, tmp_path)
    client = web.api("root")
    assert client.get("/health").get_json()["entities"] == {}
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    bundle.write("entities/supplier.json", {**bundle.read("entities/client.json"), "name": "supplier"})
    create_stageflow(sqlite_url, files_dir=tmp_path / "files").install(bundle.root)
    health = client.get("/health").get_json()
    assert health["apps"] == {"mini": 1}
    assert sorted(health["entities"]["mini"]) == ["city", "client", "deal", "supplier"]
