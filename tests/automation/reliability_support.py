"""Real Celery worker processes on Redis over PostgreSQL, for the reliability tests and the bench.

Each worker is a process group of its own (``start_new_session``): the Celery main process, its
prefork pool child (where the tasks run) and, with beat, the embedded beat process. Killing the
group is a worker crash; nothing outside the group is ever signalled. Every worker gets its own
working folder (beat keeps its ``celerybeat-schedule`` file in the current folder) and its own
PostgreSQL ``application_name`` (``PGAPPNAME``), so a test can see from ``pg_stat_activity`` and
``pg_locks`` what a worker's transaction is doing at this moment.

Redis is shared with other test runs: with a ``key_prefix`` every Celery key (queues, bindings,
unacked tasks) of the workers and the doorbell is written under it (kombu's
``global_keyprefix``; the workers read it from a Celery config module in their folder, named by
``CELERY_CONFIG_MODULE``), so runs never consume each other's tasks.

Why PostgreSQL only: SQLite has one writer at a time, so two worker processes would take turns
on the write lock instead of running in parallel; the dispatcher's ``FOR UPDATE SKIP LOCKED``
claim is the PostgreSQL path.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "platform"
MINI = REPO / "tests" / "fixtures" / "valid" / "mini"


# -- the app ------------------------------------------------------------------------------------

def rule(name: str, trigger: dict, actions: list[dict], condition: dict | None = None,
         entities: Iterable[str] = ("deal",)) -> dict:
    """A rule document (``rules/<name>.json``)."""
    doc = {"schema_version": 1, "name": name, "label": name, "entities": list(entities),
           "trigger": trigger, "actions": actions}
    if condition is not None:
        doc["condition"] = condition
    return doc


def mini_bundle_with_rules(target: Path, rules: Iterable[dict]) -> Path:
    """A copy of the ``mini`` fixture app with the given rules added."""
    from tests.bundle_edit import EditableBundle

    bundle = EditableBundle(MINI, target)
    for doc in rules:
        bundle.write(f"rules/{doc['name']}.json", doc)
    return bundle.root


# -- waiting ------------------------------------------------------------------------------------

def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something true; its value, or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s (last value {value!r})")
        time.sleep(interval)


# -- workers ------------------------------------------------------------------------------------

CELERY_CONFIG_MODULE = "sf_test_celeryconfig"


def broker_transport_options(key_prefix: str) -> dict[str, str]:
    return {"global_keyprefix": key_prefix} if key_prefix else {}


class CeleryWorker:
    """One ``stageflow worker`` (or a plain ``celery worker`` without beat) in a process group.

    ``beat=True`` starts it the documented way, ``python -m stageflow.cli worker --db URL
    --concurrency N`` (which always embeds beat). ``beat=False`` runs
    ``celery -A stageflow.celery_worker worker`` with the same options but no beat,
    because the CLI has no option to leave beat out.
    """

    def __init__(self, name: str, db_url: str, broker_url: str, workdir: Path, *, beat: bool = True,
                 concurrency: int = 1, extra_env: dict[str, str] | None = None, key_prefix: str = ""):
        self.name, self.db_url, self.broker_url = name, db_url, broker_url
        self.workdir, self.beat, self.concurrency = Path(workdir), beat, concurrency
        self.extra_env = extra_env or {}
        self.key_prefix = key_prefix
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._log_offset = 0
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"{name}.log"
        if key_prefix:
            # Imported from the current folder (the worker's), which ``python -m`` puts on sys.path.
            (self.workdir / f"{CELERY_CONFIG_MODULE}.py").write_text(
                f"broker_transport_options = {broker_transport_options(key_prefix)!r}\n", encoding="utf-8")

    def command(self) -> list[str]:
        if self.beat:
            return [sys.executable, "-m", "stageflow.cli", "worker", "--db", self.db_url,
                    "--concurrency", str(self.concurrency)]
        return [sys.executable, "-m", "celery", "-A", "stageflow.celery_worker", "worker",
                "--loglevel=INFO", f"--concurrency={self.concurrency}", "--pool=prefork",
                "--without-gossip", "--without-mingle", "-n", f"{self.name}@%h"]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        path = [str(PLATFORM), str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        env.update(PYTHONPATH=os.pathsep.join(path), STAGEFLOW_BROKER_URL=self.broker_url,
                   STAGEFLOW_DATABASE_URL=self.db_url, PGAPPNAME=self.name, PYTHONUNBUFFERED="1",
                   STAGEFLOW_FILES_DIR=str(self.workdir / "files"))
        env.pop("CELERY_CONFIG_MODULE", None)
        if self.key_prefix:
            env["CELERY_CONFIG_MODULE"] = CELERY_CONFIG_MODULE
        env.update(self.extra_env)
        return env

    def start(self) -> CeleryWorker:
        assert not self.alive(), f"{self.name} is already running"
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child holds it; closed below
        try:
            log.write(f"\n==== start {self.starts} ====\n".encode())
            log.flush()
            self._log_offset = log.tell()
            self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=self.env(), stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def ready(self) -> bool:
        """Celery printed "ready." since the last start (it consumes tasks from now on)."""
        with contextlib.suppress(OSError), open(self.log_path, "rb") as log:
            log.seek(self._log_offset)
            return b" ready." in log.read()
        return False

    def wait_ready(self, timeout: float = 60) -> CeleryWorker:
        try:
            wait_until(lambda: self.ready() or not self.alive(), timeout, 0.1, what=f"{self.name} ready")
        except TimeoutError:
            raise TimeoutError(f"{self.name} not ready after {timeout} s:\n{self.log_tail()}") from None
        if not self.alive():
            raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def group_pids(self) -> list[int]:
        """Every live process of this worker's group (main, pool child, beat)."""
        if self.proc is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                if int(fields[2]) == self.proc.pid and fields[0] != "Z":  # pgid, state
                    pids.append(int(entry.name))
        return sorted(pids)

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)  # our own group: start_new_session made pgid == pid

    def kill(self, timeout: float = 10) -> None:
        """SIGKILL the whole worker (main process, pool child, beat) and reap it: a crash."""
        self._signal_group(signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        wait_until(lambda: not self.group_pids(), timeout, what=f"{self.name}'s processes to exit")

    def kill_mid_transaction(self, engine: sa.Engine, table: str, pool_only: bool = False) -> dict | None:
        """SIGKILL this worker while its database transaction has written rows of ``table`` and not
        committed, and prove it: SIGSTOP the processes first, look at the frozen worker's open
        transaction (same server backend, an xid, write locks on ``table``), then SIGKILL; when
        it is between transactions, SIGCONT and return None (the caller tries again).

        ``pool_only`` kills just the pool process holding the connection (Celery's main process
        forks a new one and requeues the task); otherwise the whole group (main, pool, beat).
        """
        if pool_only:
            ports = [r.client_port for r in rows(engine, "SELECT client_port FROM pg_stat_activity WHERE "
                                                         "application_name = :n AND datname = current_database()",
                                                 n=self.name)]
            pids = {process_with_connection(self.group_pids(), port) for port in ports} - {None, self.pid}
            if len(pids) != 1:
                return None
            pids = sorted(pids)
        else:
            pids = self.group_pids()
        if not pids:
            return None
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        caught = transaction_writing(engine, self.name, table)
        if caught is not None and pool_only and process_with_connection(pids, caught["client_port"]) is None:
            caught = None
        if caught is None:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            return None
        if pool_only:
            os.kill(pids[0], signal.SIGKILL)
        else:
            self.kill()
        return {**caught, "killed": pids}

    def stop(self, timeout: float = 15) -> None:
        """A warm shutdown (SIGTERM to the main process, which lets the running task finish and
        stops its pool and beat), then SIGKILL whatever is left of the group."""
        if self.proc is None:
            return
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: not self.group_pids(), 5, what=f"{self.name}'s processes to exit")

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


