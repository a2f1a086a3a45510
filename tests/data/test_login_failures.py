"""The login throttle's store (issue 22, item 2): failures per scope and subject, pruned on write."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from stageflow.data.login_failures import LoginFailures, LoginScope
from stageflow.runtime import create_stageflow
from stageflow.storage import platform_tables as st

T0 = dt.datetime(2026, 2, 1, 12, 0)


def test_failures_are_kept_per_scope_and_subject_and_old_ones_pruned(db_url, tmp_path):
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    try:
        failures = LoginFailures(sf.db)
        both = {LoginScope.ACCOUNT: "anna", LoginScope.ADDRESS: "10.0.0.1"}
        failures.record(both, T0, keep_since=T0 - dt.timedelta(hours=1))
        failures.record({LoginScope.ACCOUNT: "boris", LoginScope.ADDRESS: "10.0.0.1"},
                        T0 + dt.timedelta(minutes=1), keep_since=T0 - dt.timedelta(hours=1))
        assert failures.since(LoginScope.ACCOUNT, "anna", T0 - dt.timedelta(seconds=1)) == [T0]
        assert len(failures.since(LoginScope.ADDRESS, "10.0.0.1", T0 - dt.timedelta(seconds=1))) == 2
        assert failures.since(LoginScope.ADDRESS, "anna", T0 - dt.timedelta(seconds=1)) == []
        assert failures.since(LoginScope.ACCOUNT, "anna", T0) == []  # strictly after

        failures.clear(LoginScope.ACCOUNT, "anna")
        assert failures.since(LoginScope.ACCOUNT, "anna", T0 - dt.timedelta(hours=1)) == []
        assert len(failures.since(LoginScope.ADDRESS, "10.0.0.1", T0 - dt.timedelta(hours=1))) == 2

        # A write two hours later drops every row older than what the throttle still reads.
        later = T0 + dt.timedelta(hours=2)
        failures.record({LoginScope.ACCOUNT: "carl"}, later, keep_since=later - dt.timedelta(hours=1))
        with sf.db.connect() as conn:
            assert conn.execute(select(func.count()).select_from(st.login_failures)).scalar() == 1
    finally:
        sf.close()
