"""Login sessions and tokens that a logout really ends, and the session cookie's settings.

Each ``sf_user`` row carries a session generation. A login writes the current generation into
the (signed) session cookie and into every JWT issued (the ``sf_gen`` claim); the session's user
is loaded, and a token accepted, only while it still matches. A logout bumps the generation, so
every session cookie and every access and refresh token issued to that user before it is refused
from then on, in every web process, with no list of revoked tokens to keep.

Settings (Flask config keys from ``create_app(config=...)``, else environment variables of the same name):

- ``STAGEFLOW_SESSION_LIFETIME_MINUTES`` (480): how long a session lasts after its last request
  (``PERMANENT_SESSION_LIFETIME``; the signed cookie is refused after it even if kept);
- ``STAGEFLOW_BASE_URL`` (environment ``STAGEFLOW_BASE_URL``): where users reach the platform;
- ``STAGEFLOW_SECURE_COOKIES`` (on when the base URL is https): session and remember cookies
  only over HTTPS. Cookies are always HttpOnly and SameSite=Lax.
"""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask, current_app, session
from flask_jwt_extended import JWTManager
from flask_jwt_extended.default_callbacks import default_decode_key_callback
from flask_jwt_extended.exceptions import JWTExtendedException, RevokedTokenError

from .extension import stageflow_engine

GENERATION_KEY = "_sf_generation"
GENERATION_CLAIM = "sf_gen"
DEFAULT_SESSION_MINUTES = 480


def configure_session_cookies(app: Flask) -> None:
    """Cookie flags and the session lifetime from the Stageflow settings (after overrides)."""
    config = app.config
    base_url = config.get("STAGEFLOW_BASE_URL") or os.environ.get("STAGEFLOW_BASE_URL", "")
    config["STAGEFLOW_BASE_URL"] = base_url
    secure = config.get("STAGEFLOW_SECURE_COOKIES")
    if secure is None and os.environ.get("STAGEFLOW_SECURE_COOKIES"):
        secure = os.environ["STAGEFLOW_SECURE_COOKIES"].strip().lower() in {"1", "true", "yes", "on"}
    if secure is None:
        secure = base_url.lower().startswith("https://")
    minutes = config.get("STAGEFLOW_SESSION_LIFETIME_MINUTES",
                         os.environ.get("STAGEFLOW_SESSION_LIFETIME_MINUTES") or DEFAULT_SESSION_MINUTES)
    if isinstance(minutes, str) and minutes.strip().isdigit():
        minutes = int(minutes)
    if not isinstance(minutes, int | float) or minutes <= 0:
        raise ValueError(f"STAGEFLOW_SESSION_LIFETIME_MINUTES must be a positive number, not {minutes!r}")
    config.update(
        STAGEFLOW_SECURE_COOKIES=bool(secure),
        SESSION_COOKIE_SECURE=bool(secure), REMEMBER_COOKIE_SECURE=bool(secure),
        SESSION_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=minutes),
    )


def start_session(username: str) -> None:
    """After a form login: the session lasts the configured lifetime and holds the generation."""
    session.permanent = True
    session[GENERATION_KEY] = stageflow_engine().accounts.session_generation(username)


def session_is_current(username: str) -> bool:
    """Whether this session cookie belongs to the user's current generation (and they are active)."""
    current = stageflow_engine().accounts.session_generation(username)
    return current is not None and session.get(GENERATION_KEY) == current


def end_sessions(username: str) -> None:
    """The logout: this user's sessions and tokens, everywhere, end now."""
    stageflow_engine().accounts.end_sessions(username)
    session.pop(GENERATION_KEY, None)


class TokenSessionEnded(RevokedTokenError):
    """A token issued before its user's last logout (or to a user now inactive or gone)."""

    def __init__(self, jwt_header: dict, jwt_data: dict) -> None:
        JWTExtendedException.__init__(self, "its session has ended (logged out since it was issued)")
        self.jwt_header, self.jwt_data = jwt_header, jwt_data


def bind_tokens_to_sessions(jwt_manager: JWTManager) -> None:
    """Every JWT carries its user's generation; decoding one of another generation fails."""

    @jwt_manager.additional_claims_loader
    def generation_claim(identity) -> dict:
        return {GENERATION_CLAIM: _generation_of_mirror(identity)}

    @jwt_manager.decode_key_loader
    def key_of_current_tokens(jwt_header: dict, jwt_data: dict) -> str:
        # The claim is read before the signature is checked, but a forged one fails that check.
        claimed = jwt_data.get(GENERATION_CLAIM)
        if claimed is None or claimed != _generation_of_mirror(jwt_data.get("sub")):
            raise TokenSessionEnded(jwt_header, jwt_data)
        return default_decode_key_callback(jwt_header, jwt_data)


def _generation_of_mirror(identity) -> int | None:
    subject = str(identity or "")
    if not subject.isdigit() or len(subject) >= 19:
        return None
    mirror = current_app.appbuilder.sm.user_model.__table__
    return stageflow_engine().accounts.session_generation_of_mirror(mirror, int(subject))
