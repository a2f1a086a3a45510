"""Flask-AppBuilder glue: Stageflow's ``sf_user`` is the identity, FAB's ``ab_user`` its mirror.

FAB needs a user row of its own model for the login session and its JWT identity. The
password, the active flag and the administrator flag live in ``sf_user`` only: a login checks
the password there (:func:`stageflow.security.users.check_password`) and creates or updates
the ``ab_user`` row of the same username on the fly. FAB roles are coarse: "Admin" for
``sf_user.is_admin`` (FAB's own security screens), a plain role otherwise. What anyone may do
with records comes from the apps' role metadata through the RecordService, never from FAB's
permission views.

Both logins (the form and the JWT API) pass the login throttle (:mod:`stageflow.web.login_guard`):
a locked account or address gets a clear message on the form and 429 with ``Retry-After`` from
the API. A logout (the menu's GET or a POST with the CSRF token; ``POST /api/v1/security/logout``
with a bearer token) ends every session and token of the user (:mod:`stageflow.web.sessions`).
A GET logout stays for FAB's menu link: another site can at worst log a user out, nothing more.
"""
from __future__ import annotations

import logging
import secrets

from flask import Response, current_app, flash, g, redirect, request
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.api import expose, safe
from flask_appbuilder.const import API_SECURITY_PROVIDER_DB
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.views import expose as expose_view
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt_identity, jwt_required
from flask_login import login_user
from marshmallow import ValidationError
from werkzeug.security import check_password_hash

from ..security.login_throttle import ALLOWED, ThrottleDecision
from .extension import stageflow_engine
from .login_guard import LoginGuard, refusal_message
from .sessions import bind_tokens_to_sessions, end_sessions, session_is_current, start_session

log = logging.getLogger(__name__)

# The FAB role of users who are not platform administrators: no FAB permission is needed to
# work with records, so it only lets them log in and out.
USER_ROLE = "Stageflow User"
# The menu entries built per request from the catalog (see menu.py) carry this prefix; they are
# already filtered for the user, so FAB's menu permission check lets them through.
DYNAMIC_MENU_PREFIX = "stageflow:"


def _synthetic_email(username: str) -> str:
    return f"{username}@users.stageflow.invalid"


class StageflowSecurityApi(SecurityApi):
    """``POST /api/v1/security/login``: FAB's JWT login, with ``provider`` optional ("db") and the
    login throttle (429 with ``Retry-After``); ``POST /api/v1/security/logout`` ends the bearer's
    sessions and tokens; FAB's ``/refresh`` is unchanged (its tokens carry the generation too).

    FAB 5.3's own view answers 500 when ``provider`` is left out (its schema allows that, its
    code then reads the missing key); found by the schemathesis run.
    """

    @expose("/login", methods=["POST"])
    @safe
    def login(self) -> Response:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="Request payload is not a JSON object")
        try:
            login = login_post.load({"provider": API_SECURITY_PROVIDER_DB, **payload})
        except ValidationError as error:
            return self.response_400(message=error.messages)
        if login["provider"] != API_SECURITY_PROVIDER_DB:
            return self.response_400(message="only the 'db' provider is available")
        user, refusal = self.appbuilder.sm.authenticate(login["username"], login["password"])
        if not refusal.allowed:
            response = self.response(429, message=refusal_message(refusal))
            response.headers["Retry-After"] = str(refusal.retry_after)
            return response
        if not user:
            return self.response_401()
        tokens = {"access_token": create_access_token(identity=str(user.id), fresh=True)}
        if login.get("refresh", True):
            tokens["refresh_token"] = create_refresh_token(identity=str(user.id))
        return self.response(200, **tokens)

    @expose("/logout", methods=["POST"])
    @jwt_required()
    @safe
    def logout(self) -> Response:
        """End every session and token of the bearer token's user (this token included)."""
        user = self.appbuilder.sm.get_user_by_id(int(get_jwt_identity()))
        if user is not None:
            end_sessions(user.username)
        return self.response(200, message="logged out: every session and token of this user has ended")


