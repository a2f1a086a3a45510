"""The Stageflow Flask extension: the engine of an app and one lifecycle for every request.

``StageflowWeb(engine).init_app(app)`` makes the engine reachable from views
(:func:`stageflow_engine`), opens the request's connection scope before anything reads (so the
request's reads share one pooled connection) and closes it when the app context ends, passing
the request's exception on to it. The caller is resolved once per request, for screens and the
API alike (:func:`current_caller`): a bearer token from ``POST /api/v1/security/login`` wins
when present (an invalid one never falls back to the session), else the browser session, whose
calls that change something must carry the CSRF token, as forms do, so another site cannot make
a logged-in browser write.
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_wtf.csrf import CSRFError
from jwt import PyJWTError

from ..runtime import Stageflow
from ..security import Actor, UnknownUser

EXTENSION_NAME = "stageflow"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_HINT = "login required: POST /api/v1/security/login, then send 'Authorization: Bearer <access_token>'"


@dataclass(frozen=True)
class Caller:
    """Who sends this request: the actor, or why there is none (``status`` and ``refusal``)."""

    actor: Actor | None
    status: int = 401
    refusal: str = LOGIN_HINT


class StageflowWeb:
    """The usual Flask extension: built with the engine, bound to apps with :meth:`init_app`."""

    def __init__(self, engine: Stageflow, app: Flask | None = None):
        self.engine = engine
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION_NAME] = self
        app.before_request(self._open_request_scope)
        app.before_request(self._refresh_catalog)
        app.teardown_appcontext(self._close_request_scope)

    def _open_request_scope(self) -> None:
        scope = ExitStack()
        scope.enter_context(self.engine.request_scope())
        g.stageflow_request_scope = scope

    def _refresh_catalog(self) -> None:
        self.engine.catalog.refresh()  # apps installed by another process show up at once

    @staticmethod
    def _close_request_scope(error: BaseException | None) -> None:
        scope = g.pop("stageflow_request_scope", None)
        if scope is None:
            return
        if error is None:
            scope.close()
        else:
            scope.__exit__(type(error), error, error.__traceback__)


def stageflow_engine() -> Stageflow:
    """The engine of the app serving this request."""
    return current_app.extensions[EXTENSION_NAME].engine


def session_username() -> str | None:
    """The username of the browser session's user, or None."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.username


def current_caller() -> Caller:
    """The caller of this request, resolved on first use and kept for the rest of it."""
    if not has_request_context():  # e.g. the menu built while the app starts: nobody calls
        return Caller(None)
    caller = g.get("stageflow_caller")
    if caller is None:
        caller = g.stageflow_caller = _resolve_caller()
    return caller


def current_actor_or_none() -> Actor | None:
    """The actor of this request, or None when nobody (valid) is logged in: for screens."""
    return current_caller().actor


def _resolve_caller() -> Caller:
    header = request.headers.get("Authorization", "")
    if header:
        if not header.lower().startswith("bearer "):
            return Caller(None, refusal="use 'Authorization: Bearer <access token>'")
        username, refusal = _bearer_username(header)
    else:
        username, refusal = _session_username()
    if refusal is not None:
        return refusal
    if not username:
        return Caller(None)
    try:
        return Caller(stageflow_engine().actor(username))
    except UnknownUser:
        return Caller(None, refusal=f"user {username!r} does not exist or is not active")


def _bearer_username(header: str) -> tuple[str | None, Caller | None]:
    """The username of a valid access token (its subject is the id of the login's mirror user).

    The token is decoded without the web framework's ORM user loader: one lookup of the
    username, and the actor's loading then refuses users whose account is gone or inactive.
    """
    try:
        claims = decode_token(header[7:].strip())
    except (JWTExtendedException, PyJWTError) as exc:
        return None, Caller(None, refusal=f"the access token is not valid: {exc}")
    if claims.get("type") != "access":
        return None, Caller(None, refusal="use the access token here, not the refresh token")
    subject = str(claims.get("sub", ""))
    username = None
    if subject.isdigit() and len(subject) < 19:
        mirror = current_app.appbuilder.sm.user_model.__table__
        username = stageflow_engine().accounts.username_of_mirror(mirror, int(subject))
    if not username:
        return None, Caller(None, refusal="the access token's user does not exist")
    return username, None


def _session_username() -> tuple[str | None, Caller | None]:
    username = session_username()
    if username and request.method not in SAFE_METHODS:
        csrf = current_app.extensions.get("csrf")
        if csrf is not None:
            try:
                csrf.protect()
            except CSRFError as exc:
                reason = exc.description.rstrip(".")
                return None, Caller(None, 400, f"CSRF check failed ({reason}); send the X-CSRFToken header")
    return username, None
