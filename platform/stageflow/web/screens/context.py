"""What every screen of an entity needs, resolved once per request.

Screens are generic routes (``/<app>/<entity>/...``): the app and entity are looked up in the
catalog on each request, so apps installed while the server runs show up without a restart.
Who may see what is decided by the RecordService and the entity policy, never here: this
module only turns "not logged in" into the login page and "unknown or unreadable" into a 404.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, redirect, request, url_for
from flask_appbuilder import AppBuilder

from ...core.specs import AppSpec, EntitySpec, FieldSpec, Right, label_text
from ...data.catalog import UnknownEntity
from ...security import Actor
from ..extension import current_actor_or_none, stageflow_engine
from ..language import labels_locale


class LoginRequired(Exception):
    """Raised by :func:`screen_context` when the browser has no session; answered by a redirect."""


@dataclass(frozen=True)
class ScreenContext:
    """The actor, the app and entity specs, and the actor's rights on the entity."""

    actor: Actor
    app: AppSpec
    entity: EntitySpec
    rights: frozenset[Right]
    locale: str

    @property
    def app_name(self) -> str:
        return self.app.name

    @property
    def entity_name(self) -> str:
        return self.entity.name

    def can(self, right: Right) -> bool:
        return right in self.rights

    def label(self, label, default: str = "") -> str:
        return label_text(label, self.locale, fallback=self.app.default_locale, default=default)

    @property
    def entity_label(self) -> str:
        return self.label(self.entity.label, self.entity.name)

    @property
    def entity_label_plural(self) -> str:
        return self.label(self.entity.label_plural or self.entity.label, self.entity.name)

    def field_label(self, field: FieldSpec) -> str:
        return self.label(field.label, field.name)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.entity.fields if f.name == name), None)


def current_locale(app: AppSpec) -> str:
    """The language of labels: the one the user picked in the navbar when the app has labels in
    it, else the app's default locale (each label still falls back on its own)."""
    return labels_locale(app)


def screen_context(app: str, entity: str) -> ScreenContext:
    actor = current_actor_or_none()
    if actor is None:
        raise LoginRequired()
    engine = stageflow_engine()
    if app not in engine.catalog.names():
        abort(404, description=f"there is no app {app!r}")
    try:
        ctx = engine.catalog.context(app, entity)
    except UnknownEntity:
        abort(404, description=f"app {app!r} has no entity {entity!r}")
    rights = frozenset(ctx.policy(actor).rights)
    if Right.READ not in rights:
        abort(404, description=f"app {app!r} has no entity {entity!r}")
    spec = engine.catalog.get(app).spec
    return ScreenContext(actor, spec, ctx.entity, rights, current_locale(spec))


def login_redirect(appbuilder: AppBuilder):
    login = appbuilder.sm.auth_view.endpoint + ".login"
    return redirect(url_for(login, next=request.full_path.rstrip("?")))
