"""Opening the database: SQLite (embedded default) or PostgreSQL, with the same behaviour."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, make_url

DEFAULT_SQLITE_PATH = "stageflow.db"
WRITE_OPTION = "stageflow_write"


def database_url(explicit: str | None = None) -> str:
    """``--db`` first, then ``STAGEFLOW_DATABASE_URL``, then a SQLite file in the current folder."""
    url = explicit or os.environ.get("STAGEFLOW_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{Path(DEFAULT_SQLITE_PATH).resolve()}"


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Take transactions into our own hands so DDL is transactional too (a failed load
        # leaves nothing half-applied), and make lower()/ILIKE work beyond ASCII (Cyrillic).
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A writer takes the write lock at once (IMMEDIATE): with a deferred BEGIN, a writer
        # that has read a row fails with "database is locked" instead of waiting its turn.
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_database(url: str | None = None, **kwargs) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _setup_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs["connect_args"] = _without_jit(url, kwargs.get("connect_args"))
    return create_engine(url, **kwargs)


def _without_jit(url: str, connect_args: dict | None) -> dict:
    """PostgreSQL session options with JIT compilation off (other options kept).

    The platform runs short queries (pages of 50, one-record writes) that JIT never speeds up,
    but a record-rule filter (``OR EXISTS ...``) is costed high enough to trigger it: about
    150 ms of compiling per list on a 1,000,000-row table (bench/README.md).
    """
    args = dict(connect_args or {})
    given = args.get("options") or make_url(url).query.get("options") or ""
    args["options"] = f"{given if isinstance(given, str) else ' '.join(given)} -c jit=off".strip()
    return args


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it queues for the write lock from the start."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn
