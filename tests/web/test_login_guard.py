"""Login throttling on the form and the JWT API (issue 22, item 2), reproducing the tester's run:
wrong passwords in a row used to leave the right one working at once."""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from stageflow.runtime import create_stageflow
from stageflow.web import create_app
from tests.support.clock import Clock
from tests.web.conftest import CSRF_INPUT, PASSWORD, Web, _fab_permissions_config, give_passwords

LIMITS = {"STAGEFLOW_LOGIN_FREE_ATTEMPTS": 2, "STAGEFLOW_LOGIN_DELAY_SECONDS": 1,
          "STAGEFLOW_LOGIN_LOCK_AFTER": 4, "STAGEFLOW_LOGIN_ADDRESS_LOCK_AFTER": 6,
          "STAGEFLOW_LOGIN_LOCK_SECONDS": 300}
LOGIN = "/api/v1/security/login"


@pytest.fixture
def clocked(db_url: str, tmp_path: Path, mini_bundle: Path):
    clock = Clock(dt.datetime(2026, 3, 2, 9, 0))
    sf = create_stageflow(db_url, files_dir=tmp_path / "files", clock=clock)
    sf.install(mini_bundle)
    give_passwords(sf)
    web = Web(sf, create_app(sf, secret_key="test-secret-" * 4, config={**_fab_permissions_config(sf), **LIMITS}))
    web.clock = clock
    yield web
    sf.close()


def _api_login(web: Web, username: str, password: str, address: str = "10.0.0.1"):
    return web.app.test_client().post(LOGIN, json={"username": username, "password": password},
                                      environ_overrides={"REMOTE_ADDR": address})


def _form_login(client, username: str, password: str):
    page = client.get("/login/").get_data(as_text=True)
    return client.post("/login/", data={"username": username, "password": password,
                                         "csrf_token": CSRF_INPUT.search(page).group(1)})


def _fail_until_locked(web: Web, username: str, times: int, address: str = "10.0.0.1") -> None:
    """Wrong passwords, each after the growing wait has passed (the clock moves, nobody sleeps)."""
    for _ in range(times):
        assert _api_login(web, username, "wrong password", address).status_code == 401
        web.clock.advance(seconds=10)


def test_issue_22_api_refuses_the_right_password_while_the_account_is_locked(clocked):
    _fail_until_locked(clocked, "anna", 4)
    refused = _api_login(clocked, "anna", PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 300
    assert "locked" in refused.get_json()["message"]
    clocked.clock.advance(seconds=300)
    assert _api_login(clocked, "anna", PASSWORD).status_code == 200


def test_issue_22_api_makes_each_attempt_after_the_free_ones_wait_longer(clocked):
    for _ in range(2):
        assert _api_login(clocked, "anna", "wrong password").status_code == 401
    waiting = _api_login(clocked, "anna", PASSWORD)
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1"
    clocked.clock.advance(seconds=1)
    assert _api_login(clocked, "anna", "wrong password").status_code == 401
    assert _api_login(clocked, "anna", PASSWORD).headers["Retry-After"] == "2"
    clocked.clock.advance(seconds=2)
    assert _api_login(clocked, "anna", PASSWORD).status_code == 200


def test_issue_22_a_successful_login_clears_the_accounts_failures(clocked):
    _fail_until_locked(clocked, "anna", 3)
    assert _api_login(clocked, "anna", PASSWORD).status_code == 200
    # Three again (from another address: the first one's failures still count): not yet four.
    _fail_until_locked(clocked, "anna", 3, address="10.0.0.2")
    assert _api_login(clocked, "anna", PASSWORD, address="10.0.0.2").status_code == 200


def test_issue_22_form_login_shows_the_lock_and_refuses_the_right_password(clocked):
    _fail_until_locked(clocked, "boris", 4, address="127.0.0.1")
    client = clocked.app.test_client()
    response = _form_login(client, "boris", PASSWORD)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    page = client.get("/login/").get_data(as_text=True)
    assert "Too many failed logins: login is locked" in page
    assert client.get("/").status_code == 302  # not logged in
    clocked.clock.advance(seconds=301)
    assert _form_login(client, "boris", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_issue_22_form_failures_count_like_api_failures(clocked):
    client = clocked.app.test_client()
    for _ in range(4):
        _form_login(client, "carl", "wrong password")
        clocked.clock.advance(seconds=10)
    assert _api_login(clocked, "carl", PASSWORD, address="127.0.0.1").status_code == 429


def test_issue_22_one_address_guessing_across_accounts_is_locked(clocked):
    """Two failures per account stay under the account limits; the address's six lock it (it
    waits after three, like an account after its free attempts)."""
    for username in ("anna", "boris", "carl"):
        for _ in range(2):
            assert _api_login(clocked, username, "wrong password", "10.9.9.9").status_code == 401
            clocked.clock.advance(seconds=10)
    refused = _api_login(clocked, "boss", PASSWORD, "10.9.9.9")
    assert refused.status_code == 429 and "locked" in refused.get_json()["message"]
    # Another address is not held back, and the accounts themselves are not locked.
    assert _api_login(clocked, "boss", PASSWORD, "10.1.1.1").status_code == 200
    assert _api_login(clocked, "anna", PASSWORD, "10.1.1.1").status_code == 200


def test_issue_22_unknown_usernames_are_throttled_like_known_ones(clocked):
    _fail_until_locked(clocked, "nobody-here", 4)
    assert _api_login(clocked, "nobody-here", "anything at all").status_code == 429


def test_issue_22_a_lock_is_logged_once(clocked, caplog):
    with caplog.at_level(logging.WARNING, logger="stageflow.web.login_guard"):
        _fail_until_locked(clocked, "anna", 4)
        assert _api_login(clocked, "anna", PASSWORD).status_code == 429
    locks = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login locked")]
    assert len(locks) == 1 and "account 'anna' after 4 failed logins" in locks[0]


def test_the_limits_come_from_the_environment_when_the_config_has_none(sqlite_web, monkeypatch):
    monkeypatch.setenv("STAGEFLOW_LOGIN_LOCK_AFTER", "7")
    app = create_app(sqlite_web.sf, config={"FAB_UPDATE_PERMS": False, "STAGEFLOW_LOGIN_LOCK_SECONDS": 60})
    assert app.config["STAGEFLOW_LOGIN_LOCK_AFTER"] == 7 and app.config["STAGEFLOW_LOGIN_LOCK_SECONDS"] == 60
    assert app.config["STAGEFLOW_LOGIN_FREE_ATTEMPTS"] == 3


@pytest.mark.parametrize(("key", "value"), [("STAGEFLOW_LOGIN_LOCK_AFTER", "many"),
                                            ("STAGEFLOW_LOGIN_FREE_ATTEMPTS", "-1")])
def test_a_bad_limit_stops_the_start_naming_the_setting(sqlite_web, monkeypatch, key, value):
    monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=key):
        create_app(sqlite_web.sf, config={"FAB_UPDATE_PERMS": False})
