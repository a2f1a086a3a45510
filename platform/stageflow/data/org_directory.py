"""Who and which departments an app offers in pickers (user and department fields).

The lists are for people working in the app: its active users with a role there, and its
departments with their labels. Someone with no role in the app (and not an administrator)
is refused, as the app's screens refuse them.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, bindparam, select

from ..security import AccessDenied, Actor
from ..storage import platform_tables as st
from ..storage.database import read_connection

_u, _r, _d = st.users, st.user_roles, st.departments
_USERS_OF_APP = (select(_u.c.username, _u.c.full_name).distinct()
                 .join(_r, _r.c.username == _u.c.username)
                 .where(_r.c.app == bindparam("app"), _u.c.active.is_(True)).order_by(_u.c.full_name))
_DEPARTMENTS_OF_APP = select(_d.c.name, _d.c.label).where(_d.c.app == bindparam("app")).order_by(_d.c.name)


class OrgDirectory:
    """The users and departments of an app, as choices for an actor who works in it."""

    def __init__(self, db: Engine):
        self.db = db

    @staticmethod
    def _require_member(actor: Actor, app: str) -> None:
        if not (actor.unrestricted or actor.roles_in(app)):
            raise AccessDenied(f"{actor.username} does not work in app {app!r}")

    def users(self, actor: Actor, app: str) -> list[tuple[str, str]]:
        """(username, full name or username) of the app's active users, by full name."""
        self._require_member(actor, app)
        with read_connection(self.db) as conn:
            return [(row.username, row.full_name or row.username)
                    for row in conn.execute(_USERS_OF_APP, {"app": app})]

    def departments(self, actor: Actor, app: str) -> list[tuple[str, Any]]:
        """(name, label as in metadata: text or a label per locale) of the app's departments, by name."""
        self._require_member(actor, app)
        with read_connection(self.db) as conn:
            rows = conn.execute(_DEPARTMENTS_OF_APP, {"app": app}).all()
        return [(row.name, json.loads(row.label)) for row in rows]
