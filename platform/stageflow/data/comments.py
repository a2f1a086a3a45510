"""People's comments on a record (PL13), reachable only by who may read the record.

The timeline rows themselves are written and read by :mod:`.timeline` (the automation adds robot
entries there inside its own transaction); this service is the door for people: it asks the
RecordService for the record first, so record rules apply and a record the actor cannot see
answers "not found" for its comments as well.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from ..core.fields import MAX_RECORD_ID
from ..security import Actor
from ..storage.database import read_connection, write_transaction
from .files import FileStore
from .records import RecordService
from .timeline import EntryKind, add_comment, comments_of


class CommentRefused(ValueError):
    """A comment that cannot be added; ``errors`` names the part (``body`` or ``files``) and why."""

    def __init__(self, part: str, message: str, detail: str | None = None):
        super().__init__(f"{part}: {message}")
        self.errors = {part: detail or message}


class CommentService:
    """List and add a record's comments as an actor who may read that record."""

    def __init__(self, db: Engine, records: RecordService, files: FileStore,
                 clock: Callable[[], dt.datetime]):
        self.db, self.records, self.files, self.clock = db, records, files, clock

    def list(self, actor: Actor, app: str, entity: str, record_id: int,
             include_robots: bool = True) -> list[dict[str, Any]]:
        """The record's comments, oldest first; without robot and system entries when asked."""
        self.records.get(actor, app, entity, record_id)  # "not found" when the actor cannot see it
        with read_connection(self.db) as conn:
            return comments_of(conn, app, entity, record_id, include_robots=include_robots)

    def add(self, actor: Actor, app: str, entity: str, record_id: int, body: Any,
            files: Any = None) -> dict[str, Any]:
        """Add the actor's comment; it may carry files the actor uploaded (any, for administrators)."""
        self.records.get(actor, app, entity, record_id)
        if not isinstance(body, str):
            raise CommentRefused("body", "expected the comment's text", "expected text")
        file_ids = self._own_files(actor, files)
        try:
            with write_transaction(self.db) as conn:
                comment_id = add_comment(conn, app, entity, record_id, body, author=actor.username,
                                         kind=EntryKind.COMMENT, files=file_ids, now=self.clock())
        except ValueError as exc:
            raise CommentRefused("body", str(exc)) from None
        with read_connection(self.db) as conn:
            return next(c for c in comments_of(conn, app, entity, record_id) if c["id"] == comment_id)

    def _own_files(self, actor: Actor, raw: Any) -> list[int] | None:
        """File ids a comment may carry: files that exist and that the author uploaded."""
        if raw in (None, []):
            return None
        if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
            raise CommentRefused("files", "expected a list of file ids")
        ids = list(dict.fromkeys(raw))
        found = self.files.infos([i for i in ids if 1 <= i <= MAX_RECORD_ID])  # one query for all
        for file_id in ids:
            info = found.get(file_id)
            if info is None or not (actor.is_admin or info.created_by == actor.username):
                raise CommentRefused("files", f"file #{file_id} is not one of yours", f"#{file_id} is not yours")
        return ids