@contextlib.contextmanager
def running_workers(workers: list[CeleryWorker]):
    """Start the workers; whatever happens, stop every one of them (by its own process group)."""
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


# -- the doorbell ---------------------------------------------------------------------------------

class Doorbell:
    """Rings the workers after each write, like ``Stageflow.start_automation`` does with a broker,
    but with a Celery app of its own, so the broker URL is this test's (``celery_app`` reads
    ``STAGEFLOW_BROKER_URL`` once, at import), under the workers' ``key_prefix``."""

    def __init__(self, broker_url: str, key_prefix: str = ""):
        from celery import Celery

        self.app = Celery("stageflow-test-doorbell", broker=broker_url)
        self.app.conf.broker_connection_retry_on_startup = True
        self.app.conf.broker_transport_options = broker_transport_options(key_prefix)
        self.rings = 0

    def __call__(self) -> None:
        from stageflow.automation.celery_app import ring

        ring(self.app)
        self.rings += 1

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.app.close()


# -- looking into the database --------------------------------------------------------------------

def scalar(engine: sa.Engine, sql: str, **params) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def rows(engine: sa.Engine, sql: str, **params) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def pending_events(engine: sa.Engine) -> int:
    return scalar(engine, "SELECT count(*) FROM sf_outbox WHERE processed_at IS NULL")


