"""Logout ends sessions and tokens server-side; the session cookie's flags and lifetime (issue 22,
item 2). The tester's finding: after ``/logout/`` the old session cookie still worked."""
from __future__ import annotations

import datetime as dt

import pytest

from stageflow.web import create_app
from tests.web.conftest import CSRF_INPUT, PASSWORD, Web

DEALS = "/api/v1/mini/deal/"


def _csrf(web: Web, client) -> str:
    """The CSRF token of the client's session, as a page of the app would embed it."""
    from flask import session as live
    from flask_wtf.csrf import generate_csrf

    with client.session_transaction() as stored:
        saved = dict(stored)
    with web.app.test_request_context():
        live.update(saved)
        return generate_csrf()


def _with_cookie(web: Web, cookie: str):
    """A new client presenting a copy of an earlier session cookie (a stolen or kept one)."""
    client = web.app.test_client()
    client.set_cookie("session", cookie)
    return client


def _logged_in(web: Web, username: str):
    client = web.browser(username)
    assert client.get("/").status_code == 200 and client.get(DEALS).status_code == 200
    return client, client.get_cookie("session").value


def _tokens(web: Web, username: str) -> dict:
    response = web.app.test_client().post("/api/v1/security/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.get_json()


def _refused_everywhere(web: Web, cookie: str) -> None:
    old = _with_cookie(web, cookie)
    page = old.get("/")
    assert page.status_code == 302 and "/login/" in page.headers["Location"]
    assert old.get("/mini/deal/").status_code == 302
    assert old.get(DEALS).status_code == 401


def test_issue_22_post_logout_ends_the_session_for_a_kept_copy_of_its_cookie(web):
    client, cookie = _logged_in(web, "anna")
    assert _with_cookie(web, cookie).get("/").status_code == 200  # a copy works before the logout
    response = client.post("/logout/", data={"csrf_token": _csrf(web, client)})
    assert response.status_code == 302
    _refused_everywhere(web, cookie)
    assert client.get("/").status_code == 302


def test_issue_22_logout_by_post_needs_the_csrf_token(sqlite_web):
    client, cookie = _logged_in(sqlite_web, "anna")
    assert client.post("/logout/").status_code == 400
    assert _with_cookie(sqlite_web, cookie).get("/").status_code == 200


def test_issue_22_the_menus_get_logout_also_ends_the_session(sqlite_web):
    client, cookie = _logged_in(sqlite_web, "anna")
    assert client.get("/logout/").status_code == 302
    _refused_everywhere(sqlite_web, cookie)


def test_issue_22_logout_ends_the_tokens_issued_before_it(web):
    tokens = _tokens(web, "boris")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    client = web.app.test_client()
    assert client.get(DEALS, headers=bearer).status_code == 200
    browser, _cookie = _logged_in(web, "boris")
    browser.post("/logout/", data={"csrf_token": _csrf(web, browser)})
    refused = client.get(DEALS, headers=bearer)
    assert refused.status_code == 401 and "session has ended" in refused.get_json()["message"]
    refresh = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refresh.status_code == 401
    # A new login works and its tokens do.
    fresh = _tokens(web, "boris")
    assert client.get(DEALS, headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


def test_issue_22_api_logout_ends_the_access_and_refresh_tokens_and_the_sessions(web):
    tokens = _tokens(web, "carl")
    _browser, cookie = _logged_in(web, "carl")
    client = web.app.test_client()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/security/logout", headers=bearer).status_code == 200
    assert client.get(DEALS, headers=bearer).status_code == 401
    assert client.post("/api/v1/security/logout", headers=bearer).status_code == 401
    assert client.post("/api/v1/security/refresh",
                       headers={"Authorization": f"Bearer {tokens['refresh_token']}"}).status_code == 401
    _refused_everywhere(web, cookie)


def test_a_refreshed_access_token_works_until_the_logout(sqlite_web):
    tokens = _tokens(sqlite_web, "anna")
    client = sqlite_web.app.test_client()
    refreshed = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200
    bearer = {"Authorization": f"Bearer {refreshed.get_json()['access_token']}"}
    assert client.get(DEALS, headers=bearer).status_code == 200
    client.post("/api/v1/security/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert client.get(DEALS, headers=bearer).status_code == 401


def test_one_users_logout_leaves_other_users_logged_in(sqlite_web):
    anna, _ = _logged_in(sqlite_web, "anna")
    _boris, boris_cookie = _logged_in(sqlite_web, "boris")
    anna.get("/logout/")
    assert _with_cookie(sqlite_web, boris_cookie).get("/").status_code == 200


def test_a_deactivated_users_session_and_tokens_end(sqlite_web):
    from stageflow.storage import platform_tables as st

    tokens = _tokens(sqlite_web, "anna")
    _client, cookie = _logged_in(sqlite_web, "anna")
    with sqlite_web.sf.db.begin() as conn:
        conn.execute(st.users.update().where(st.users.c.username == "anna").values(active=False))
    assert _with_cookie(sqlite_web, cookie).get("/").status_code == 302
    assert sqlite_web.app.test_client().get(DEALS, headers={"Authorization": f"Bearer {tokens['access_token']}"}
                                            ).status_code == 401


def _login_cookie_header(web: Web) -> str:
    """The session's Set-Cookie of a form login's answer."""
    client = web.app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    answer = client.post("/login/", data={"username": "anna", "password": PASSWORD,
                                          "csrf_token": CSRF_INPUT.search(page).group(1)})
    headers = [h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert answer.status_code == 302 and headers
    return headers[-1]


@pytest.mark.parametrize(("settings", "secure"), [
    ({}, False),
    ({"STAGEFLOW_BASE_URL": "https://crm.example.org"}, True),
    ({"STAGEFLOW_BASE_URL": "https://crm.example.org", "STAGEFLOW_SECURE_COOKIES": False}, False),
    ({"STAGEFLOW_SECURE_COOKIES": True}, True),
])
def test_issue_22_session_cookies_are_httponly_lax_and_secure_over_https(sqlite_web, settings, secure):
    app = create_app(sqlite_web.sf, secret_key="test-secret-" * 4,
                     config={"FAB_UPDATE_PERMS": False, "STAGEFLOW_SESSION_LIFETIME_MINUTES": 30, **settings})
    assert app.config["SESSION_COOKIE_SECURE"] is secure and app.config["REMEMBER_COOKIE_SECURE"] is secure
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(minutes=30)
    header = _login_cookie_header(Web(sqlite_web.sf, app))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert ("Secure" in header.split("; ")) is secure
    assert "Expires=" in header  # a permanent session: it ends with the configured lifetime


def test_the_session_lifetime_must_be_positive(sqlite_web):
    with pytest.raises(ValueError, match="STAGEFLOW_SESSION_LIFETIME_MINUTES"):
        create_app(sqlite_web.sf, config={"STAGEFLOW_SESSION_LIFETIME_MINUTES": 0})


def test_issue_22_a_database_from_before_this_release_gains_the_generation_and_the_failures_table(
        db_url, tmp_path, mini_bundle):
    """``stageflow migrate`` adds ``sf_user.session_generation`` (0 for every existing user) and
    ``sf_login_failure``; the users log in and out as before."""
    from sqlalchemy import inspect, select, text, update

    from stageflow.runtime import create_stageflow
    from stageflow.storage import platform_tables as st
    from stageflow.storage.platform_schema import schema_version
    from tests.web.conftest import give_passwords

    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    sf.install(mini_bundle)
    with sf.db.begin() as conn:
        conn.execute(text("DROP TABLE sf_login_failure"))
        conn.execute(text("ALTER TABLE sf_user DROP COLUMN session_generation"))
        conn.execute(update(schema_version).values(digest="from-an-earlier-release"))
    sf.close()
    sf = create_stageflow(db_url, files_dir=tmp_path / "files", migrate=True)  # as `stageflow migrate`
    try:
        with sf.db.connect() as conn:
            assert "sf_login_failure" in inspect(conn).get_table_names()
            assert set(conn.execute(select(st.users.c.session_generation)).scalars()) == {0}
        give_passwords(sf)
        web = Web(sf, create_app(sf, secret_key="test-secret-" * 4, config={"FAB_UPDATE_PERMS": False}))
        client, cookie = _logged_in(web, "anna")
        client.get("/logout/")
        _refused_everywhere(web, cookie)
        assert sf.accounts.session_generation("anna") == 1
    finally:
        sf.close()
