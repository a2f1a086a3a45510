"""The Flask application factory on Flask-AppBuilder.

FAB provides the database login (form and ``POST /api/v1/security/login`` JWT), the session,
its user and role screens and the page layout; its tables (``ab_*``) live in the same
database as Stageflow's, on the same engine. Stageflow's ``sf_user`` stays the identity
(see :mod:`stageflow.web.security`). Records are served by generic routes that look the app
and entity up per request (the REST API under ``/api/v1``; the screens under
``/<app>/<entity>/``), because Flask refuses new routes once it has served a request and apps
are installed while the server runs.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_wtf.csrf import CSRFProtect

from ..data.files import MAX_FILE_SIZE
from ..runtime import Stageflow
from .api import create_api_blueprint
from .builder_pages import create_builder_blueprint
from .extension import StageflowWeb
from .health import register_health
from .language import DEFAULT_LOCALE, LANGUAGES, TRANSLATIONS_DIR, install_locale_selector
from .login_guard import configure_login_throttle
from .menu import StageflowMenu, current_menu
from .pages import StageflowIndexView
from .screens import create_screens_blueprint
from .security import StageflowSecurityManager
from .security_headers import install_security_headers
from .sessions import configure_session_cookies

SECRET_KEY_VARIABLE = "STAGEFLOW_SECRET_KEY"
# The largest request body: one file at the storage limit plus room for the multipart framing
# and form fields. Werkzeug refuses a bigger body with 413 before reading it.
MAX_REQUEST_SIZE = MAX_FILE_SIZE + 1024 * 1024


def _sqla_on(engine: Stageflow):
    """Flask-SQLAlchemy (FAB's flavour) bound to the engine's own database connection pool."""
    base = get_sqla_class()

    class StageflowSQLA(base):
        def _make_engine(self, bind_key, options, app):
            return engine.db if bind_key is None else super()._make_engine(bind_key, options, app)

    return StageflowSQLA()


def _config(app: Flask, engine: Stageflow, secret_key: str | None) -> None:
    secret = secret_key or os.environ.get(SECRET_KEY_VARIABLE) or secrets.token_hex(32)
    app.config.update(
        SECRET_KEY=secret,
        SQLALCHEMY_DATABASE_URI=engine.db.url.render_as_string(hide_password=False),
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        APP_NAME="Stageflow",
        AUTH_TYPE=1,  # flask_appbuilder.const.AUTH_DB
        AUTH_ROLE_ADMIN="Admin",
        AUTH_ROLE_PUBLIC="Public",
        AUTH_USER_REGISTRATION=False,
        AUTH_USERNAME_CI=False,  # sf_user usernames are case-sensitive; the mirror must match exactly
        FAB_ADD_SECURITY_API=False,
        FAB_API_SWAGGER_UI=False,
        FAB_UPDATE_PERMS=True,
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=None,
        JWT_ACCESS_TOKEN_EXPIRES=dt.timedelta(hours=8),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_REQUEST_SIZE,
        # English and Russian: FAB shows its language picker and prepends its own catalog.
        LANGUAGES=LANGUAGES,
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
    )


def create_app(engine: Stageflow, secret_key: str | None = None, config: dict | None = None) -> Flask:
    """The web application serving ``engine``: login, start page, REST API, health.

    The session secret comes from ``secret_key``, else ``STAGEFLOW_SECRET_KEY``, else a random
    one (sessions and tokens then end with the process). ``config`` overrides Flask settings.
    """
    app = Flask("stageflow")
    _config(app, engine, secret_key)
    app.config.update(config or {})
    configure_session_cookies(app)
    configure_login_throttle(app)
    app.json.sort_keys = False
    install_security_headers(app)
    # The engine, the request's connection scope and caller: before anything else reads.
    StageflowWeb(engine).init_app(app)
    # Before FAB: its API views exempt themselves from CSRF only when the extension exists.
    CSRFProtect(app)
    db = _sqla_on(engine)
    with app.app_context():
        db.init_app(app)
        appbuilder = AppBuilder(indexview=StageflowIndexView, menu=StageflowMenu(),
                                security_manager_class=StageflowSecurityManager)
        appbuilder.init_app(app, db.session)
    install_locale_selector(app)
    api = create_api_blueprint(app)
    app.extensions["csrf"].exempt(api)  # token or session callers are checked in extension.py
    app.register_blueprint(api)
    app.register_blueprint(create_screens_blueprint())
    app.register_blueprint(create_builder_blueprint())

    @app.context_processor
    def stageflow_context():
        return {"stageflow_menu": current_menu}

    register_health(app)
    return app
