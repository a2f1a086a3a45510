"""Browser side of the factory: login and logout, CSRF, the per-user menu, escaping, API docs."""
from __future__ import annotations

import re

from tests.web.conftest import CSRF_INPUT, PASSWORD


def test_start_page_requires_login_and_logout_ends_the_session(sqlite_web):
    client = sqlite_web.browser()
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    login = client.get("/login/")
    assert login.status_code == 200 and CSRF_INPUT.search(login.get_data(as_text=True))
    wrong = client.post("/login/", data={"username": "anna", "password": "nope-nope",
                                         "csrf_token": CSRF_INPUT.search(login.get_data(as_text=True)).group(1)})
    assert wrong.status_code == 302 and client.get("/").status_code == 302

    client = sqlite_web.browser("anna")
    page = client.get("/")
    assert page.status_code == 200 and "Mini CRM" in page.get_data(as_text=True)
    assert client.get("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_the_login_form_refuses_a_post_without_its_csrf_token(sqlite_web):
    client = sqlite_web.app.test_client()
    client.get("/login/")
    response = client.post("/login/", data={"username": "boss", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_session_callers_of_the_api_need_the_csrf_header_to_write(sqlite_web):
    client = sqlite_web.browser("boss")
    assert client.get("/api/v1/mini/deal/").status_code == 200
    refused = client.post("/api/v1/mini/deal/", json={"title": "From a form"})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["message"]
    token_value = _csrf_from_session(sqlite_web, client)
    created = client.post("/api/v1/mini/deal/", json={"title": "From a form"}, headers={"X-CSRFToken": token_value})
    assert created.status_code == 201 and created.get_json()["created_by"] == "boss"


def _csrf_from_session(web, client) -> str:
    """The CSRF token of the client's session, as a page of the app would embed it."""
    from flask import session as live
    from flask_wtf.csrf import generate_csrf

    with client.session_transaction() as stored:
        session = dict(stored)
    with web.app.test_request_context():
        live.update(session)
        return generate_csrf()


def test_pl18_the_menu_lists_only_what_the_user_may_read_and_escapes_labels(sqlite_web):
    from stageflow.storage import platform_tables as st

    boris = sqlite_web.browser("boris")
    page = boris.get("/").get_data(as_text=True)
    assert 'href="/mini/deal/"' in page and 'href="/mini/client/"' in page
    assert "Security" not in page  # FAB's user screens are for administrators
    boss_page = sqlite_web.browser("boss").get("/").get_data(as_text=True)
    assert "Security" in boss_page and "/users/list/" in boss_page

    # A user with no role in any app sees no app.
    with sqlite_web.sf.db.begin() as conn:
        conn.execute(st.user_roles.delete().where(st.user_roles.c.username == "carl"))
    carl_page = sqlite_web.browser("carl").get("/").get_data(as_text=True)
    assert "0 open to you" in carl_page and 'href="/mini/deal/"' not in carl_page


def test_user_data_in_pages_is_escaped(sqlite_web):
    from stageflow.storage import platform_tables as st

    with sqlite_web.sf.db.begin() as conn:
        conn.execute(st.users.update().where(st.users.c.username == "anna")
                     .values(full_name='<img src=x onerror="alert(1)">'))
    page = sqlite_web.browser("anna").get("/").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_swagger_ui_is_served_from_local_assets(sqlite_web):
    anonymous = sqlite_web.app.test_client()
    assert anonymous.get("/api/v1/docs").status_code == 302
    client = sqlite_web.browser("boss")
    page = client.get("/api/v1/docs").get_data(as_text=True)
    scripts = re.findall(r'src="([^"]+)"', page)
    assert scripts and all(s.startswith("/") for s in scripts)  # no CDN
    for src in scripts:
        assert client.get(src).status_code == 200
    assert "openapi.json" in client.get("/api/v1/docs/init.js").get_data(as_text=True)
