"""Who calls the API: the request's caller as the Stageflow extension resolved it, or an error.

A bearer JWT from ``POST /api/v1/security/login`` wins when present (an invalid or expired one
is a 401, never a fallback to the session); session (cookie) calls that change something must
carry the CSRF token in the ``X-CSRFToken`` header (see :mod:`stageflow.web.extension`).
"""
from __future__ import annotations

from ...security import Actor
from ..extension import current_caller
from .errors import ApiError


def current_actor() -> Actor:
    """The acting user of this API request (resolved once per request), or a 401 (400 for a
    session call without its CSRF token)."""
    caller = current_caller()
    if caller.actor is None:
        raise ApiError(caller.status, caller.refusal)
    return caller.actor
