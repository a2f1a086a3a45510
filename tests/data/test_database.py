"""Opening the database: PostgreSQL sessions without JIT (bench/README.md); reads sharing one connection."""
from __future__ import annotations

import sqlalchemy as sa

from stageflow.storage.database import connection_scope, open_database, read_connection, write_transaction


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


def _checkouts(engine) -> list[int]:
    counter = [0]
    sa.event.listen(engine.pool, "checkout", lambda *_: counter.__setitem__(0, counter[0] + 1))
    return counter


def test_reads_in_a_scope_share_one_connection_and_see_later_commits(db_url):
    engine = open_database(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE note (id INTEGER PRIMARY KEY, body VARCHAR(20))"))
    checkouts = _checkouts(engine)
    try:
        with connection_scope(engine):
            with read_connection(engine) as first:
                assert first.execute(sa.text("SELECT count(*) FROM note")).scalar() == 0
                with read_connection(engine) as nested:
                    assert nested is first
            # A write of the same request commits on its own connection; the next read sees it.
            with write_transaction(engine) as tx:
                tx.execute(sa.text("INSERT INTO note (id, body) VALUES (1, 'written')"))
            with read_connection(engine) as again:
                assert again is first
                assert again.execute(sa.text("SELECT body FROM note")).scalar() == "written"
        assert checkouts[0] == 2  # the shared reader and the writer
        # Outside a scope every read takes its own connection.
        for _ in range(2):
            with read_connection(engine) as conn:
                conn.execute(sa.text("SELECT 1"))
        assert checkouts[0] == 4
    finally:
        engine.dispose()


def test_a_failed_read_leaves_the_shared_connection_usable(db_url):
    engine = open_database(db_url)
    try:
        with connection_scope(engine):
            try:
                with read_connection(engine) as conn:
                    conn.execute(sa.text("SELECT * FROM no_such_table"))
            except sa.exc.DBAPIError:
                pass
            with read_connection(engine) as conn:
                assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_a_scope_on_another_engine_is_not_shared(tmp_path):
    one, other = open_database(f"sqlite:///{tmp_path}/one.db"), open_database(f"sqlite:///{tmp_path}/other.db")
    try:
        with connection_scope(one), read_connection(other) as conn:
            assert conn.engine is other
    finally:
        one.dispose()
        other.dispose()
