"""Installing or upgrading an app from a bundle: validate, sync the schema, store the revision.

Everything happens in one transaction (DDL included, on SQLite and PostgreSQL), so a refused
or failed load leaves the database and the stored metadata exactly as they were.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from ..core.kinds import Kinds
from ..core.problems import MetadataError
from ..core.specs import AppSpec, thaw
from ..metadata import Bundle, SchemaSet, check_documents, read_bundle
from ..storage import platform_tables as st
from ..storage.database import write_transaction
from ..storage.ddl import DEFAULT_LOCK_TIMEOUT, SyncReport
from ..storage.platform_schema import migrate_platform_tables, platform_schema_digest, recorded_digest
from .catalog import AppCatalog, LoadedApp
from .schema_sync import SchemaSync
from .tables import AppTables


@dataclass
class InstallResult:
    app: str
    revision: int
    unchanged: bool
    sync: SyncReport


def documents_json(bundle: Bundle) -> str:
    docs = [{"path": d.path, "type": d.type.value, "data": d.data}
            for d in sorted(bundle.documents, key=lambda d: d.path)]
    return json.dumps(docs, ensure_ascii=False, separators=(",", ":"))


def checksum(documents: str, assets: dict[str, bytes]) -> str:
    digest = hashlib.sha256(documents.encode())
    for path in sorted(assets):
        digest.update(path.encode() + hashlib.sha256(assets[path]).digest())
    return digest.hexdigest()


class RevisionConflict(Exception):
    """The app is no longer at the revision the caller's change was made from (nothing changed)."""

    def __init__(self, app: str, current: int, expected: int, message: str | None = None):
        self.app, self.current, self.expected = app, current, expected
        super().__init__(message or f"app {app!r} changed since the change was prepared: it is at "
                                    f"revision {current}, the change was made from {expected}")


