"""User accounts as the login sees them: the ``sf_user`` row, its password and active flag.

``sf_user`` is the identity; the web's login session keeps a mirror row of its own (the user
table of the web framework), whose id a login token names. Accounts are created and changed by
installs and the ``create-admin`` command; the login only reads them, and a logout bumps the
user's session generation, which ends their sessions and login tokens.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, Table, bindparam, select

from ..security.users import check_password
from ..storage import platform_tables as st
from ..storage.database import read_connection, write_transaction

_ACCOUNT = select(st.users).where(st.users.c.username == bindparam("username"))
_ACTIVE = select(st.users.c.active).where(st.users.c.username == bindparam("username"))
_GENERATION = select(st.users.c.session_generation).where(
    st.users.c.username == bindparam("username"), st.users.c.active.is_(True))


@lru_cache(maxsize=8)
def _username_by_id(mirror: Table):
    """Built once per mirror table: a token's user is looked up on every API request."""
    return select(mirror.c.username).where(mirror.c.id == bindparam("id"))


@lru_cache(maxsize=8)
def _generation_by_mirror_id(mirror: Table):
    users = st.users
    return (select(users.c.session_generation)
            .join_from(mirror, users, users.c.username == mirror.c.username)
            .where(mirror.c.id == bindparam("id"), users.c.active.is_(True)))


class UserAccounts:
    def __init__(self, db: Engine):
        self.db = db

    def account(self, username: str) -> dict[str, Any] | None:
        """The ``sf_user`` row of ``username`` (active or not), or None."""
        with read_connection(self.db) as conn:
            row = conn.execute(_ACCOUNT, {"username": username}).mappings().first()
        return dict(row) if row is not None else None

    def password_matches(self, username: str, password: str) -> bool:
        """Whether an active user of this name has this password."""
        with read_connection(self.db) as conn:
            return check_password(conn, username, password)

    def is_active(self, username: str) -> bool:
        with read_connection(self.db) as conn:
            return bool(conn.execute(_ACTIVE, {"username": username}).scalar())

    def session_generation(self, username: str) -> int | None:
        """The session generation of an active user (sessions and tokens of another are ended),
        or None when the user is gone or inactive."""
        with read_connection(self.db) as conn:
            return conn.execute(_GENERATION, {"username": username}).scalar()

    def end_sessions(self, username: str) -> int | None:
        """Log ``username`` out everywhere (their logout): the next generation, or None."""
        users = st.users
        with write_transaction(self.db) as conn:
            conn.execute(users.update().where(users.c.username == username)
                         .values(session_generation=users.c.session_generation + 1))
            return conn.execute(select(users.c.session_generation).where(users.c.username == username)).scalar()

    def session_generation_of_mirror(self, mirror: Table, user_id: int) -> int | None:
        """:meth:`session_generation` of the user whose mirror row is ``user_id`` (a token's subject)."""
        with read_connection(self.db) as conn:
            return conn.execute(_generation_by_mirror_id(mirror), {"id": user_id}).scalar()

    def username_of_mirror(self, mirror: Table, user_id: int) -> str | None:
        """The username of the mirror row ``user_id`` (a login token's subject), or None."""
        with read_connection(self.db) as conn:
            return conn.execute(_username_by_id(mirror), {"id": user_id}).scalar()
