"""Redis keys of one test session: its prefix, and deleting keys by prefix (never ``FLUSHDB``).

The test Redis database is shared with other runs (two at once, or one after a crash), so a
session writes only under ``SESSION_REDIS_PREFIX`` and deletes only what is under it.
"""
from __future__ import annotations

import secrets

SESSION_REDIS_PREFIX = f"sf_test_{secrets.token_hex(6)}:"
_BATCH = 500


def delete_keys(client, prefix: str) -> int:
    """Delete the keys under ``prefix``; the number deleted."""
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{prefix}*", count=_BATCH):
        batch.append(key)
        if len(batch) >= _BATCH:
            deleted += client.unlink(*batch)
            batch.clear()
    if batch:
        deleted += client.unlink(*batch)
    return deleted
