"""Screen preferences are kept per user: one user's value never shows for another."""
from __future__ import annotations

import pytest

from stageflow.data.user_settings import MAX_VALUE_CHARS
from stageflow.storage import platform_tables as st
from stageflow.storage.database import write_transaction

KEY = "list.columns:mini.deal"


def test_settings_are_per_user(sf):
    boris, anna = sf.actor("boris"), sf.actor("anna")
    sf.settings.write(boris, KEY, ["title", "amount"])
    assert sf.settings.read(boris, KEY) == ["title", "amount"]
    assert sf.settings.read(anna, KEY, "default") == "default"
    sf.settings.write(anna, KEY, ["stage"])
    sf.settings.write(boris, KEY, ["amount"])  # overwrites boris's only
    assert (sf.settings.read(boris, KEY), sf.settings.read(anna, KEY)) == (["amount"], ["stage"])
    sf.settings.write(boris, KEY, None)  # None removes it
    assert sf.settings.read(boris, KEY, []) == [] and sf.settings.read(anna, KEY) == ["stage"]


def test_a_broken_or_oversized_setting_never_breaks_a_screen(sf):
    boris = sf.actor("boris")
    with write_transaction(sf.db) as conn:
        conn.execute(st.user_settings.insert(), {"username": "boris", "key": KEY, "value": "{not json",
                                                 "updated_at": sf.clock()})
    assert sf.settings.read(boris, KEY, "default") == "default"
    with pytest.raises(ValueError, match="too large"):
        sf.settings.write(boris, KEY, "x" * MAX_VALUE_CHARS)
