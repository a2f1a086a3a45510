"""The file store: attachment bytes on disk by content hash, their metadata in ``sf_file``."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from . import system_tables as st
from .database import write_transaction

MAX_FILE_SIZE = 100 * 1024 * 1024


class FileRefused(ValueError):
    pass


@dataclass(frozen=True)
class StoredFile:
    id: int
    sha256: str
    filename: str
    content_type: str
    size: int


def safe_filename(name: str) -> str:
    """A file name with no path parts or control characters, never empty."""
    name = os.path.basename(name.replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip(" .")
    return name[:255] or "file"


class FileStore:
    def __init__(self, db: Engine, root: Path | str):
        self.db, self.root = db, Path(root)

    def blob_path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, filename: str, content_type: str, data: bytes, actor: str | None,
            now: dt.datetime | None = None) -> StoredFile:
        if len(data) > MAX_FILE_SIZE:
            raise FileRefused(f"{filename}: larger than {MAX_FILE_SIZE // (1024 * 1024)} MB")
        digest = hashlib.sha256(data).hexdigest()
        self.write_blob(digest, data)
        now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        name = safe_filename(filename)
        with write_transaction(self.db) as conn:
            file_id = conn.execute(st.files.insert().values(
                sha256=digest, filename=name, content_type=content_type or "application/octet-stream",
                size=len(data), created_at=now, created_by=actor)).inserted_primary_key[0]
        return StoredFile(file_id, digest, name, content_type, len(data))

    def write_blob(self, digest: str, data: bytes) -> None:
        target = self.blob_path(digest)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a half-written blob under its final name.
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, target)

    def info(self, file_id: int) -> StoredFile | None:
        with self.db.connect() as conn:
            row = conn.execute(select(st.files).where(st.files.c.id == file_id)).mappings().first()
        if row is None:
            return None
        return StoredFile(row["id"], row["sha256"], row["filename"], row["content_type"], row["size"])

    def read(self, file_id: int) -> tuple[StoredFile, bytes]:
        info = self.info(file_id)
        if info is None:
            raise FileNotFoundError(f"file #{file_id} does not exist")
        return info, self.blob_path(info.sha256).read_bytes()
