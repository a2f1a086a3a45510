"""`stageflow demo` and `stageflow create-admin`, the steps of `make demo`; running them again changes nothing.

``make demo`` runs ``demo`` (the three sample apps with their seed records; it returns),
``create-admin admin`` (created only when missing, its password printed then; never prompts)
and ``serve``, all on one database.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from stageflow import cli
from stageflow.cli import main
from stageflow.runtime import create_stageflow
from stageflow.security import load_actor
from stageflow.security.users import check_password
from stageflow.storage import platform_tables as st

PASSWORD_LINE = re.compile(r"^password: (\S+)$", re.MULTILINE)


def _total(sf) -> int:
    admin = sf.system
    return sum(sf.records.count(admin, app, entity)
               for app in sf.catalog.names() for entity in sf.catalog.get(app).spec.entities)


def _invoke(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result


def _password_hash(sf, username: str) -> str | None:
    with sf.db.connect() as conn:
        return conn.execute(select(st.users.c.password_hash).where(st.users.c.username == username)).scalar()


def test_make_demo_steps_twice_keep_the_records_and_the_admin_password(sqlite_url, monkeypatch):
    monkeypatch.delenv("STAGEFLOW_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(cli, "_serve", lambda *a: pytest.fail("stageflow demo must not serve"))
    first = _invoke("demo", "--db", sqlite_url)
    assert "serving" not in first.output and f"database: {sqlite_url}" in first.output
    created = _invoke("create-admin", "admin", "--db", sqlite_url)
    assert "created administrator admin" in created.output and "login: admin" in created.output
    password = PASSWORD_LINE.search(created.output).group(1)
    sf = create_stageflow(sqlite_url)
    try:
        assert set(sf.catalog.names()) == {"bankruptcy_crm", "it_service", "production"}
        records = _total(sf)
        assert records > 300
        stored_hash = _password_hash(sf, "admin")

        with sf.db.connect() as conn:  # the seeds' events are settled: a server starts idle
            assert conn.execute(select(func.count()).select_from(st.outbox)
                                .where(st.outbox.c.processed_at.is_(None))).scalar() == 0
        second = _invoke("demo", "--db", sqlite_url)
        assert second.output.count("0 demo records added") == 3
        assert "automation: 0 queued events settled" in second.output
        again = _invoke("create-admin", "admin", "--db", sqlite_url)
        assert "administrator admin exists; its password is unchanged" in again.output
        assert "stageflow create-admin admin --reset" in again.output
        assert not PASSWORD_LINE.search(again.output)

        sf.catalog.refresh()
        assert _total(sf) == records
        assert _password_hash(sf, "admin") == stored_hash
        with sf.db.connect() as conn:
            assert load_actor(conn, "admin").is_admin
            assert check_password(conn, "admin", password)
    finally:
        sf.close()


def test_create_admin_resets_a_password_only_when_asked(sqlite_url, monkeypatch):
    monkeypatch.setenv("STAGEFLOW_ADMIN_PASSWORD", "from the environment")
    created = _invoke("create-admin", "root", "--db", sqlite_url)
    assert "created administrator root" in created.output and "password: (the one given)" in created.output
    kept = _invoke("create-admin", "root", "--password", "ignored password", "--db", sqlite_url)
    assert "its password is unchanged" in kept.output
    monkeypatch.delenv("STAGEFLOW_ADMIN_PASSWORD")
    reset = _invoke("create-admin", "root", "--reset", "--db", sqlite_url)
    assert "updated administrator root" in reset.output
    new_password = PASSWORD_LINE.search(reset.output).group(1)
    sf = create_stageflow(sqlite_url)
    try:
        with sf.db.connect() as conn:
            assert check_password(conn, "root", new_password)
            assert not check_password(conn, "root", "from the environment")
            assert not check_password(conn, "root", "ignored password")
    finally:
        sf.close()


def test_create_admin_leaves_an_existing_ordinary_user_alone(sqlite_url, mini_bundle):
    _invoke("load", str(mini_bundle), "--db", sqlite_url)
    sf = create_stageflow(sqlite_url)
    try:
        before = _password_hash(sf, "anna")
        refused = _invoke("create-admin", "anna", "--db", sqlite_url, ok=False)
        assert "user anna exists but is not an active administrator; nothing changed" in refused.output
        assert "stageflow create-admin anna --reset" in refused.output
        with sf.db.connect() as conn:
            assert not load_actor(conn, "anna").is_admin
        assert _password_hash(sf, "anna") == before
        _invoke("create-admin", "anna", "--reset", "--password", "anna's new password", "--db", sqlite_url)
        with sf.db.connect() as conn:
            assert load_actor(conn, "anna").is_admin
            assert check_password(conn, "anna", "anna's new password")
    finally:
        sf.close()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_runs_demo_then_create_admin_then_serve_on_one_database(repo_root):
    """The recipe, as make would run it (``make -n`` prints it without running anything)."""
    done = subprocess.run(["make", "-n", "demo"], cwd=repo_root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    steps = [line for line in done.stdout.splitlines() if "bin/stageflow " in line]
    assert [line.split("bin/stageflow ")[1].split()[0] for line in steps] == ["demo", "create-admin", "serve"]
    databases = {re.search(r"--db (\S+)", line).group(1) for line in steps}
    assert len(databases) == 1 and "stageflow-demo.db" in databases.pop()
