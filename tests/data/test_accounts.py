"""The login's view of accounts: the sf_user row, the password, the active flag, a token's user."""
from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

from stageflow.security.users import set_admin
from stageflow.storage import platform_tables as st
from stageflow.storage.database import write_transaction


def test_account_password_and_active_flag(sf):
    with write_transaction(sf.db) as conn:
        set_admin(conn, "root", "a long password")
    assert sf.accounts.account("root")["is_admin"] is True
    assert sf.accounts.account("nobody") is None
    assert sf.accounts.password_matches("root", "a long password")
    assert not sf.accounts.password_matches("root", "wrong") and not sf.accounts.password_matches("nobody", "x")
    assert sf.accounts.is_active("root") and not sf.accounts.is_active("nobody")
    with write_transaction(sf.db) as conn:
        conn.execute(st.users.update().where(st.users.c.username == "root").values(active=False))
    assert not sf.accounts.is_active("root") and not sf.accounts.password_matches("root", "a long password")
    assert sf.accounts.account("root")["active"] is False


def test_the_username_of_a_mirror_row(sf):
    mirror = Table("test_mirror_user", MetaData(), Column("id", Integer, primary_key=True),
                   Column("username", String(150)))
    with write_transaction(sf.db) as conn:
        mirror.create(conn)
        conn.execute(mirror.insert(), [{"id": 7, "username": "anna"}])
    assert sf.accounts.username_of_mirror(mirror, 7) == "anna"
    assert sf.accounts.username_of_mirror(mirror, 8) is None
