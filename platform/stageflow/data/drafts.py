"""Drafts of app metadata: the builder edits a draft, previews what publishing would change, and
publishes it through the installer.

One draft per app (``sf_app_draft``) holds the edited documents and the installed revision they
were made from. Saving a draft never touches the installed app. :meth:`DraftService.preview` runs
the schema sync inside a transaction that is rolled back (DDL is transactional on SQLite and
PostgreSQL), so it reports the tables, columns and retirements an install would make and leaves
the database as it was. :meth:`DraftService.publish` installs only while the app is still at the
draft's base revision, checked inside the installer's write transaction: of two publishes made
from the same revision, the second is refused with :class:`DraftConflict` and changes nothing.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table

from ..core.kinds import Kinds
from ..core.problems import Problem
from ..metadata import Bundle, SchemaSet, check_documents
from ..metadata.editing import EditRefused, bundle_with_documents, documents_of
from ..security import AccessDenied, Actor
from ..security.permissions import may_configure
from ..storage import platform_tables as st
from ..storage.database import read_connection, write_transaction
from ..storage.ddl import SchemaChangeRefused
from .catalog import AppCatalog, UnknownApp, bundle_from_revision
from .installer import AppInstaller, InstallResult, RevisionConflict, documents_json
from .schema_sync import SchemaSync

__all__ = ["AppExists", "Draft", "DraftConflict", "DraftPreview", "DraftService", "NoDraft", "RetiredField"]


class DraftConflict(RevisionConflict):
    """The app changed since the draft was opened; the draft is kept, nothing was installed."""

    def __init__(self, app: str, current: int, expected: int):
        super().__init__(app, current, expected,
                         f"app {app!r} changed since you opened the draft: it is at revision {current}, "
                         f"the draft was made from {expected}")


class NoDraft(LookupError):
    """The app has no draft to publish."""


class AppExists(EditRefused):
    """A new app was asked for under a name already installed or drafted."""


@dataclass(frozen=True)
class Draft:
    app: str
    base_revision: int
    documents: dict[str, Any]  # bundle path -> document
    updated_at: dt.datetime
    updated_by: str | None


@dataclass(frozen=True)
class RetiredField:
    """A column publishing would retire (kept with its data), and how many rows hold a value."""
    table: str
    column: str
    rows: int


@dataclass
class DraftPreview:
    """What publishing the draft would change. With ``problems`` (or ``refused``) it would not."""
    app: str
    base_revision: int
    problems: list[Problem] = field(default_factory=list)
    refused: str | None = None  # a schema change the database cannot take (data loss, busy table)
    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    retired: list[RetiredField] = field(default_factory=list)
    changed_types: list[str] = field(default_factory=list)
    documents_added: list[str] = field(default_factory=list)
    documents_changed: list[str] = field(default_factory=list)
    documents_removed: list[str] = field(default_factory=list)


class _Undo(Exception):
    """Raised inside the preview's transaction so that it rolls back, carrying the result."""

    def __init__(self, preview: DraftPreview):
        super().__init__("preview rolled back")
        self.preview = preview


