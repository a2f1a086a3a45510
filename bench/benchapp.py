"""Shared pieces of the benchmarks: the bench app bundle, fresh databases, timing statistics.

Not a benchmark itself (``make bench`` runs ``bench/bench_*.py`` only). The bundle is a small
but typical app: one entity ``task`` with ~10 fields of the common kinds, a pipeline of three
stages (so the stage columns exist), four users and a non-admin role whose record rule shows a
worker only the tasks assigned to them.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import sqlite3
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
APP, ENTITY = "bench", "task"
USERS = ("alice", "bob", "carol", "dave")
STATUSES = ("open", "waiting", "done", "cancelled")
STAGES = ("todo", "doing", "finished")


def _field(name: str, kind: str, label: str, **extra) -> dict:
    return {"name": name, "kind": kind, "label": label, **extra}


def task_entity(extra_field: bool = False) -> dict:
    fields = [
        _field("title", "string", "Title", required=True, searchable=True),
        _field("amount", "money", "Amount"),
        _field("due", "date", "Due date"),
        _field("assignee", "user", "Assignee", indexed=True),
        _field("status", "select", "Status", indexed=True, default="open",
               options={"choices": [{"value": s} for s in STATUSES]}),
        _field("quantity", "integer", "Quantity", options={"min": 0}),
        _field("flag", "boolean", "Flag"),
        _field("notes", "text", "Notes"),
        _field("reference", "string", "Reference", options={"max_length": 40}),
        _field("started_at", "datetime", "Started at"),
    ]
    if extra_field:  # the upgrade of bench_schema.py: one new, non-indexed field
        fields.append(_field("extra_note", "string", "Extra note"))
    return {"schema_version": 1, "name": ENTITY, "label": "Task", "title_field": "title", "fields": fields}


def bundle_documents(extra_field: bool = False) -> dict[str, dict]:
    return {
        "app.json": {"schema_version": 1, "name": APP, "label": "Benchmark app",
                     "version": "1.1.0" if extra_field else "1.0.0"},
        "org.json": {"schema_version": 1, "users": [
            {"username": u, "full_name": u.title(), "roles": ["worker"]} for u in USERS]},
        f"entities/{ENTITY}.json": task_entity(extra_field),
        "pipelines/flow.json": {"schema_version": 1, "name": "flow", "entity": ENTITY, "label": "Flow",
                                "default": True,
                                "stages": [{"name": s, "label": s.title()} for s in STAGES]},
        "roles/worker.json": {"schema_version": 1, "name": "worker", "label": "Worker", "entities": {
            ENTITY: {"rights": ["read", "create", "update"],
                     "records": [{"scope": "assigned", "field": "assignee"}]}}},
    }


def write_bundle(folder: Path, extra_field: bool = False) -> Path:
    """Write the bench app bundle into ``folder`` (created) and return it."""
    for relative, data in bundle_documents(extra_field).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder


# -- databases --------------------------------------------------------------------------------

def pg_reachable(admin_url: str) -> str | None:
    """None when PostgreSQL answers at ``admin_url``, else the reason it does not."""
    engine = sa.create_engine(admin_url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except Exception as error:  # noqa: BLE001 - any failure means unreachable
        return f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_pg_database(admin_url: str, prefix: str = "sf_bench") -> Iterator[str]:
    """Create ``<prefix>_<hex>`` next to ``admin_url``'s database, yield its URL, drop it after."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"{prefix}_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- statistics and the machine ---------------------------------------------------------------

def write_result(result: dict, json_path: str | None) -> None:
    """The bench's result as JSON: into ``json_path`` when given, else printed."""
    text = json.dumps(result, indent=2, default=str)
    if json_path:
        Path(json_path).write_text(text + "\n", encoding="utf-8")
        print(f"\nresults written to {json_path}")
    else:
        print("\n" + text)


def summary(seconds: list[float]) -> dict[str, float]:
    """Mean, p50 and p95 in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"n": len(ordered), "mean_ms": statistics.fmean(ordered) * 1e3,
            "p50_ms": statistics.median(ordered) * 1e3, "p95_ms": p95 * 1e3}


def machine(pg_url: str | None = None) -> dict[str, str]:
    info = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "nproc": str(os.cpu_count()), "sqlalchemy": sa.__version__}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gib"] = f"{int(line.split()[1]) / 1024 / 1024:.1f}"
                break
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        info["nproc"] = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    if pg_url:
        engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
        with contextlib.suppress(Exception), engine.connect() as conn:
            info["postgresql"] = conn.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
    return info
