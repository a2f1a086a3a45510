"""The installed apps: specs and tables of each app's current revision, cached by revision.

Any process sees a new revision on its next :meth:`AppCatalog.refresh` (one small query), so
entities and fields added while the server runs are served without a restart.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, inspect, select

from ..core.kinds import Kinds
from ..core.problems import MetadataError
from ..core.specs import AppSpec
from ..metadata import Bundle, DocType, Document, SchemaSet, check_documents
from ..storage import platform_tables as st
from ..storage.database import read_connection
from .record_context import EntityContext, build_context
from .schema_sync import SchemaSync
from .tables import AppTables, build_app_tables


class UnknownApp(LookupError):
    pass


class UnknownEntity(LookupError):
    pass


@dataclass
class LoadedApp:
    revision: int
    spec: AppSpec
    tables: AppTables
    bundle: Bundle
    contexts: dict[str, EntityContext] = field(default_factory=dict)


def bundle_from_revision(app: str, documents_json: str, assets: dict[str, bytes]) -> Bundle:
    docs = [Document(d["path"], DocType(d["type"]), d["data"]) for d in json.loads(documents_json)]
    return Bundle(root=f"<{app}>", documents=docs, assets=assets)


# Asked on every web request: built once.
_REVISIONS = select(st.apps.c.name, st.apps.c.revision)


class AppCatalog:
    def __init__(self, db: Engine, kinds: Kinds, schemas: SchemaSet):
        self.db, self.kinds, self.schemas = db, kinds, schemas
        self._apps: dict[str, LoadedApp] = {}
        # Apps whose stored revision no longer validates (e.g. after a stricter release): they
        # are reported here and skipped, so one app never takes the others down.
        self.broken: dict[str, MetadataError] = {}
        self._lock = threading.Lock()
        # Set once sf_app has been seen: refresh runs on every web request, and asking the
        # database whether the table exists costs as much as the revision query itself.
        self._installed = False

    def refresh(self, conn: Connection | None = None) -> None:
        if conn is None:
            with read_connection(self.db) as own:
                return self.refresh(own)
        if not self._installed:
            if not inspect(conn).has_table("sf_app"):
                return
            self._installed = True
        current = dict(conn.execute(_REVISIONS).all())
        with self._lock:
            for name in list(self._apps):
                if name not in current:
                    del self._apps[name]
            for name, revision in current.items():
                loaded = self._apps.get(name)
                if loaded is None or loaded.revision != revision:
                    try:
                        self._apps[name] = self.load_revision(conn, name, revision)
                        self.broken.pop(name, None)
                    except MetadataError as exc:
                        self._apps.pop(name, None)
                        self.broken[name] = exc

    def load_revision(self, conn: Connection, name: str, revision: int) -> LoadedApp:
        row = conn.execute(select(st.app_revisions.c.documents).where(
            st.app_revisions.c.app == name, st.app_revisions.c.revision == revision)).one()
        assets = dict(conn.execute(select(st.app_assets.c.path, st.app_assets.c.content).where(
            st.app_assets.c.app == name, st.app_assets.c.revision == revision)).all())
        bundle = bundle_from_revision(name, row.documents, assets)
        checked = check_documents(bundle, self.kinds, self.schemas)
        if not checked.ok:
            raise MetadataError(checked.problems)
        retired = SchemaSync(self.kinds).known_retired(conn)
        return LoadedApp(revision, checked.app, build_app_tables(self.kinds, checked.app, retired), bundle)

    def names(self) -> list[str]:
        return sorted(self._apps)

    def get(self, name: str) -> LoadedApp:
        try:
            return self._apps[name]
        except KeyError:
            raise UnknownApp(f"no app {name!r} is installed") from None

    def put(self, name: str, loaded: LoadedApp) -> None:
        with self._lock:
            self._apps[name] = loaded
            self.broken.pop(name, None)

    def context(self, app: str, entity: str) -> EntityContext:
        loaded = self.get(app)
        ctx = loaded.contexts.get(entity)
        if ctx is None:
            if entity not in loaded.spec.entities:
                raise UnknownEntity(f"app {app!r} has no entity {entity!r}")
            ctx = build_context(self.kinds, loaded.spec, loaded.tables, loaded.spec.entities[entity],
                                self.db.dialect.name)
            loaded.contexts[entity] = ctx
        return ctx
