"""Shared fixtures for the whole suite.

Backends
    ``db_url``      one test, two runs: ``test_x[sqlite]`` and ``test_x[postgres]``; a test marked
                    ``postgres`` gets only the ``[postgres]`` run. The database is a copy of a
                    session template holding the platform's and FAB's own tables.
    ``sqlite_url``  a SQLite file in the test's tmp_path.
    ``pg_url``      a fresh, empty PostgreSQL database, dropped after the test.
    ``redis_url`` / ``redis_prefix`` / ``redis_client``  the Redis server and the key prefix a test
                    owns (``sf_test_<session hex>:<test hex>:``); only keys under it are deleted.

PostgreSQL and Redis are found through ``STAGEFLOW_TEST_DATABASE_URL`` and
``STAGEFLOW_TEST_REDIS_URL`` (defaults: the local services on 127.0.0.1). When one is unreachable
its tests are skipped with the reason, except under ``CI=true``, where they fail: CI never
silently skips them. Tests that use these fixtures are marked ``postgres`` / ``redis``
automatically, so ``pytest -m "not postgres and not redis"`` runs without the services.

Isolation: every session has its own PostgreSQL databases and Redis key prefix, and Hypothesis
keeps its caches in a temporary folder, so two runs at once (or a run after a crashed one) do not
see each other's state and nothing is written into the checkout.
"""
from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_keys import SESSION_REDIS_PREFIX, delete_keys

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
BACKENDS = ("sqlite", "postgres")

_POSTGRES_FIXTURES = frozenset({"pg_url", "pg_admin_url"})
_REDIS_FIXTURES = frozenset({"redis_url", "redis_prefix", "redis_client"})


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _service_unavailable(what: str, url: str, error: BaseException) -> None:
    """Fail under CI=true, skip otherwise; never returns."""
    detail = (str(error).strip().splitlines() or [""])[0]
    reason = f"{what} unreachable at {url}: {type(error).__name__}: {detail}"
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: {what} tests must run, not skip)", pytrace=False)
    pytest.skip(f"{reason}; start it or set the URL's environment variable")


# --- collection --------------------------------------------------------------------------------

def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that (directly or through a fixture) uses ``db_url`` by backend."""
    if "db_url" not in metafunc.fixturenames:
        return
    only_postgres = metafunc.definition.get_closest_marker("postgres") is not None
    backends = ("postgres",) if only_postgres else BACKENDS
    params = [
        pytest.param(b, id=b, marks=[pytest.mark.postgres] if b == "postgres" else [])
        for b in backends
    ]
    metafunc.parametrize("db_url", params, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the services their fixtures need, so ``-m`` can select or leave them out."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & _POSTGRES_FIXTURES and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)
        if names & _REDIS_FIXTURES and item.get_closest_marker("redis") is None:
            item.add_marker(pytest.mark.redis)


# --- paths -------------------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def _hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Hypothesis (under schemathesis) writes caches into ``./.hypothesis``: give it a temporary one."""
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:  # the dev extras are not installed: nothing will write there
        return
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root directory (the one holding pyproject.toml)."""
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mini_bundle(repo_root: Path) -> Path:
    """``tests/fixtures/valid/mini``: the smallest valid app bundle, for loader and engine tests."""
    return repo_root / "tests" / "fixtures" / "valid" / "mini"


# --- SQLite ------------------------------------------------------------------------------------

def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/stageflow.db"


def _start_stageflow_on(url: str, files: Path) -> None:
    """Start Stageflow and its web app once on ``url``: the platform's tables, FAB's tables and
    FAB's permission rows, as any database has them after its first start."""
    from stageflow.runtime import create_stageflow
    from stageflow.web import create_app

    sf = create_stageflow(url, files_dir=files)
    try:
        create_app(sf, secret_key="template-secret-" * 3)
    finally:
        sf.close()


@pytest.fixture(scope="session")
def _sqlite_started_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    _start_stageflow_on(_sqlite_url(folder), folder / "files")
    assert not (folder / "stageflow.db-wal").exists(), "the template must be checkpointed before copying"
    return folder / "stageflow.db"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLAlchemy URL of a new SQLite file in the test's tmp_path (``sqlite:////.../stageflow.db``)."""
    return _sqlite_url(tmp_path)


