"""Backup and restore of data, files and metadata in one zip archive (PL23, IT08).

The archive holds every platform table and every entity table as JSON lines, read in one
snapshot, the stored file blobs (through the ``FileStorage`` interface, so any storage backs up
alike), and a manifest. Restore goes into an empty database: the schema is rebuilt from the
stored app revisions (retired columns included), then the rows and blobs are put back; a blob
whose bytes do not match its key refuses the whole restore.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    func,
    inspect,
    select,
    text,
)

from ..storage import platform_tables as st
from ..storage.database import write_transaction
from .catalog import AppCatalog
from .files import FileStorage, FileStore, check_blob_key
from .schema_sync import SchemaSync

FORMAT = 1
MANIFEST = "stageflow-backup.json"
BLOB_FOLDER = "files/"


class RestoreRefused(Exception):
    pass


def _encode(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decode(column, value: Any) -> Any:
    if value is None:
        return None
    sql_type = column.type
    if isinstance(sql_type, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(sql_type, Date):
        return dt.date.fromisoformat(value)
    if isinstance(sql_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(sql_type, Numeric) and not isinstance(sql_type, Integer):
        return Decimal(value)
    return value


def _app_tables(catalog: AppCatalog) -> list[Table]:
    tables = []
    for name in catalog.names():
        tables += catalog.get(name).tables.metadata.sorted_tables
    return tables


def backup(conn: Connection, catalog: AppCatalog, files: FileStore, target: Path | str) -> dict[str, int]:
    """Write the archive; returns the row count of each table.

    Every table is read in one transaction of the backup's own, so the archive is one moment of
    the database: a write committed meanwhile is in it wholly (row, child rows, history, outbox
    events, files) or not at all. On PostgreSQL that transaction is REPEATABLE READ and READ ONLY
    (one snapshot, writers never wait); on SQLite one read transaction is one snapshot (WAL).
    ``conn`` must have no transaction open.
    """
    if conn.in_transaction():
        raise ValueError("backup reads in a transaction of its own: pass a connection with none open")
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    counts: dict[str, int] = {}
    with conn.begin(), zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in st.platform_metadata.sorted_tables + _app_tables(catalog):
            lines = []
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings():
                lines.append(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False))
            archive.writestr(f"tables/{table.name}.jsonl", "\n".join(lines))
            counts[table.name] = len(lines)
        missing = _write_blobs(conn, files.storage, archive)
        manifest = {"format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    "apps": catalog.names(), "tables": counts, "missing_files": missing}
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return counts


def _write_blobs(conn: Connection, storage: FileStorage, archive: zipfile.ZipFile) -> list[str]:
    """Copy the bytes of every stored file into the archive; returns the keys storage lacks."""
    missing = []
    for sha in conn.execute(select(st.files.c.sha256).distinct().order_by(st.files.c.sha256)).scalars():
        try:
            blob = storage.open(sha)
        except FileNotFoundError:
            missing.append(sha)
            continue
        with blob, archive.open(f"{BLOB_FOLDER}{sha}", "w", force_zip64=True) as member:
            shutil.copyfileobj(blob, member)
    return missing


def _insert_rows(conn: Connection, table: Table, archive: zipfile.ZipFile) -> int:
    name = f"tables/{table.name}.jsonl"
    if name not in archive.namelist():
        return 0
    rows = [json.loads(line) for line in archive.read(name).decode("utf-8").splitlines() if line.strip()]
    if rows:
        columns = table.c
        conn.execute(table.insert(), [{k: _decode(columns[k], v) for k, v in row.items() if k in columns}
                                      for row in rows])
        if conn.dialect.name == "postgresql" and "id" in columns and columns["id"].autoincrement:
            # Rows came with their ids; move the sequence past them.
            conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                         {"t": table.name, "v": max(r["id"] for r in rows)})
    return len(rows)


def restore(db, catalog: AppCatalog, kinds, files: FileStore, source: Path | str) -> dict[str, int]:
    """Restore an archive into an empty database, in one transaction."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        if manifest.get("format") != FORMAT:
            raise RestoreRefused(f"backup format {manifest.get('format')!r} is not supported")
        blobs = _blob_names(archive)
        with write_transaction(db) as conn:
            st.platform_metadata.create_all(conn)
            if conn.execute(select(func.count()).select_from(st.apps)).scalar_one():
                raise RestoreRefused("the database already has apps installed; restore needs an empty database")
            for table in st.platform_metadata.sorted_tables:
                counts[table.name] = _insert_rows(conn, table, archive)
            sync = SchemaSync(kinds)
            for app, revision in conn.execute(select(st.apps.c.name, st.apps.c.revision)).all():
                loaded = catalog.load_revision(conn, app, revision)
                tables, _ = sync.sync(conn, loaded.spec)
                for table in tables.metadata.sorted_tables:
                    counts[table.name] = _insert_rows(conn, table, archive)
            # Before the commit: a failure here leaves the database empty, and blobs are
            # content-addressed, so any already put are harmless.
            for key, name in blobs.items():
                _restore_blob(files.storage, key, archive.read(name))
    catalog.refresh()
    return counts


def _blob_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """The file blobs of an archive by key; a name that is not a key (a path, say) is refused."""
    blobs = {}
    for name in archive.namelist():
        if name.startswith(BLOB_FOLDER):
            key = name[len(BLOB_FOLDER):]
            try:
                blobs[check_blob_key(key)] = name
            except ValueError as exc:
                raise RestoreRefused(f"{name}: {exc}") from None
    return blobs


def _restore_blob(storage: FileStorage, key: str, data: bytes) -> None:
    if hashlib.sha256(data).hexdigest() != key:
        raise RestoreRefused(f"{BLOB_FOLDER}{key}: the bytes do not match their SHA-256; the archive is damaged")
    storage.put(key, io.BytesIO(data))


def database_is_empty(conn: Connection) -> bool:
    return not inspect(conn).has_table("sf_app") or not conn.execute(
        select(func.count()).select_from(st.apps)).scalar_one()
