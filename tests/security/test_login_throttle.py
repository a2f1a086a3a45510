"""The login throttle's pure decision (issue 22, item 2): free attempts, growing waits, a lock."""
from __future__ import annotations

import datetime as dt

import pytest

from stageflow.security.login_throttle import ALLOWED, ThrottleDecision, ThrottlePolicy, decide, strictest

T0 = dt.datetime(2026, 1, 5, 9, 0, 0)
POLICY = ThrottlePolicy(free_attempts=2, lock_after=5, base_delay=1.0, lock_seconds=60)


def _failures(*seconds: float) -> list[dt.datetime]:
    return [T0 + dt.timedelta(seconds=s) for s in seconds]


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_no_failures_and_the_free_attempts_cost_nothing():
    assert decide([], T0, POLICY) == ALLOWED
    assert decide(_failures(0), _at(0), POLICY).allowed
    assert decide(_failures(0, 0), _at(0), POLICY) == ThrottleDecision(False, retry_after=1, failures=2)


def test_each_failure_after_the_free_ones_doubles_the_wait():
    waits = [decide(_failures(*[0] * n), _at(0), POLICY).retry_after for n in (2, 3, 4)]
    assert waits == [1, 2, 4]
    # The wait runs from the last failure and ends on time.
    assert decide(_failures(0, 0, 10), _at(11.5), POLICY) == ThrottleDecision(False, retry_after=1, failures=3)
    assert decide(_failures(0, 0, 10), _at(12), POLICY).allowed


def test_lock_after_failures_refuses_until_the_lock_ends():
    locked = decide(_failures(0, 1, 2, 3, 4), _at(5), POLICY)
    assert locked == ThrottleDecision(False, retry_after=59, locked=True, failures=5)
    assert not decide(_failures(0, 1, 2, 3, 4), _at(63.5), POLICY).allowed
    # A lock lasts lock_seconds after the last failure; then every failure has aged out.
    assert decide(_failures(0, 1, 2, 3, 4), _at(64), POLICY) == ALLOWED


def test_failures_older_than_the_period_do_not_count():
    assert decide(_failures(0, 0, 0, 0), _at(61), POLICY) == ALLOWED


def test_a_wait_is_never_longer_than_the_lock():
    policy = ThrottlePolicy(free_attempts=0, lock_after=40, base_delay=1.0, lock_seconds=60)
    assert decide(_failures(*[0] * 30), _at(0), policy).retry_after == 60


def test_strictest_prefers_a_lock_then_the_longest_wait():
    wait = ThrottleDecision(False, retry_after=30)
    lock = ThrottleDecision(False, retry_after=5, locked=True)
    assert strictest(ALLOWED, wait, lock) is lock
    assert strictest(ALLOWED, ThrottleDecision(False, retry_after=3), wait) is wait
    assert strictest(ALLOWED, ThrottleDecision(True, failures=2)) == ALLOWED


@pytest.mark.parametrize("bad", [dict(free_attempts=6, lock_after=5), dict(lock_after=0, free_attempts=0),
                                 dict(base_delay=-1), dict(lock_seconds=0)])
def test_a_policy_that_makes_no_sense_is_refused(bad):
    with pytest.raises(ValueError):
        ThrottlePolicy(**bad)
