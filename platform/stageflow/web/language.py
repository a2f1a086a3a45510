"""The language of the screens: English or Russian, picked in Flask-AppBuilder's navbar.

FAB's picker (``/lang/<locale>``) keeps the pick in the session under ``locale``. Until the user
picks, the screens speak the platform default (English) and metadata labels come in each app's
own default locale, as before languages existed. FAB's own locale selector writes the default
into the session on the first page, which would turn "not picked yet" into "picked English";
:func:`picked_locale` replaces it so that the two stay apart.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_appbuilder.urltools import Stack

from ..core.specs import AppSpec

DEFAULT_LOCALE = "en"
# FAB's picker lists these (flag icons from its flags16.css); more than one shows the picker.
LANGUAGES = {"en": {"flag": "gb", "name": "English"}, "ru": {"flag": "ru", "name": "Русский"}}
# Stageflow's own catalog (messages domain); FAB puts its catalog before it, so ours wins on a clash.
TRANSLATIONS_DIR = Path(__file__).with_name("translations")
SESSION_KEY = "locale"  # where FAB's LocaleView stores the pick
QUERY_KEY = "_l_"  # FAB's per-request override, used by its API
HISTORY_KEY = "page_history"  # FAB's back history, where its language route returns to


def picked_locale() -> str | None:
    """The language the user picked (or a request's ``_l_``), None before any pick."""
    if not has_request_context():
        return None
    picked = request.args.get(QUERY_KEY) or session.get(SESSION_KEY)
    return picked if picked in current_app.config.get("LANGUAGES", {}) else None


def labels_locale(app: AppSpec) -> str:
    """The locale of ``app``'s metadata labels: the user's pick when the app speaks it (an app
    that declares no ``locales`` is taken to speak any: each label falls back on its own),
    else the app's default locale."""
    picked = picked_locale()
    if picked and (picked == app.default_locale or not app.locales or picked in app.locales):
        return picked
    return app.default_locale


def remember_page() -> None:
    """Put the page being shown on FAB's back history (as FAB's own views do), so that picking
    a language in the navbar comes back to this screen instead of the start page."""
    if request.method != "GET":
        return
    before = list(session.get(HISTORY_KEY, []))
    history = Stack(list(before))
    history.push(request.url)
    if history.to_json() != before:  # an unchanged history leaves the session cookie alone
        session[HISTORY_KEY] = history.to_json()


def install_locale_selector(app: Flask) -> None:
    """Make Flask-Babel ask :func:`picked_locale` (None means its default) instead of FAB."""
    app.extensions["babel"].locale_selector = picked_locale
