"""Platform users: creating administrators and checking passwords."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..storage import platform_tables as st

MIN_PASSWORD = 8


def set_admin(conn: Connection, username: str, password: str, email: str | None = None,
              full_name: str | None = None) -> bool:
    """Create the administrator, or reset its password; True when the user is new."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    password_hash = generate_password_hash(password)
    found = conn.execute(select(st.users.c.id).where(st.users.c.username == username)).scalar()
    if found is None:
        conn.execute(st.users.insert().values(
            username=username, full_name=full_name or username, email=email, active=True, is_admin=True,
            password_hash=password_hash, created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        return True
    conn.execute(st.users.update().where(st.users.c.id == found)
                 .values(is_admin=True, active=True, password_hash=password_hash,
                         **({"email": email} if email else {})))
    return False


def check_password(conn: Connection, username: str, password: str) -> bool:
    stored = conn.execute(select(st.users.c.password_hash).where(
        st.users.c.username == username, st.users.c.active.is_(True))).scalar()
    return bool(stored) and check_password_hash(stored, password)