class StageflowAuthDBView(AuthDBView):
    """FAB's form login and logout, with the login throttle's message and a logout that revokes."""

    @expose_view("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            user, refusal = self.appbuilder.sm.authenticate(form.username.data, form.password.data)
            if not user:
                message = refusal_message(refusal) if not refusal.allowed else as_unicode(self.invalid_login_message)
                flash(message, "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            login_user(user, remember=False)
            start_session(user.username)
            return redirect(next_url)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)

    @expose_view("/logout/", methods=["GET", "POST"])
    def logout(self):
        """POST (with the CSRF token, like every form) or FAB's menu link; both end the sessions."""
        return super().logout()


class StageflowSecurityManager(SecurityManager):
    """FAB's SQLAlchemy security manager with authentication delegated to ``sf_user``."""

    security_api = StageflowSecurityApi
    authdbview = StageflowAuthDBView

    def authenticate(self, username, password) -> tuple[object | None, ThrottleDecision]:
        """The FAB user of these credentials, or None and the throttle's decision (allowed when
        the credentials were checked and are wrong; refused when they were not checked)."""
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            return None, ALLOWED
        if "\x00" in username or "\x00" in password or len(username) > 150:
            return None, ALLOWED  # no such user can exist (PostgreSQL text refuses NUL)
        guard = LoginGuard(username)
        decision = guard.check()
        if not decision.allowed:
            log.info("login refused for %r: throttled for %d s", username, decision.retry_after)
            return None, decision
        accounts = stageflow_engine().accounts
        ok = accounts.password_matches(username, password)
        row = accounts.account(username)
        if not ok or row is None:
            if row is None:  # an unknown user takes as long as a wrong password
                check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], password)
            log.info("login failed for %r", username)
            guard.failed()
            return None, ALLOWED
        guard.succeeded()
        user = self.mirror_user(row)
        if user:
            self.update_user_auth_stat(user, True)
        return user, ALLOWED

    def auth_user_db(self, username, password):
        return self.authenticate(username, password)[0]

    def mirror_user(self, row: dict):
        """Create or update the ``ab_user`` row of an ``sf_user`` row; returns the FAB user."""
        role = self.find_role(self.auth_role_admin if row["is_admin"] else USER_ROLE) \
            or self.add_role(USER_ROLE)
        full_name = (row.get("full_name") or row["username"]).strip() or row["username"]
        first, _, last = full_name.partition(" ")
        email = row.get("email") or _synthetic_email(row["username"])
        user = self.find_user(username=row["username"])
        holder = self.find_user(email=email)
        if holder is not None and (user is None or holder.id != user.id):
            email = _synthetic_email(row["username"])  # ab_user.email is unique; sf_user's is not
        if user is None:
            # A random password: ab_user's hash is never used, sf_user holds the real one.
            return self.add_user(row["username"], first[:64], last[:64] or "-", email, role=role,
                                 password=secrets.token_urlsafe(32))
        user.first_name, user.last_name, user.email = first[:64], last[:64] or "-", email
        user.active = bool(row["active"])
        user.roles = [role]
        self.update_user(user)
        return user

    def load_user(self, pk):
        """The session's user, only while its ``sf_user`` is active and the session is of its
        current generation (not ended by a logout)."""
        user = super().load_user(pk)
        if user is None or not session_is_current(user.username):
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        # The token's generation was checked when it was decoded (sessions.bind_tokens_to_sessions).
        user = super().load_user(jwt_data["sub"])
        if user is not None and sf_user_active(user.username):
            g.user = user
            return user
        return None

    def on_user_logout(self, user) -> None:
        end_sessions(user.username)

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)
        bind_tokens_to_sessions(jwt_manager)
        return jwt_manager

    def has_access(self, permission_name, view_name):
        if permission_name == "menu_access" and str(view_name).startswith(DYNAMIC_MENU_PREFIX):
            return True
        return super().has_access(permission_name, view_name)

    def create_db(self) -> None:
        super().create_db()
        if current_app.config.get("FAB_CREATE_DB", True) and not self.find_role(USER_ROLE):
            self.add_role(USER_ROLE)


def sf_user_active(username: str) -> bool:
    return stageflow_engine().accounts.is_active(username)
