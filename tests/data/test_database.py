"""Opening PostgreSQL: the platform's sessions run without JIT compilation (bench/README.md)."""
from __future__ import annotations

import sqlalchemy as sa

from stageflow.data.database import open_database


def test_postgresql_sessions_run_without_jit_and_keep_other_options(pg_url):
    with_options = sa.make_url(pg_url).update_query_dict({"options": "-c work_mem=5MB"})
    for url, work_mem in ((pg_url, None), (with_options.render_as_string(hide_password=False), "5MB")):
        engine = open_database(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW jit")).scalar() == "off"
            if work_mem:
                assert conn.execute(sa.text("SHOW work_mem")).scalar() == work_mem
        engine.dispose()


def test_options_given_by_the_caller_are_kept(pg_url):
    engine = open_database(pg_url, connect_args={"options": "-c statement_timeout=7s"})
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "7s"
        assert conn.execute(sa.text("SHOW jit")).scalar() == "off"
    engine.dispose()