class DraftService:
    """Open, edit, validate, preview, publish and discard the draft of an installed app.

    Platform administrators, the system and holders of one of the app's ``"admin": true`` roles
    may do all of it; anyone else gets :class:`AccessDenied`.
    """

    def __init__(self, db: Engine, kinds: Kinds, schemas: SchemaSet, catalog: AppCatalog,
                 installer: AppInstaller, clock: Callable[[], dt.datetime]):
        self.db, self.kinds, self.schemas, self.catalog = db, kinds, schemas, catalog
        self.installer, self.clock = installer, clock

    # --- reading ---------------------------------------------------------------------------

    def open(self, actor: Actor, app: str) -> Draft:
        """The app's draft, made from the installed revision when there is none."""
        return self._change(actor, app, None, None)

    def validate(self, actor: Actor, app: str) -> list[Problem]:
        """Every problem of the draft (shape, then meaning), each with its path and JSON pointer."""
        draft, base = self._draft_and_base(actor, app)
        bundle = bundle_with_documents(base, app, draft.documents)
        return check_documents(bundle, self.kinds, self.schemas).problems

    def check(self, actor: Actor, app: str, path: str, data: Any) -> list[Problem]:
        """The draft's problems as if ``path`` held ``data``, storing nothing: the builder asks
        this while the admin types."""
        draft, base = self._draft_and_base(actor, app)
        documents = {**draft.documents, path: data}
        return check_documents(bundle_with_documents(base, app, documents), self.kinds, self.schemas).problems

    def drafted_apps(self, actor: Actor) -> dict[str, int]:
        """The apps with a draft that ``actor`` may configure, with the draft's base revision
        (0 for an app that is not installed yet)."""
        self.catalog.refresh()
        with read_connection(self.db) as conn:
            rows = conn.execute(select(st.app_drafts.c.app, st.app_drafts.c.base_revision)).all()
        installed = set(self.catalog.names())
        return {app: base for app, base in rows
                if (may_configure(actor, self.catalog.get(app).spec) if app in installed else actor.unrestricted)}

    # --- a new app ---------------------------------------------------------------------------

    def create(self, actor: Actor, manifest: Mapping[str, Any]) -> Draft:
        """The draft of a new app holding only its manifest (``app.json``); publishing installs
        it. Platform administrators only: an app's own admin roles exist once it does."""
        if not actor.unrestricted:
            raise AccessDenied(f"{actor.username} may not create apps")
        app = manifest.get("name") if isinstance(manifest, Mapping) else None
        if not isinstance(app, str) or not app:
            raise EditRefused("documents/app.json/name: a new app needs a name")
        self.catalog.refresh()
        if app in self.catalog.names():
            raise AppExists(f"documents/app.json/name: app {app!r} is installed already")
        documents = {"app.json": dict(manifest)}
        bundle = bundle_with_documents(_empty_bundle(app), app, documents)
        draft = Draft(app, 0, documents_of(bundle), self.clock(), actor.username)
        with write_transaction(self.db) as conn:
            if self._read(conn, app) is not None:
                raise AppExists(f"documents/app.json/name: app {app!r} has a draft already")
            self._store(conn, draft, bundle, new=True)
        return draft

    # --- editing ---------------------------------------------------------------------------

    def put_documents(self, actor: Actor, app: str, documents: Mapping[str, Any],
                      base_revision: int | None = None) -> Draft:
        """Replace every document of the draft. With ``base_revision``, refused with
        :class:`DraftConflict` when the draft is no longer made from that revision."""
        if not isinstance(documents, Mapping):
            raise EditRefused("documents: expected an object mapping bundle paths to documents")
        def replace(docs: dict[str, Any]) -> None:
            docs.clear()
            docs.update(documents)
        return self._change(actor, app, replace, base_revision)

    def put_document(self, actor: Actor, app: str, path: str, data: Any,
                     base_revision: int | None = None) -> Draft:
        """Add or replace one document (``entities/deal.json``...) of the draft."""
        return self._change(actor, app, lambda docs: docs.__setitem__(path, data), base_revision)

    def remove_document(self, actor: Actor, app: str, path: str, base_revision: int | None = None) -> Draft:
        def remove(docs: dict[str, Any]) -> None:
            if path not in docs:
                raise EditRefused(f"documents/{path}: the draft of app {app!r} has no such document")
            del docs[path]
        return self._change(actor, app, remove, base_revision)

    def discard(self, actor: Actor, app: str) -> None:
        self._base(actor, app)
        with write_transaction(self.db) as conn:
            conn.execute(st.app_drafts.delete().where(st.app_drafts.c.app == app))

    # --- preview and publish ---------------------------------------------------------------

    def preview(self, actor: Actor, app: str) -> DraftPreview:
        """What publishing would change, found by running the schema sync and rolling it back."""
        draft, base = self._draft_and_base(actor, app)
        bundle = bundle_with_documents(base, app, draft.documents)
        installed = documents_of(base)
        preview = DraftPreview(
            app, draft.base_revision,
            documents_added=sorted(set(draft.documents) - set(installed)),
            documents_removed=sorted(set(installed) - set(draft.documents)),
            documents_changed=sorted(p for p in set(draft.documents) & set(installed)
                                     if draft.documents[p] != installed[p]))
        checked = check_documents(bundle, self.kinds, self.schemas)
        if not checked.ok:
            preview.problems = checked.problems
            return preview
        try:
            with write_transaction(self.db) as conn:
                _, report = SchemaSync(self.kinds, self.installer.lock_timeout).sync(conn, checked.app, self.clock())
                preview.created_tables = list(report.created_tables)
                preview.added_columns = list(report.added_columns)
                preview.changed_types = list(report.changed_types)
                preview.retired = [_retired_field(conn, name) for name in report.retired_columns]
                raise _Undo(preview)
        except _Undo as undo:
            return undo.preview
        except SchemaChangeRefused as exc:
            preview.refused = str(exc)
            return preview

    def publish(self, actor: Actor, app: str, base_revision: int, message: str | None = None) -> InstallResult:
        """Validate and install the draft atomically, then drop it; ``message`` says what the new
        version changes. Refused with
        :class:`DraftConflict` when the app is no longer at ``base_revision``; with
        :class:`~stageflow.core.problems.MetadataError` (every problem) when the draft is invalid."""
        _, base = self._base(actor, app)
        with read_connection(self.db) as conn:
            draft = self._read(conn, app)
        if draft is None or draft.base_revision != base_revision:
            current = self._installed_revision(app)
            if current != base_revision:
                raise DraftConflict(app, current, base_revision)
            if draft is None:
                raise NoDraft(f"app {app!r} has no draft to publish")
            raise DraftConflict(app, draft.base_revision, base_revision)
        bundle = bundle_with_documents(base, app, draft.documents)
        try:
            result = self.installer.install(bundle, actor=actor.username, expected_revision=base_revision,
                                            message=message)
        except RevisionConflict as exc:
            raise DraftConflict(app, exc.current, base_revision) from None
        with write_transaction(self.db) as conn:
            conn.execute(st.app_drafts.delete().where(st.app_drafts.c.app == app,
                                                      st.app_drafts.c.base_revision == base_revision))
        self.catalog.refresh()
        return result

    # --- inside ----------------------------------------------------------------------------

    def _base(self, actor: Actor, app: str) -> tuple[int, Bundle]:
        """The installed revision and bundle (freshly read) once the actor may configure the
        app; for a new app's draft, revision 0 and an empty bundle (platform admins only).
        :class:`~stageflow.data.catalog.UnknownApp` when there is neither."""
        self.catalog.refresh()
        if app in self.catalog.names():
            loaded = self.catalog.get(app)
            if not may_configure(actor, loaded.spec):
                raise AccessDenied(f"{actor.username} may not change the configuration of app {app!r}")
            return loaded.revision, loaded.bundle
        with read_connection(self.db) as conn:
            drafted = conn.execute(select(st.app_drafts.c.base_revision)
                                   .where(st.app_drafts.c.app == app)).scalar() is not None
        if not drafted:
            raise UnknownApp(f"no app {app!r} is installed or drafted")
        if not actor.unrestricted:
            raise AccessDenied(f"{actor.username} may not change the configuration of app {app!r}")
        return 0, _empty_bundle(app)

    def _installed_revision(self, app: str) -> int:
        with read_connection(self.db) as conn:
            current = conn.execute(select(st.apps.c.revision).where(st.apps.c.name == app)).scalar()
        return current or 0

    def _draft_and_base(self, actor: Actor, app: str) -> tuple[Draft, Bundle]:
        """The draft (the installed documents when there is none) and the installed bundle."""
        revision, base = self._base(actor, app)
        with read_connection(self.db) as conn:
            draft = self._read(conn, app)
        if draft is None:
            draft = Draft(app, revision, documents_of(base), self.clock(), None)
        return draft, base

    def _read(self, conn: Connection, app: str) -> Draft | None:
        row = conn.execute(select(st.app_drafts).where(st.app_drafts.c.app == app)).mappings().first()
        if row is None:
            return None
        documents = documents_of(bundle_from_revision(app, row["documents"], {}))
        return Draft(app, row["base_revision"], documents, row["updated_at"], row["updated_by"])

    def _change(self, actor: Actor, app: str, edit: Callable[[dict[str, Any]], Any] | None,
                base_revision: int | None) -> Draft:
        """Read the draft (or make it from the installed revision), apply ``edit`` to its
        documents and store it, in one write transaction."""
        revision, base = self._base(actor, app)
        with write_transaction(self.db) as conn:
            draft = self._read(conn, app)
            new = draft is None
            if new:
                draft = Draft(app, revision, documents_of(base), self.clock(), actor.username)
            if base_revision is not None and draft.base_revision != base_revision:
                raise DraftConflict(app, draft.base_revision, base_revision)
            if edit is None:
                if new:
                    self._store(conn, draft, base, new=True)
                return draft
            documents = dict(draft.documents)
            edit(documents)
            bundle = bundle_with_documents(base, app, documents)
            changed = Draft(app, draft.base_revision, documents_of(bundle), self.clock(), actor.username)
            self._store(conn, changed, bundle, new=new)
            return changed

    def _store(self, conn: Connection, draft: Draft, bundle: Bundle, new: bool) -> None:
        values = dict(base_revision=draft.base_revision, documents=documents_json(bundle),
                      updated_at=draft.updated_at, updated_by=draft.updated_by)
        if new:
            conn.execute(st.app_drafts.insert().values(app=draft.app, **values))
        else:
            conn.execute(st.app_drafts.update().where(st.app_drafts.c.app == draft.app).values(**values))


def _empty_bundle(app: str) -> Bundle:
    return Bundle(root=f"<{app}>", documents=[], assets={})


def _retired_field(conn: Connection, qualified: str) -> RetiredField:
    """``<table>.<column>`` (as the sync reports it) with the number of rows holding a value."""
    table_name, column_name = qualified.rsplit(".", 1)
    column = sql_column(column_name)
    rows = conn.execute(select(func.count()).select_from(sql_table(table_name, column))
                        .where(column.is_not(None))).scalar_one()
    return RetiredField(table_name, column_name, rows)
