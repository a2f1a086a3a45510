"""Opening the database: SQLite (embedded default) or PostgreSQL, with the same behaviour."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


class _SharedConnection:
    """One connection lent to every read of a scope (a web request), opened on first use."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.conn: Connection | None = None
        self.depth = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


_shared: ContextVar[_SharedConnection | None] = ContextVar("stageflow_shared_connection", default=None)


@contextmanager
def connection_scope(engine: Engine) -> Iterator[None]:
    """Reads inside share one pooled connection (see :func:`read_connection`).

    A web request makes several small reads (app revisions, the actor, the page): a checkout
    each, with its liveness ping, cost more than the queries. Writes keep their own connection.
    """
    shared = _SharedConnection(engine)
    token = _shared.set(shared)
    try:
        yield
    finally:
        _shared.reset(token)
        shared.close()


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection to read with: the scope's shared one when a scope is open, else a new one.

    The shared connection's transaction ends when the outermost read ends, so the next read
    sees what was committed meanwhile (by this request's own writes too).
    """
    shared = _shared.get()
    if shared is None or shared.engine is not engine:
        with engine.connect() as conn:
            yield conn
        return
    if shared.conn is None:
        shared.conn = engine.connect()
        if engine.dialect.name == "postgresql":
            # Each statement of READ COMMITTED sees its own snapshot anyway; without a transaction
            # a read saves the BEGIN and ROLLBACK round trips.
            shared.conn.execution_options(isolation_level="AUTOCOMMIT")
    shared.depth += 1
    try:
        yield shared.conn
    finally:
        shared.depth -= 1
        if shared.depth == 0 and shared.conn.in_transaction():
            try:
                shared.conn.rollback()
            except Exception:  # a broken connection: the next read takes a fresh one
                shared.close()
                raise
