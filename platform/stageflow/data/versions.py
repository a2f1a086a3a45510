"""Versions of an app's configuration: list them, compare any two, roll back to an earlier one.

Every install or publish keeps the whole configuration as a revision (``sf_app_revision``, with
its author, time and message, and its assets in ``sf_app_asset``). A rollback installs an earlier
revision's documents and assets again as a *new* revision, through the installer: the history
only grows, records added since stay, and fields the old version lacks are retired with their
data, never dropped (a later version that has them again brings the data back). Like a publish,
a rollback is refused with :class:`~stageflow.data.drafts.DraftConflict` when the app changed
since the admin looked at it. Who may do this is the drafts' rule: platform administrators and
the app's administrator roles.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ..metadata import Bundle
from ..metadata.editing import documents_of
from ..metadata.version_diff import DocumentChange, diff_assets, diff_versions
from ..security import AccessDenied, Actor
from ..security.permissions import may_configure
from ..storage import platform_tables as st
from ..storage.database import read_connection
from .catalog import AppCatalog, UnknownApp, bundle_from_revision
from .drafts import DraftConflict
from .installer import AppInstaller, InstallResult, RevisionConflict

__all__ = ["UnknownVersion", "Version", "VersionDiff", "VersionService"]

# A version's message is for people: a line or a short paragraph.
MESSAGE_MAX_LENGTH = 2000


class UnknownVersion(LookupError):
    """The app has no revision of that number."""


@dataclass(frozen=True)
class Version:
    revision: int
    version: str  # the app's own version string (app.json)
    created_at: dt.datetime
    created_by: str | None
    message: str | None
    current: bool


@dataclass(frozen=True)
class VersionDiff:
    app: str
    old: int
    new: int
    documents: list[DocumentChange]


class VersionService:
    def __init__(self, db: Engine, catalog: AppCatalog, installer: AppInstaller):
        self.db, self.catalog, self.installer = db, catalog, installer

    def versions(self, actor: Actor, app: str) -> list[Version]:
        """Every revision of ``app``, newest first."""
        current = self._allowed(actor, app)
        revisions = st.app_revisions
        with read_connection(self.db) as conn:
            rows = conn.execute(select(revisions.c.revision, revisions.c.version, revisions.c.created_at,
                                       revisions.c.created_by, revisions.c.message)
                                .where(revisions.c.app == app).order_by(revisions.c.revision.desc())).all()
        return [Version(r.revision, r.version, r.created_at, r.created_by, r.message, r.revision == current)
                for r in rows]

    def diff(self, actor: Actor, app: str, old: int, new: int) -> VersionDiff:
        """What changed from revision ``old`` to revision ``new`` (either may be the later)."""
        self._allowed(actor, app)
        before, after = self._bundle(app, old), self._bundle(app, new)
        changes = diff_versions(documents_of(before), documents_of(after)) + diff_assets(before.assets, after.assets)
        return VersionDiff(app, old, new, sorted(changes, key=lambda change: change.path))

    def rollback(self, actor: Actor, app: str, revision: int, base_revision: int,
                 message: str | None = None) -> InstallResult:
        """Install revision ``revision`` again as the app's next revision, while the app is still
        at ``base_revision``."""
        current = self._allowed(actor, app)
        if current != base_revision:
            raise DraftConflict(app, current, base_revision)
        bundle = self._bundle(app, revision)
        said = (message or "").strip()[:MESSAGE_MAX_LENGTH] or f"Rolled back to revision {revision}"
        try:
            result = self.installer.install(bundle, actor=actor.username, expected_revision=base_revision,
                                            message=said)
        except RevisionConflict as exc:
            raise DraftConflict(app, exc.current, base_revision) from None
        self.catalog.refresh()
        return result

    # --- inside ----------------------------------------------------------------------------

    def _allowed(self, actor: Actor, app: str) -> int:
        """The installed revision, once ``actor`` may configure ``app``."""
        self.catalog.refresh()
        if app not in self.catalog.names():
            raise UnknownApp(f"no app {app!r} is installed")
        loaded = self.catalog.get(app)
        if not may_configure(actor, loaded.spec):
            raise AccessDenied(f"{actor.username} may not see or change the versions of app {app!r}")
        return loaded.revision

    def _bundle(self, app: str, revision: int) -> Bundle:
        with read_connection(self.db) as conn:
            documents = conn.execute(select(st.app_revisions.c.documents).where(
                st.app_revisions.c.app == app, st.app_revisions.c.revision == revision)).scalar()
            if documents is None:
                raise UnknownVersion(f"app {app!r} has no revision {revision}")
            assets = dict(conn.execute(select(st.app_assets.c.path, st.app_assets.c.content).where(
                st.app_assets.c.app == app, st.app_assets.c.revision == revision)).all())
        return bundle_from_revision(app, documents, assets)
