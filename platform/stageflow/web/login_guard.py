"""The login throttle of the web app: the form login and ``POST /api/v1/security/login`` alike.

Before a password is checked, the recent failures of the account and of the client's address
(across accounts) decide whether it may be (:mod:`stageflow.security.login_throttle`); a wrong
password is recorded for both, and a lock it starts is logged; a right one clears the account's
failures (not the address's: logging into one's own account must not reset a guessing run).
Unknown usernames count like known ones, so the throttle does not tell which accounts exist.

Settings (Flask config keys, else environment variables of the same name; defaults in :data:`DEFAULTS`):

- ``STAGEFLOW_LOGIN_FREE_ATTEMPTS``: failures of an account before each next attempt waits;
- ``STAGEFLOW_LOGIN_DELAY_SECONDS``: the first wait, doubled by each further failure;
- ``STAGEFLOW_LOGIN_LOCK_AFTER``: failures of an account that lock it;
- ``STAGEFLOW_LOGIN_ADDRESS_LOCK_AFTER``: failures from one address that lock it (waits start at half);
- ``STAGEFLOW_LOGIN_LOCK_SECONDS``: how long failures count, and a lock lasts after the last one.

The client address is ``request.remote_addr``: behind a reverse proxy, configure Werkzeug's
``ProxyFix`` so it is the client's, not the proxy's.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from flask import Flask, current_app, request

from ..data.login_failures import LoginFailures, LoginScope
from ..security.login_throttle import ThrottleDecision, ThrottlePolicy, decide, strictest
from .extension import stageflow_engine

log = logging.getLogger(__name__)

DEFAULTS = {
    "STAGEFLOW_LOGIN_FREE_ATTEMPTS": 3,
    "STAGEFLOW_LOGIN_DELAY_SECONDS": 1.0,
    "STAGEFLOW_LOGIN_LOCK_AFTER": 10,
    "STAGEFLOW_LOGIN_ADDRESS_LOCK_AFTER": 50,
    "STAGEFLOW_LOGIN_LOCK_SECONDS": 900,
}


def configure_login_throttle(app: Flask) -> None:
    """Fill the settings from the environment where the app's config has none; check them now, so
    a bad value stops the start instead of the first login."""
    for key, default in DEFAULTS.items():
        if key not in app.config:
            raw = os.environ.get(key)
            try:
                app.config[key] = type(default)(raw) if raw not in (None, "") else default
            except ValueError:
                raise ValueError(f"{key} must be a number, not {raw!r}") from None
    try:
        throttle_policies(app.config)
    except ValueError as exc:
        settings = ", ".join(f"{key}={app.config[key]!r}" for key in DEFAULTS)
        raise ValueError(f"the login throttle settings do not fit ({settings}): {exc}") from None


def throttle_policies(config: Mapping) -> dict[LoginScope, ThrottlePolicy]:
    """The account's and the address's limits from the app's settings."""
    value = {key: config.get(key, default) for key, default in DEFAULTS.items()}
    lock_seconds = float(value["STAGEFLOW_LOGIN_LOCK_SECONDS"])
    delay = float(value["STAGEFLOW_LOGIN_DELAY_SECONDS"])
    account_lock = int(value["STAGEFLOW_LOGIN_LOCK_AFTER"])
    address_lock = int(value["STAGEFLOW_LOGIN_ADDRESS_LOCK_AFTER"])
    return {
        LoginScope.ACCOUNT: ThrottlePolicy(min(int(value["STAGEFLOW_LOGIN_FREE_ATTEMPTS"]), account_lock),
                                           account_lock, delay, lock_seconds),
        LoginScope.ADDRESS: ThrottlePolicy(address_lock // 2, address_lock, delay, lock_seconds),
    }


def client_address() -> str:
    return (request.remote_addr or "unknown")[:150]


class LoginGuard:
    """The throttle for one login attempt of ``username`` from this request's client."""

    def __init__(self, username: str):
        engine = stageflow_engine()
        self.failures = LoginFailures(engine.db)
        self.now = engine.clock()
        self.policies = throttle_policies(current_app.config)
        self.subjects = {LoginScope.ACCOUNT: username, LoginScope.ADDRESS: client_address()}
        self._before: dict[LoginScope, list] | None = None  # what check() read, for failed()

    def _recent(self, scope: LoginScope):
        return self.failures.since(scope, self.subjects[scope], self.now - self.policies[scope].lookback)

    def check(self) -> ThrottleDecision:
        """Allowed, or how long this attempt must wait (the stricter of account and address)."""
        self._before = {scope: self._recent(scope) for scope in self.policies}
        return strictest(*(decide(self._before[scope], self.now, policy) for scope, policy in self.policies.items()))

    def failed(self) -> None:
        """Record a wrong password for the account and the address; log a lock it starts."""
        before = self._before if self._before is not None else {scope: self._recent(scope) for scope in self.policies}
        keep_since = self.now - max(policy.lookback for policy in self.policies.values())
        self.failures.record(self.subjects, self.now, keep_since)
        for scope, policy in self.policies.items():
            after = decide([*before[scope], self.now], self.now, policy)
            if after.locked:
                log.warning("login locked: %s %r after %d failed logins in %d s, for %d s (last from %s)",
                            scope, self.subjects[scope], after.failures, policy.lock_seconds,
                            after.retry_after, self.subjects[LoginScope.ADDRESS])

    def succeeded(self) -> None:
        self.failures.clear(LoginScope.ACCOUNT, self.subjects[LoginScope.ACCOUNT])


def refusal_message(decision: ThrottleDecision) -> str:
    """What the login answers while refused: a lock, or a wait before the next attempt."""
    if decision.locked:
        minutes = -(-decision.retry_after // 60)
        return (f"Too many failed logins: login is locked for {minutes} minute(s); "
                f"try again in {decision.retry_after} seconds.")
    return f"Too many failed logins: wait {decision.retry_after} seconds before trying again."