def pending_timers(engine: sa.Engine) -> int:
    return scalar(engine, "SELECT count(*) FROM sf_timer WHERE status = 'pending'")


MID_RULE_SQL = """
SELECT a.pid, a.client_port, a.backend_xid::text AS xid, now() - a.xact_start AS age,
       (SELECT array_agg(DISTINCT c.relname::text ORDER BY c.relname::text) FROM pg_locks l
          JOIN pg_class c ON c.oid = l.relation
         WHERE l.pid = a.pid AND l.mode = 'RowExclusiveLock' AND c.relkind = 'r') AS writing
  FROM pg_stat_activity a
 WHERE a.application_name = :name AND a.datname = current_database()
   AND a.xact_start IS NOT NULL AND a.backend_xid IS NOT NULL
"""


def transaction_writing(engine: sa.Engine, app_name: str, table: str) -> dict | None:
    """The worker's open transaction if it has already written rows of ``table`` (not committed):
    the server pid, the client's TCP port, and the tables it holds write locks on."""
    for row in rows(engine, MID_RULE_SQL, name=app_name):
        if row.writing and table in row.writing:
            return {"pid": row.pid, "client_port": row.client_port, "xid": row.xid,
                    "age": row.age.total_seconds(), "writing": list(row.writing)}
    return None


def process_with_connection(pids: Iterable[int], client_port: int) -> int | None:
    """Which of ``pids`` holds the TCP connection whose local port is ``client_port`` (Linux /proc)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == client_port:
                    inodes.add(f"socket:[{parts[9]}]")
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return pid
    return None


def backends_of(engine: sa.Engine, app_name: str) -> int:
    return scalar(engine, "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n "
                          "AND datname = current_database()", n=app_name)


def dump(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)


# -- a whole setup: the app installed, two workers, a doorbell ------------------------------------

class Cluster:
    """The mini app with some rules on one PostgreSQL database, Celery workers on Redis under
    ``key_prefix``, and a Stageflow engine in this process that writes records and rings the workers."""

    def __init__(self, db_url: str, broker_url: str, workdir: Path, rules: Iterable[dict],
                 workers: Iterable[tuple[str, bool]] = (("sf-worker-a", True), ("sf-worker-b", True)),
                 key_prefix: str = ""):
        from stageflow.runtime import create_stageflow

        self.db_url, self.broker_url, self.workdir = db_url, broker_url, Path(workdir)
        self.bundle = mini_bundle_with_rules(self.workdir / "bundle", rules)
        self.sf = create_stageflow(db_url, files_dir=self.workdir / "files")
        self.sf.install(self.bundle)
        self.db = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
        self.doorbell = Doorbell(broker_url, key_prefix)
        self.sf.records.after_commit.append(self.doorbell)
        self.workers = [CeleryWorker(name, db_url, broker_url, self.workdir / name, beat=beat, key_prefix=key_prefix)
                        for name, beat in workers]

    def start(self, timeout: float = 90) -> Cluster:
        for worker in self.workers:
            if not worker.alive():
                worker.start()
        for worker in self.workers:
            worker.wait_ready(timeout)
        return self

    def kill_all(self) -> None:
        for worker in self.workers:
            worker.kill()

    def wait_idle(self, timeout: float) -> None:
        """Until no event is pending and no timer is due (the workers are doing nothing)."""
        def idle():
            return scalar(self.db, "SELECT (SELECT count(*) FROM sf_outbox WHERE processed_at IS NULL) + "
                                   "(SELECT count(*) FROM sf_timer WHERE status = 'pending' AND "
                                   "due_at <= now() AT TIME ZONE 'utc')") == 0
        try:
            wait_until(idle, timeout, 0.2, what="the automation to be idle")
        except TimeoutError as error:
            logs = "\n".join(f"--- {w.name}\n{w.log_tail(20)}" for w in self.workers)
            raise TimeoutError(f"{error}; pending events {pending_events(self.db)}, "
                               f"timers {pending_timers(self.db)}\n{logs}") from None

    def close(self) -> None:
        try:
            for worker in self.workers:
                worker.stop()
        finally:
            self.doorbell.close()
            self.db.dispose()
            self.sf.close()
