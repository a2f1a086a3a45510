"""The file store: attachment metadata in ``sf_file``, the bytes in a ``FileStorage`` by content hash.

``FileStorage`` is the one small interface the bytes go through (the store, backup and restore
alike), so an object store can stand in for the local folder by implementing four methods.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import Engine, select

from ..storage import platform_tables as st
from ..storage.database import read_connection, write_transaction

MAX_FILE_SIZE = 100 * 1024 * 1024
BLOB_KEY = re.compile(r"^[0-9a-f]{64}$")


class FileRefused(ValueError):
    pass


@dataclass(frozen=True)
class StoredFile:
    id: int
    sha256: str
    filename: str
    content_type: str
    size: int
    created_at: dt.datetime | None = None
    created_by: str | None = None


def safe_filename(name: str) -> str:
    """A file name with no path parts or control characters, never empty."""
    name = os.path.basename(name.replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip(" .")
    return name[:255] or "file"


def check_blob_key(key: str) -> str:
    """A blob key is a lowercase SHA-256 hex digest; anything else (a path, say) is refused."""
    if not isinstance(key, str) or not BLOB_KEY.match(key):
        raise ValueError(f"{key!r} is not a file key (a SHA-256 hex digest)")
    return key


class FileStorage(Protocol):
    """Where file bytes live, by key (the SHA-256 of the content, so a key's bytes never change).

    ``put`` of an existing key may do nothing; ``open`` of a missing key raises
    ``FileNotFoundError``; ``delete`` of a missing key does nothing.
    """

    def put(self, key: str, data: BinaryIO) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


class LocalFileStorage:
    """Blobs in a folder on disk, as ``<root>/<first two hex digits>/<key>``."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = check_blob_key(key)
        return self.root / key[:2] / key

    def put(self, key: str, data: BinaryIO) -> None:
        target = self._path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a half-written blob under its final name.
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            shutil.copyfileobj(data, tmp)
        os.replace(tmp.name, target)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class FileStore:
    """Stored files: their row in ``sf_file`` (name, type, size, who) and their bytes in ``storage``.

    ``storage`` is a ``FileStorage``; a path means the local folder there.
    """

    def __init__(self, db: Engine, storage: FileStorage | Path | str):
        self.db = db
        self.storage = LocalFileStorage(storage) if isinstance(storage, (str, os.PathLike)) else storage

    def put(self, filename: str, content_type: str, data: bytes, actor: str | None,
            now: dt.datetime | None = None) -> StoredFile:
        if len(data) > MAX_FILE_SIZE:
            raise FileRefused(f"{filename}: larger than {MAX_FILE_SIZE // (1024 * 1024)} MB")
        digest = hashlib.sha256(data).hexdigest()
        self.storage.put(digest, io.BytesIO(data))
        now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        name = safe_filename(filename)
        content_type = content_type or "application/octet-stream"
        with write_transaction(self.db) as conn:
            file_id = conn.execute(st.files.insert().values(
                sha256=digest, filename=name, content_type=content_type,
                size=len(data), created_at=now, created_by=actor)).inserted_primary_key[0]
        return StoredFile(file_id, digest, name, content_type, len(data), now, actor)

    def info(self, file_id: int) -> StoredFile | None:
        return self.infos([file_id]).get(file_id)

    def infos(self, file_ids: list[int]) -> dict[int, StoredFile]:
        """The stored files of these ids by id (ids of no file are left out)."""
        if not file_ids:
            return {}
        with read_connection(self.db) as conn:
            rows = conn.execute(select(st.files).where(st.files.c.id.in_(list(file_ids)))).mappings().all()
        return {row["id"]: StoredFile(row["id"], row["sha256"], row["filename"], row["content_type"], row["size"],
                                      row["created_at"], row["created_by"]) for row in rows}

    def read(self, file_id: int) -> tuple[StoredFile, bytes]:
        info = self.info(file_id)
        if info is None:
            raise FileNotFoundError(f"file #{file_id} does not exist")
        return info, self.content(info)

    def content(self, info: StoredFile) -> bytes:
        """The bytes of a stored file already looked up (saves reading its row again)."""
        with self.storage.open(info.sha256) as blob:
            return blob.read()
