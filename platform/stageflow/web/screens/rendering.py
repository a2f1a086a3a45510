"""Rendering a screen inside Flask-AppBuilder's layout (navbar, user menu, flash messages)."""
from __future__ import annotations

from flask import current_app, render_template

from ..language import remember_page
from .context import ScreenContext
from .navigation import entity_views


def render_screen(template: str, screen: ScreenContext | None = None, **values):
    """``template`` (under ``stageflow/``) with FAB's base layout and, for entity screens, the
    tabs of the entity's views. Jinja autoescapes: labels and values from users stay text."""
    appbuilder = current_app.appbuilder
    remember_page()
    values.update(appbuilder=appbuilder, base_template=appbuilder.base_template, screen=screen,
                  views=entity_views(screen) if screen is not None else [])
    return render_template(f"stageflow/{template}", **values)
