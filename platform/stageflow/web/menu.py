"""The menu of apps and entities, built per request from the catalog for the current user.

Apps are loaded while the server runs, so the menu cannot be registered with Flask-AppBuilder
once at start: :class:`StageflowMenu` appends the user's apps to FAB's static entries (the
Security screens for administrators) every time the navbar asks for the list.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g
from flask_appbuilder.menu import Menu, MenuItem
from flask_babel import gettext
from markupsafe import Markup, escape

from ..core.specs import Right, label_text
from ..runtime import Stageflow
from ..security import Actor
from ..security.permissions import may_configure
from .extension import current_actor_or_none, stageflow_engine
from .language import labels_locale
from .security import DYNAMIC_MENU_PREFIX


def entity_url(app: str, entity: str) -> str:
    """Where the list screen of an entity lives (the generic screen routes)."""
    return f"/{app}/{entity}/"


@dataclass
class EntityEntry:
    name: str
    label: str
    url: str
    rights: frozenset[str]
    is_handbook: bool


@dataclass
class AppEntry:
    name: str
    label: str
    version: str
    revision: int
    entities: list[EntityEntry] = field(default_factory=list)


def build_menu(engine: Stageflow, actor: Actor) -> list[AppEntry]:
    """The apps the actor works in and the entities it may read, labels in the language the
    user picked when the app has it, else in the app's default locale."""
    result = []
    for name in engine.catalog.names():
        loaded = engine.catalog.get(name)
        spec = loaded.spec
        if not (actor.unrestricted or actor.roles_in(name)):
            continue
        locale = labels_locale(spec)
        entry = AppEntry(name, label_text(spec.label, locale, spec.default_locale, name), spec.version,
                         loaded.revision)
        for entity in spec.entities.values():
            rights = engine.catalog.context(name, entity.name).policy(actor).rights
            if Right.READ not in rights:
                continue
            entry.entities.append(EntityEntry(
                entity.name, label_text(entity.label_plural or entity.label, locale, spec.default_locale, entity.name),
                entity_url(name, entity.name), frozenset(r.value for r in rights), entity.is_handbook))
        if entry.entities:
            result.append(entry)
    return result


def current_menu() -> list[AppEntry]:
    if "stageflow_menu" not in g:
        actor = current_actor_or_none()
        g.stageflow_menu = build_menu(stageflow_engine(), actor) if actor else []
    return g.stageflow_menu


def menu_label(text: str) -> Markup:
    """A label for FAB's navbar, which renders ``{{ _(item.label) }}``: Jinja's new-style
    gettext marks the result safe and applies ``%`` formatting, so metadata labels are escaped
    here and their percent signs doubled (an app label ``<script>`` or ``100%`` stays text)."""
    return escape(text).replace("%", "%%")


class StageflowMenu(Menu):
    """FAB's menu plus one dropdown per app of the current user, rebuilt per request."""

    def get_list(self):
        items = []
        for app in current_menu():
            children = [MenuItem(f"{DYNAMIC_MENU_PREFIX}{app.name}.{e.name}", href=e.url, label=menu_label(e.label))
                        for e in app.entities if not e.is_handbook]
            handbooks = [MenuItem(f"{DYNAMIC_MENU_PREFIX}{app.name}.{e.name}", href=e.url, label=menu_label(e.label))
                         for e in app.entities if e.is_handbook]
            if handbooks:
                children += [MenuItem("-"), *handbooks]
            items.append(MenuItem(f"{DYNAMIC_MENU_PREFIX}{app.name}", label=menu_label(app.label), childs=children))
        actor = current_actor_or_none()
        if actor is not None:
            items.append(inbox_entry(actor))
            if may_build(stageflow_engine(), actor):
                items.append(MenuItem(f"{DYNAMIC_MENU_PREFIX}~builder", href="/builder/",
                                      label=menu_label(gettext("Builder")), icon="fa-wrench"))
        return items + list(self.menu)


def may_build(engine: Stageflow, actor: Actor) -> bool:
    """Whether the builder is for this user: platform administrators, and users who may
    configure an installed app (its ``"admin": true`` roles)."""
    return actor.unrestricted or any(may_configure(actor, engine.catalog.get(name).spec)
                                     for name in engine.catalog.names() if actor.roles_in(name))


def inbox_entry(actor: Actor) -> MenuItem:
    """The notification inbox with a badge of unread ones (one indexed count per page)."""
    unread = stageflow_engine().inbox.unread_count(actor)
    text = menu_label(gettext("Inbox"))
    label = Markup('{} <span class="badge sf-inbox-badge">{}</span>').format(text, unread) if unread else text
    return MenuItem(f"{DYNAMIC_MENU_PREFIX}~inbox", href="/inbox/", label=label, icon="fa-bell")
