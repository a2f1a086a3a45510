"""Web fixtures: the mini app served by the Flask app, users with passwords, API clients.

``web`` installs ``tests/fixtures/valid/mini`` on the test's database (``db_url``: SQLite and
PostgreSQL) and gives its users passwords: ``boss`` becomes a platform administrator through
``set_admin``; ``anna`` (sales head), ``boris`` and ``carl`` (sellers) get password hashes
written into ``sf_user`` (cheap ones: the tests are not about hashing). ``web.api("boris")`` is a test client logged in through
``POST /api/v1/security/login`` with the bearer header preset.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from werkzeug.security import generate_password_hash

from stageflow.runtime import Stageflow, create_stageflow
from stageflow.security.users import set_admin
from stageflow.storage import platform_tables as st
from stageflow.web import create_app

PASSWORD = "correct horse 42"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def give_passwords(sf: Stageflow, admin: str = "boss", others: tuple[str, ...] = ("anna", "boris", "carl")) -> None:
    # Cheap hashes for everyone, the administrator too: scrypt (set_admin's) costs about 0.15 s
    # per hash and per login, and these tests are not about hashing.
    cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with sf.db.begin() as conn:
        made_admin = conn.execute(st.users.update().where(st.users.c.username == admin)
                                  .values(is_admin=True, active=True, password_hash=cheap)).rowcount
        if not made_admin:  # not among the app's users: created as `stageflow create-admin` does
            set_admin(conn, admin, PASSWORD)
        for username in (admin, *others):
            conn.execute(st.users.update().where(st.users.c.username == username).values(password_hash=cheap))


class ApiClient:
    """A Flask test client sending ``Authorization: Bearer`` on every call."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, headers: dict | None = None, **kwargs):
        return self.client.open(path, method=method, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def put(self, path, **kw):
        return self._call("PUT", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


@dataclass
class Web:
    sf: Stageflow
    app: Any
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self._tokens:
            response = self.app.test_client().post("/api/v1/security/login", json={
                "username": username, "password": PASSWORD, "provider": "db"})
            assert response.status_code == 200, response.get_data(as_text=True)
            self._tokens[username] = response.get_json()["access_token"]
        return self._tokens[username]

    def api(self, username: str | None = None) -> ApiClient:
        return ApiClient(self.app.test_client(), self.token(username) if username else None)

    def browser(self, username: str | None = None):
        """A test client with a session cookie, logged in through the login form."""
        client = self.app.test_client()
        if username:
            page = client.get("/login/").get_data(as_text=True)
            response = client.post("/login/", data={"username": username, "password": PASSWORD,
                                                    "csrf_token": CSRF_INPUT.search(page).group(1)})
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def create(self, username: str, entity: str, values: dict[str, Any]) -> dict[str, Any]:
        """A record created through the engine as ``username`` (fixture data, not under test)."""
        return self.sf.records.create(self.sf.actor(username), "mini", entity, values)


def make_web(url: str, files: Path, bundle: Path) -> Web:
    sf = create_stageflow(url, files_dir=files)
    sf.install(bundle)
    give_passwords(sf)
    return Web(sf, create_app(sf, secret_key="test-secret-" * 4, config=_fab_permissions_config(sf)))


def _fab_permissions_config(sf: Stageflow) -> dict[str, Any]:
    """Skip FAB's permission sync (about 1 s) on a database that has it done already: the
    ``db_url`` templates; a first start (``sqlite_url``) still runs it."""
    with sf.db.connect() as conn:
        done = "ab_permission_view" in inspect(conn).get_table_names()
    return {"FAB_UPDATE_PERMS": False} if done else {}


@pytest.fixture
def web(db_url: str, tmp_path: Path, mini_bundle: Path):
    result = make_web(db_url, tmp_path / "files", mini_bundle)
    yield result
    result.sf.close()


@pytest.fixture
def sqlite_web(sqlite_url: str, tmp_path: Path, mini_bundle: Path):
    """The same on SQLite only, for tests whose point is not the backend."""
    result = make_web(sqlite_url, tmp_path / "files", mini_bundle)
    yield result
    result.sf.close()
