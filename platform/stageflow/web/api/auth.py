"""Who calls the API: a bearer JWT from ``POST /api/v1/security/login``, or the browser session.

A bearer token wins when present; an invalid or expired one is a 401, never a fallback to the
session. Session (cookie) calls that change something must carry the CSRF token in the
``X-CSRFToken`` header, as forms do, so another site cannot make a logged-in browser write.
"""
from __future__ import annotations

from functools import lru_cache

from flask import current_app, g, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_wtf.csrf import CSRFError
from jwt import PyJWTError
from sqlalchemy import bindparam, select

from ...security import Actor, UnknownUser
from ...storage.database import read_connection
from ..security import session_username, stageflow_engine
from .errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@lru_cache(maxsize=8)
def _username_by_id(user_table):
    """Built once per user table: this runs on every API request."""
    return select(user_table.c.username).where(user_table.c.id == bindparam("id"))


def _bearer_username(header: str) -> str:
    """The username of a valid access token (its subject is the ``ab_user`` id FAB issued it for).

    The token is decoded without FAB's ORM user loader: one Core lookup of the username, and
    ``load_actor`` then refuses users whose ``sf_user`` is gone or inactive.
    """
    try:
        claims = decode_token(header[7:].strip())
    except (JWTExtendedException, PyJWTError) as exc:
        raise ApiError(401, f"the access token is not valid: {exc}") from None
    if claims.get("type") != "access":
        raise ApiError(401, "use the access token here, not the refresh token")
    user_table = current_app.appbuilder.sm.user_model.__table__
    subject = str(claims.get("sub", ""))
    username = None
    if subject.isdigit() and len(subject) < 19:
        with read_connection(stageflow_engine().db) as conn:
            username = conn.execute(_username_by_id(user_table), {"id": int(subject)}).scalar()
    if not username:
        raise ApiError(401, "the access token's user does not exist")
    return username


def _session_username() -> str | None:
    username = session_username()
    if username and request.method not in SAFE_METHODS:
        csrf = current_app.extensions.get("csrf")
        if csrf is not None:
            try:
                csrf.protect()
            except CSRFError as exc:
                reason = exc.description.rstrip(".")
                raise ApiError(400, f"CSRF check failed ({reason}); send the X-CSRFToken header") from None
    return username


def current_actor() -> Actor:
    """The acting user of this API request (cached on ``g``), or a 401."""
    actor = g.get("stageflow_api_actor")
    if actor is not None:
        return actor
    header = request.headers.get("Authorization", "")
    if header:
        if not header.lower().startswith("bearer "):
            raise ApiError(401, "use 'Authorization: Bearer <access token>'")
        username = _bearer_username(header)
    else:
        username = _session_username()
    if not username:
        raise ApiError(401, "login required: POST /api/v1/security/login, then send "
                            "'Authorization: Bearer <access_token>'")
    try:
        actor = stageflow_engine().actor(username)
    except UnknownUser:
        raise ApiError(401, f"user {username!r} does not exist or is not active") from None
    g.stageflow_api_actor = actor
    return actor
