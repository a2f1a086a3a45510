"""The external services the suite needs answer: a Redis round trip under the test's own prefix.

Marked ``redis`` through the fixtures: skipped with the reason when Redis is unreachable, failed
under ``CI=true`` (see tests/conftest.py).
"""
from __future__ import annotations

from tests.redis_keys import SESSION_REDIS_PREFIX, delete_keys


def test_redis_round_trip_under_the_test_prefix(redis_client, redis_prefix):
    assert redis_prefix.startswith(SESSION_REDIS_PREFIX) and redis_prefix != SESSION_REDIS_PREFIX
    key = f"{redis_prefix}round-trip"
    assert redis_client.set(key, "готово ✓", ex=60)
    assert redis_client.get(key).decode() == "готово ✓"
    assert 0 < redis_client.ttl(key) <= 60
    assert redis_client.delete(key) == 1
    assert redis_client.get(key) is None


def test_cleanup_deletes_only_keys_under_the_prefix(redis_client, redis_prefix):
    """Another run's keys (here: a sibling prefix of this session, removed at its end) survive."""
    neighbour = f"{SESSION_REDIS_PREFIX}neighbour-{redis_prefix[-9:-1]}:kept"
    redis_client.set(neighbour, "other run", ex=60)
    try:
        redis_client.set(f"{redis_prefix}a", "1", ex=60)
        redis_client.hset(f"{redis_prefix}b", "field", "2")
        assert delete_keys(redis_client, redis_prefix) == 2
        assert redis_client.keys(f"{redis_prefix}*") == []
        assert redis_client.get(neighbour) == b"other run"
    finally:
        redis_client.delete(neighbour)
