"""A record's files (PL01, PL22): listing, uploading into a file field, and guarded downloads.

A stored file is given to the user who uploaded it, to administrators, and to whoever can read
a record holding it: in a file field they can see (hidden fields do not count) or in a comment
of that record. Everything else about a file, even whether it exists, stays "not found".
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.fields import MAX_RECORD_ID, FileKind
from ..core.kinds import Kinds
from ..core.specs import Right
from ..security import Actor
from .catalog import AppCatalog
from .comments import CommentService
from .files import FileStore, StoredFile, safe_filename
from .record_context import RecordNotFound
from .records import RecordService


class AttachmentRefused(ValueError):
    """An upload refused before anything is stored; ``errors`` says which part and why."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message)
        self.errors = errors


class NothingUploaded(AttachmentRefused):
    """An upload call that carried no file."""


class FileHidden(LookupError):
    """The file does not exist, or the actor may not have it (the two are not told apart)."""


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RecordRef:
    """The record a download names as the one holding the file."""

    app: str
    entity: str
    record_id: int


class AttachmentService:
    """Files of records, as an actor: what the record shows, what it may add, what it may fetch."""

    def __init__(self, catalog: AppCatalog, kinds: Kinds, records: RecordService, files: FileStore,
                 comments: CommentService, clock: Callable[[], dt.datetime]):
        self.catalog, self.kinds, self.records, self.files = catalog, kinds, records, files
        self.comments, self.clock = comments, clock

    def file_fields(self, app: str, entity: str) -> list[str]:
        return [f.name for f in self.catalog.context(app, entity).entity.fields if f.kind == FileKind.kind]

    def list(self, actor: Actor, app: str, entity: str, record_id: int) -> list[tuple[StoredFile, list[str]]]:
        """The files of the record's visible file fields and of its comments, each with where it
        is held (field names, ``comment:<id>``), in id order."""
        record = self.records.get(actor, app, entity, record_id)
        where: dict[int, list[str]] = {}
        for name in self.file_fields(app, entity):
            for file_id in record.get(name) or []:
                where.setdefault(file_id, []).append(name)
        for comment in self.comments.list(actor, app, entity, record_id):
            for file_id in comment["files"]:
                where.setdefault(file_id, []).append(f"comment:{comment['id']}")
        found = self.files.infos(list(where))
        return [(found[i], where[i]) for i in sorted(found)]

    def upload(self, actor: Actor, app: str, entity: str, record_id: int, uploads: list[Upload],
               field: str | None = None, expected_version: int | None = None,
               ) -> tuple[list[StoredFile], dict[str, Any] | None]:
        """Store files the actor sends for a record it can read; with ``field`` also put them into
        that file field (which needs the right to update). Returns the stored files and, with a
        field, the updated record."""
        record = self.records.get(actor, app, entity, record_id)
        if field is not None:
            self._check_field(actor, app, entity, field)
        if not uploads:
            raise NothingUploaded("no file was sent", {"file": "missing"})
        named = [Upload(safe_filename(u.filename or "file"), u.content_type or "application/octet-stream", u.data)
                 for u in uploads]
        if field is not None:
            self._check_limits(app, entity, field, named)
        stored = [self.files.put(u.filename, u.content_type, u.data, actor.username, self.clock()) for u in named]
        if field is None:
            return stored, None
        spec = self.catalog.context(app, entity).entity.field(field)
        ids = [s.id for s in stored]
        value = (record.get(field) or []) + ids if spec.options.get("multiple") else ids[-1:]
        return stored, self.records.update(actor, app, entity, record_id, {field: value},
                                           expected_version=expected_version)

    def _check_field(self, actor: Actor, app: str, entity: str, field: str) -> None:
        if field not in self.file_fields(app, entity):
            raise AttachmentRefused(f"{entity} has no file field {field!r}", {"field": "not a file field"})
        self.catalog.context(app, entity).policy(actor).require(Right.UPDATE)

    def _check_limits(self, app: str, entity: str, field: str, uploads: list[Upload]) -> None:
        # The record service checks the field's limits too; checking first stores nothing refused.
        spec = self.catalog.context(app, entity).entity.field(field)
        kind = self.kinds.fields.get(spec.kind)
        for upload in uploads:
            refusal = kind.refusal(spec, upload.filename, upload.content_type, len(upload.data))
            if refusal:
                raise AttachmentRefused(f"{field}: {refusal}", {field: refusal})

    def download(self, actor: Actor, file_id: int, holder: RecordRef | None = None) -> tuple[StoredFile, bytes]:
        """The file's info and bytes when the actor may have it, else :class:`FileHidden`.

        A record named as ``holder`` that the actor cannot read answers as the RecordService does
        (not found or access denied)."""
        info = self.files.info(file_id)
        if info is None or not self._may_have(actor, info, holder):
            raise FileHidden(f"file #{file_id} does not exist or is not yours")
        return info, self.files.content(info)

    def _may_have(self, actor: Actor, info: StoredFile, holder: RecordRef | None) -> bool:
        if actor.is_admin or info.created_by == actor.username:
            return True
        if holder is None:
            return False
        if not 1 <= holder.record_id <= MAX_RECORD_ID:
            raise RecordNotFound(f"record #{holder.record_id} does not exist")
        visible = self.records.get(actor, holder.app, holder.entity, holder.record_id)
        if any(info.id in (visible.get(name) or []) for name in self.file_fields(holder.app, holder.entity)):
            return True
        return any(info.id in c["files"] for c in self.comments.list(actor, holder.app, holder.entity,
                                                                         holder.record_id))