# --- PostgreSQL --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """SQLAlchemy URL of a PostgreSQL role allowed to create databases.

    ``STAGEFLOW_TEST_DATABASE_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``.
    Connects once to check it: skips the test when unreachable, fails it under CI=true.
    Use ``pg_url`` or ``db_url`` for a database of the test's own; never write through this URL.
    """
    import sqlalchemy as sa

    url = os.environ.get("STAGEFLOW_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to connect means "unreachable"
        _service_unavailable("PostgreSQL", url, error)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def _pg_admin_engine(pg_admin_url: str):
    """An AUTOCOMMIT engine on the admin URL, for CREATE/DROP DATABASE."""
    import sqlalchemy as sa

    engine = sa.create_engine(
        pg_admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool,
        connect_args={"connect_timeout": 5},
    )
    yield engine
    engine.dispose()


def _fresh_pg_database(admin_engine, admin_url: str, template: str | None = None) -> Iterator[str]:
    """Create ``sf_test_<hex>`` (a copy of ``template`` when given), yield its URL, then drop it
    even if connections are left open."""
    import sqlalchemy as sa

    name = f"sf_test_{secrets.token_hex(6)}"
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        # A throwaway database needs no durable commits: waiting for the WAL flush on every commit
        # made write-heavy tests several times slower than on SQLite.
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _pg_started_template(_pg_admin_engine, pg_admin_url: str, tmp_path_factory) -> Iterator[str]:
    """A database as every started Stageflow web process has it, and nothing more: the platform's
    ``sf_*`` tables and Flask-AppBuilder's tables with its permissions, no app installed.

    Copying it (``CREATE DATABASE ... TEMPLATE``) is several times cheaper than building those
    tables and FAB's permission rows again in every test. Made once per session, dropped at its end.
    """
    made = _fresh_pg_database(_pg_admin_engine, pg_admin_url)
    url = next(made)
    _start_stageflow_on(url, tmp_path_factory.mktemp("template-files"))
    yield url.rsplit("/", 1)[1].split("?")[0]
    made.close()  # runs the generator's finally: DROP DATABASE ... WITH (FORCE)


@pytest.fixture
def pg_url(_pg_admin_engine, pg_admin_url: str) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty PostgreSQL database ``sf_test_<random hex>``.

    Created through the admin URL before the test, dropped ``WITH (FORCE)`` after it, so engines the
    test forgot to dispose do not block the drop. Tests using it are marked ``postgres``.
    """
    yield from _fresh_pg_database(_pg_admin_engine, pg_admin_url)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLAlchemy URL of a database without apps, once per backend: ``test_x[sqlite]``, ``test_x[postgres]``.

    A copy of a session template that Stageflow and its web app have started on once (the
    platform's tables, FAB's tables and permissions), as any database is after its first start:
    building those costs more than most tests. sqlite: ``sqlite:///<tmp_path>/stageflow.db``;
    postgres: a fresh database ``CREATE DATABASE ... TEMPLATE``. ``sqlite_url`` and ``pg_url``
    stay empty, for tests of a first start.
    A test marked ``postgres`` runs on PostgreSQL only. The ``[postgres]`` runs carry the
    ``postgres`` marker (``-m "not postgres"`` keeps only SQLite).
    """
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_started_template"), tmp_path / "stageflow.db")
        yield _sqlite_url(tmp_path)
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    admin_engine = request.getfixturevalue("_pg_admin_engine")
    yield from _fresh_pg_database(admin_engine, admin_url, request.getfixturevalue("_pg_started_template"))


# --- Redis -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of the Redis database the tests use, shared with other runs: write only under a prefix.

    ``STAGEFLOW_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``. Pinged once: skips when
    unreachable, fails under CI=true. Tests using it are marked ``redis``. At the end of the
    session the keys under this session's prefix are deleted.
    """
    import redis

    url = os.environ.get("STAGEFLOW_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure to ping means "unreachable"
        client.close()
        _service_unavailable("Redis", url, error)
    try:
        yield url
        delete_keys(client, SESSION_REDIS_PREFIX)
    finally:
        client.close()


@pytest.fixture
def redis_prefix(redis_url: str) -> str:
    """The key prefix this test owns, ``sf_test_<session hex>:<test hex>:``.

    Name every key (and Celery's ``global_keyprefix``) with it; ``redis_client`` deletes its keys
    before and after the test.
    """
    return f"{SESSION_REDIS_PREFIX}{secrets.token_hex(4)}:"


@pytest.fixture
def redis_client(redis_url: str, redis_prefix: str):
    """A ``redis.Redis`` on ``redis_url``; the keys under ``redis_prefix`` are deleted around the test."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=10)
    delete_keys(client, redis_prefix)
    try:
        yield client
    finally:
        delete_keys(client, redis_prefix)
        client.close()
