"""Failed logins as the login throttle reads them: ``sf_login_failure`` rows per account and per
client address, in the platform database so every web process sees the same counts.

The database rather than Redis: Redis is optional (only the Celery broker uses it) and an embedded
SQLite install has none, while every install has its database. A write also prunes failures older
than the throttle's period, so the table holds only the failures that still count.
"""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Engine, bindparam, select

from ..storage import platform_tables as st
from ..storage.database import read_connection, write_transaction

_FAILED_AT = select(st.login_failures.c.failed_at).where(
    st.login_failures.c.scope == bindparam("scope"), st.login_failures.c.subject == bindparam("subject"),
    st.login_failures.c.failed_at > bindparam("since"))


class LoginScope(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


class LoginFailures:
    def __init__(self, db: Engine):
        self.db = db

    def since(self, scope: LoginScope, subject: str, since: dt.datetime) -> list[dt.datetime]:
        """When ``subject`` failed to log in after ``since``, oldest first."""
        with read_connection(self.db) as conn:
            rows = conn.execute(_FAILED_AT, {"scope": str(scope), "subject": subject, "since": since})
            return sorted(rows.scalars())

    def record(self, subjects: dict[LoginScope, str], at: dt.datetime, keep_since: dt.datetime) -> None:
        """One failed login at ``at`` for each scope's subject; failures before ``keep_since`` go."""
        table = st.login_failures
        with write_transaction(self.db) as conn:
            conn.execute(table.delete().where(table.c.failed_at <= keep_since))
            conn.execute(table.insert(), [{"scope": str(scope), "subject": subject, "failed_at": at}
                                          for scope, subject in subjects.items()])

    def clear(self, scope: LoginScope, subject: str) -> None:
        """Forget the failures of ``subject`` (an account after a successful login)."""
        table = st.login_failures
        with write_transaction(self.db) as conn:
            conn.execute(table.delete().where(table.c.scope == str(scope), table.c.subject == subject))
