"""The login throttle's decision: given the recent failed logins of an account or an address and
the time now, may another attempt be checked, and if not, how long to wait.

Pure: the failures are stored elsewhere (``sf_login_failure``, shared by every web process) and
passed in. The first ``free_attempts`` failures cost nothing; each further failure doubles the wait
before the next attempt (``base_delay`` seconds, then 2x, 4x, ...); ``lock_after`` failures within
``lock_seconds`` lock the subject until ``lock_seconds`` after the last of them. A refused attempt
is not checked, so it is not a failure and does not extend the wait. Pass the failures of the
last ``policy.lookback``.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    """Limits for one kind of subject (an account, or a client address)."""

    free_attempts: int = 3
    lock_after: int = 10
    base_delay: float = 1.0
    lock_seconds: float = 900.0

    def __post_init__(self) -> None:
        if not 0 <= self.free_attempts <= self.lock_after or self.lock_after < 1:
            raise ValueError(f"need 0 <= free_attempts ({self.free_attempts}) <= lock_after ({self.lock_after}), "
                             "and lock_after >= 1")
        if self.base_delay < 0 or self.lock_seconds <= 0:
            raise ValueError("base_delay must be >= 0 and lock_seconds > 0")

    @property
    def window(self) -> dt.timedelta:
        """How far back from the last failure the earlier ones count."""
        return dt.timedelta(seconds=self.lock_seconds)

    @property
    def lookback(self) -> dt.timedelta:
        """How old the failures :func:`decide` needs can be: a window before a recent last one."""
        return 2 * self.window


@dataclass(frozen=True)
class ThrottleDecision:
    """``allowed``, or refused for ``retry_after`` whole seconds (``locked`` when it is the lock)."""

    allowed: bool
    retry_after: int = 0
    locked: bool = False
    failures: int = 0


ALLOWED = ThrottleDecision(True)


def decide(failures: Iterable[dt.datetime], now: dt.datetime, policy: ThrottlePolicy) -> ThrottleDecision:
    """May an attempt be checked at ``now``, after these failed logins of one subject?"""
    past = sorted(failures)
    if not past or past[-1] <= now - policy.window:
        return ALLOWED
    # The count that matters is the one the last failure made: a lock started then must last its
    # full time even while its first failures age out.
    last = past[-1]
    count = sum(1 for at in past if at > last - policy.window)
    if count >= policy.lock_after:
        until = last + policy.window
        locked = True
    elif count >= policy.free_attempts and policy.base_delay > 0:
        delay = policy.base_delay * 2 ** (count - policy.free_attempts)
        until = last + min(dt.timedelta(seconds=delay), policy.window)
        locked = False
    else:
        return ThrottleDecision(True, failures=count)
    if now >= until:
        return ThrottleDecision(True, failures=count)
    wait = math.ceil((until - now).total_seconds())
    return ThrottleDecision(False, retry_after=max(wait, 1), locked=locked, failures=count)


def strictest(*decisions: ThrottleDecision) -> ThrottleDecision:
    """The refusal that waits longest (a lock before a delay), or allowed when none refuses."""
    refused = [d for d in decisions if not d.allowed]
    if not refused:
        return ALLOWED
    return max(refused, key=lambda d: (d.locked, d.retry_after))
