"""The users and departments an app offers in pickers, for people who work in the app."""
from __future__ import annotations

import pytest

from stageflow.security import AccessDenied
from stageflow.storage import platform_tables as st
from stageflow.storage.database import write_transaction


def test_an_apps_active_users_and_its_departments(sf):
    anna = sf.actor("anna")
    assert sf.org.users(anna, "mini") == [("anna", "Anna Head"), ("boss", "Big Boss"),
                                          ("boris", "Boris Seller"), ("carl", "Carl Support")]
    with write_transaction(sf.db) as conn:
        conn.execute(st.users.update().where(st.users.c.username == "carl").values(active=False))
    assert "carl" not in dict(sf.org.users(anna, "mini"))
    assert sf.org.departments(anna, "mini") == [("head_office", "Head office"), ("sales", "Sales"),
                                                ("support", "Support")]


def test_someone_outside_the_app_is_refused(sf):
    with write_transaction(sf.db) as conn:
        conn.execute(st.users.insert(), {"username": "olga", "full_name": "Olga Outside", "active": True,
                                         "is_admin": False, "created_at": sf.clock()})
    olga = sf.actor("olga")
    with pytest.raises(AccessDenied):
        sf.org.users(olga, "mini")
    with pytest.raises(AccessDenied):
        sf.org.departments(olga, "mini")
    assert sf.org.departments(sf.system, "mini")[0][0] == "head_office"  # the engine works everywhere
