"""`stageflow demo`: the three sample apps with their seeds and an admin; running it again adds nothing."""
from __future__ import annotations

from click.testing import CliRunner
from stageflow.cli import main
from stageflow.runtime import create_stageflow
from stageflow.security import load_actor
from stageflow.security.users import check_password


def _total(sf) -> int:
    admin = sf.system
    return sum(sf.records.count(admin, app, entity)
               for app in sf.catalog.names() for entity in sf.catalog.get(app).spec.entities)


def test_demo_loads_the_sample_apps_once_and_prints_a_working_login(sqlite_url, monkeypatch):
    monkeypatch.setenv("STAGEFLOW_ADMIN_PASSWORD", "demo password 1")
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--db", sqlite_url, "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "login: admin / demo password 1" in first.output
    sf = create_stageflow(sqlite_url)
    try:
        assert set(sf.catalog.names()) == {"bankruptcy_crm", "it_service", "production"}
        records = _total(sf)
        assert records > 300
        second = runner.invoke(main, ["demo", "--db", sqlite_url, "--no-serve"])
        assert second.exit_code == 0, second.output
        assert "0 demo records added" in second.output
        sf.catalog.refresh()
        assert _total(sf) == records
        with sf.db.connect() as conn:
            assert load_actor(conn, "admin").is_admin
            assert check_password(conn, "admin", "demo password 1")
    finally:
        sf.close()
