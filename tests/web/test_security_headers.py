"""Security headers on every response (issue 22, item 3): the tester found no X-Frame-Options and
no Content-Security-Policy on pages."""
from __future__ import annotations

import re

import pytest

EXPECTED = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


def _assert_secured(response) -> dict[str, str]:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.request.path)
    policy = _policy(response)
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{16,}'", policy["script-src"])
    return policy


@pytest.mark.parametrize("path", ["/", "/mini/deal/", "/login/"])
def test_issue_22_screen_pages_carry_the_security_headers(sqlite_web, path):
    client = sqlite_web.browser("boss")
    if path == "/login/":
        client = sqlite_web.app.test_client()
    response = client.get(path)
    assert response.status_code == 200
    _assert_secured(response)


def test_issue_22_api_answers_static_files_and_errors_carry_them_too(sqlite_web):
    api = sqlite_web.api("boss")
    answers = [api.get("/api/v1/mini/deal/"), api.get("/api/v1/mini/no_such_entity/"),
               sqlite_web.app.test_client().get("/api/v1/mini/deal/"),
               sqlite_web.app.test_client().get("/static/appbuilder/js/ab.js"),
               sqlite_web.app.test_client().get("/no/such/page"),
               sqlite_web.app.test_client().get("/health")]
    assert [a.status_code for a in answers] == [200, 404, 401, 200, 404, 200]
    for answer in answers:
        _assert_secured(answer)


def test_issue_22_an_unexpected_server_error_carries_them(sqlite_web):
    def broken():
        raise RuntimeError("boom")

    sqlite_web.app.add_url_rule("/test-broken", "test_broken", broken)
    response = sqlite_web.app.test_client().get("/test-broken")
    assert response.status_code == 500
    _assert_secured(response)


def test_issue_22_inline_scripts_of_the_pages_carry_this_requests_nonce(sqlite_web):
    """FAB's list widget has an inline script; it gets the nonce the header names, per request."""
    client = sqlite_web.browser("boss")
    nonces = []
    for _ in range(2):
        response = client.get("/users/list/")
        assert response.status_code == 200
        nonce = re.search(r"'nonce-([^']+)'", _assert_secured(response)["script-src"]).group(1)
        inline = INLINE_SCRIPT.findall(response.get_data(as_text=True))
        assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
