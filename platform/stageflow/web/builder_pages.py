"""The builder's pages under ``/builder/``: the app list and one app's workspace.

Thin glue: the pages need a login and the right to configure (platform administrators, the
app's ``"admin": true`` roles); everything they show and change goes through the metadata API
from the browser. Templates and scripts live in the ``builder_ui`` folder.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from ..builder_ui import STATIC_DIR, TEMPLATES_DIR
from ..security.permissions import may_configure
from .extension import current_actor_or_none, stageflow_engine
from .screens.context import login_redirect

BUILDER_URL_PREFIX = "/builder"


def create_builder_blueprint() -> Blueprint:
    blueprint = Blueprint("stageflow_builder", __name__, url_prefix=BUILDER_URL_PREFIX,
                          template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR),
                          static_url_path="/static")

    @blueprint.get("/")
    def index():
        actor = current_actor_or_none()
        if actor is None:
            return login_redirect(current_app.appbuilder)
        return render_template("builder/index.html", base_template=current_app.appbuilder.base_template,
                               appbuilder=current_app.appbuilder, may_create=actor.unrestricted)

    @blueprint.get("/<app>")
    def workspace(app: str):
        actor = current_actor_or_none()
        if actor is None:
            return login_redirect(current_app.appbuilder)
        engine = stageflow_engine()
        if app in engine.catalog.names():
            if not may_configure(actor, engine.catalog.get(app).spec):
                abort(403)
        elif not actor.unrestricted:
            abort(404)
        return render_template("builder/app.html", base_template=current_app.appbuilder.base_template,
                               appbuilder=current_app.appbuilder, builder_app=app)

    return blueprint