class AppInstaller:
    def __init__(self, db: Engine, kinds: Kinds, schemas: SchemaSet, catalog: AppCatalog,
                 clock: Callable[[], dt.datetime], lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.db, self.kinds, self.schemas, self.catalog, self.clock = db, kinds, schemas, catalog, clock
        # Seconds a schema change waits for a table another transaction holds (PostgreSQL).
        self.lock_timeout = lock_timeout

    def install(self, source: Path | str | Bundle, actor: str | None = None,
                expected_revision: int | None = None, message: str | None = None) -> InstallResult:
        """Validate and install ``source`` in one transaction. With ``expected_revision`` (0 for
        an app not installed yet) the install is refused with :class:`RevisionConflict` unless
        the app is still at that revision, checked under a lock of the app's row, so two
        installs made from the same revision cannot both pass. ``message`` is kept with the new
        revision (what it changes, for the list of versions)."""
        problems = []
        bundle = source if isinstance(source, Bundle) else read_bundle(source, problems)
        checked = check_documents(bundle, self.kinds, self.schemas, problems)
        if not checked.ok:
            raise MetadataError(checked.problems)
        app = checked.app
        docs = documents_json(bundle)
        digest = checksum(docs, bundle.assets)
        now = self.clock()
        with write_transaction(self.db) as conn:
            if recorded_digest(conn) != platform_schema_digest(conn.dialect.name):
                migrate_platform_tables(conn, self.lock_timeout)
            query = select(st.apps).where(st.apps.c.name == app.name)
            if expected_revision is not None:
                query = query.with_for_update()
            current = conn.execute(query).mappings().first()
            if expected_revision is not None and (current["revision"] if current else 0) != expected_revision:
                raise RevisionConflict(app.name, current["revision"] if current else 0, expected_revision)
            last = None
            if current:
                last = conn.execute(select(st.app_revisions.c.checksum).where(
                    st.app_revisions.c.app == app.name,
                    st.app_revisions.c.revision == current["revision"])).scalar()
            tables, report = SchemaSync(self.kinds, self.lock_timeout).sync(conn, app, now)
            if last == digest:
                revision = current["revision"]
            else:
                revision = (current["revision"] + 1) if current else 1
                self._store_revision(conn, app, revision, docs, digest, bundle, actor, now, current is None,
                                     message)
            self._sync_org(conn, app, now)
            self._seed_handbooks(conn, app, tables, now)
        self.catalog.put(app.name, LoadedApp(revision, app, tables, bundle))
        return InstallResult(app.name, revision, last == digest, report)

    def _store_revision(self, conn: Connection, app: AppSpec, revision: int, docs: str, digest: str,
                        bundle: Bundle, actor: str | None, now: dt.datetime, new: bool,
                        message: str | None = None) -> None:
        conn.execute(st.app_revisions.insert().values(
            app=app.name, revision=revision, version=app.version, documents=docs, checksum=digest,
            created_at=now, created_by=actor, message=message))
        if bundle.assets:
            conn.execute(st.app_assets.insert(), [
                {"app": app.name, "revision": revision, "path": p, "content": c} for p, c in bundle.assets.items()])
        if new:
            conn.execute(st.apps.insert().values(name=app.name, revision=revision, version=app.version,
                                                 installed_at=now, updated_at=now))
        else:
            conn.execute(st.apps.update().where(st.apps.c.name == app.name)
                         .values(revision=revision, version=app.version, updated_at=now))

    def _sync_org(self, conn: Connection, app: AppSpec, now: dt.datetime) -> None:
        """Departments of the app are replaced by the bundle's; users are added or updated."""
        for user in app.users:
            found = conn.execute(select(st.users.c.id).where(st.users.c.username == user.username)).scalar()
            values = dict(full_name=user.full_name, email=user.email, phone=user.phone, locale=user.locale)
            if found is None:
                conn.execute(st.users.insert().values(username=user.username, active=True, is_admin=False,
                                                      created_at=now, **values))
            else:
                conn.execute(st.users.update().where(st.users.c.id == found).values(**values))
            conn.execute(st.user_roles.delete().where(st.user_roles.c.username == user.username,
                                                      st.user_roles.c.app == app.name))
            if user.roles:
                conn.execute(st.user_roles.insert(), [
                    {"username": user.username, "app": app.name, "role": r} for r in user.roles])
        conn.execute(st.department_members.delete().where(st.department_members.c.app == app.name))
        conn.execute(st.departments.delete().where(st.departments.c.app == app.name))
        if app.departments:
            conn.execute(st.departments.insert(), [
                {"app": app.name, "name": d.name, "label": json.dumps(thaw(d.label), ensure_ascii=False),
                 "parent": d.parent, "head": d.head} for d in app.departments])
            members = {(d.name, m) for d in app.departments for m in d.members}
            members |= {(d.name, d.head) for d in app.departments if d.head}
            if members:
                conn.execute(st.department_members.insert(), [
                    {"app": app.name, "department": dep, "username": user} for dep, user in sorted(members)])

    def _seed_handbooks(self, conn: Connection, app: AppSpec, tables: AppTables, now: dt.datetime) -> None:
        """Handbook items of the bundle that the database lacks are added; edited rows are kept."""
        for entity in app.entities.values():
            if not entity.is_handbook or not entity.handbook_items:
                continue
            table = tables.main(entity.name)
            have = set(conn.execute(select(table.c.code)).scalars())
            rows = []
            for order, item in enumerate(entity.handbook_items):
                if item.code in have:
                    continue
                label = item.label if isinstance(item.label, str) else (
                    item.label.get(app.default_locale) or next(iter(item.label.values())))
                rows.append({"code": item.code, "label": label, "sort_order": order, "active": item.active,
                             **thaw(item.extra), "version": 1, "created_at": now, "updated_at": now,
                             "created_by": "system", "updated_by": "system"})
            if rows:
                conn.execute(table.insert(), rows)
