"""Who is acting: a user with their roles and departments per app, or the engine itself."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Connection, select

from ..data import system_tables as st


@dataclass(frozen=True)
class Actor:
    username: str | None
    is_admin: bool = False
    # The engine itself (seed loading, robots acting as the system): bypasses permissions.
    is_system: bool = False
    roles: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    # Departments the user belongs to or heads, sub-departments included, per app.
    departments: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def unrestricted(self) -> bool:
        return self.is_admin or self.is_system

    def roles_in(self, app: str) -> frozenset[str]:
        return self.roles.get(app, frozenset())

    def departments_in(self, app: str) -> frozenset[str]:
        return self.departments.get(app, frozenset())


SYSTEM = Actor(username="system", is_system=True)


class UnknownUser(LookupError):
    pass


def _with_descendants(mine: set[str], parents: dict[str, str | None]) -> frozenset[str]:
    result = set(mine)
    changed = True
    while changed:
        changed = False
        for name, parent in parents.items():
            if parent in result and name not in result:
                result.add(name)
                changed = True
    return frozenset(result)


def load_actor(conn: Connection, username: str) -> Actor:
    """The actor for a username, with roles and departments read from the database."""
    user = conn.execute(select(st.users.c.username, st.users.c.is_admin, st.users.c.active)
                        .where(st.users.c.username == username)).first()
    if user is None or not user.active:
        raise UnknownUser(f"user {username!r} does not exist or is not active")
    roles: dict[str, set[str]] = {}
    for app, role in conn.execute(select(st.user_roles.c.app, st.user_roles.c.role)
                                  .where(st.user_roles.c.username == username)):
        roles.setdefault(app, set()).add(role)
    mine: dict[str, set[str]] = {}
    for app, dep in conn.execute(select(st.department_members.c.app, st.department_members.c.department)
                                 .where(st.department_members.c.username == username)):
        mine.setdefault(app, set()).add(dep)
    for app, dep in conn.execute(select(st.departments.c.app, st.departments.c.name)
                                 .where(st.departments.c.head == username)):
        mine.setdefault(app, set()).add(dep)
    departments = {}
    for app, deps in mine.items():
        parents = dict(conn.execute(select(st.departments.c.name, st.departments.c.parent)
                                    .where(st.departments.c.app == app)).all())
        departments[app] = _with_descendants(deps, parents)
    return Actor(username=username, is_admin=bool(user.is_admin),
                 roles=MappingProxyType({a: frozenset(r) for a, r in roles.items()}),
                 departments=MappingProxyType(departments))
