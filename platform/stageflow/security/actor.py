"""Who is acting: a user with their roles and departments per app, or the engine itself."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Connection, bindparam, literal, select, union_all

from ..storage import platform_tables as st


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


# Built once with a bound username: building them per call cost more than running them
# (this runs on every API request).
_USER = select(st.users.c.username, st.users.c.is_admin, st.users.c.active).where(
    st.users.c.username == bindparam("username"))
# Roles, department memberships and headships of a user: one query of ``(kind, app, name)`` rows.
_MEMBERSHIPS = union_all(
    select(literal("role").label("kind"), st.user_roles.c.app, st.user_roles.c.role.label("name"))
    .where(st.user_roles.c.username == bindparam("username")),
    select(literal("member"), st.department_members.c.app, st.department_members.c.department)
    .where(st.department_members.c.username == bindparam("username")),
    select(literal("head"), st.departments.c.app, st.departments.c.name)
    .where(st.departments.c.head == bindparam("username")),
)
_DEPARTMENT_TREES = select(st.departments.c.app, st.departments.c.name, st.departments.c.parent).where(
    st.departments.c.app.in_(bindparam("apps", expanding=True)))


def load_actor(conn: Connection, username: str) -> Actor:
    """The actor for a username, with roles and departments read from the database.

    Two queries (the user, then roles and departments at once), a third only for a user in
    departments: this runs on every API request.
    """
    user = conn.execute(_USER, {"username": username}).first()
    if user is None or not user.active:
        raise UnknownUser(f"user {username!r} does not exist or is not active")
    roles: dict[str, set[str]] = {}
    mine: dict[str, set[str]] = {}
    for kind, app, name in conn.execute(_MEMBERSHIPS, {"username": username}):
        (roles if kind == "role" else mine).setdefault(app, set()).add(name)
    departments = {}
    if mine:
        parents_by_app: dict[str, dict[str, str | None]] = {}
        for app, name, parent in conn.execute(_DEPARTMENT_TREES, {"apps": sorted(mine)}):
            parents_by_app.setdefault(app, {})[name] = parent
        departments = {app: _with_descendants(deps, parents_by_app.get(app, {})) for app, deps in mine.items()}
    return Actor(username=username, is_admin=bool(user.is_admin),
                 roles=MappingProxyType({a: frozenset(r) for a, r in roles.items()}),
                 departments=MappingProxyType(departments))
