"""The faces registry of one Flask app, built on first use and kept on ``app.extensions``.

One registry per app, never a module global: two apps (or two tests) can show different
kinds side by side. A test or a plug-in installs its own with :func:`install_field_faces`
before the first request.
"""
from __future__ import annotations

from flask import Flask, current_app, has_app_context

from ...core.fields import FieldKind
from ...core.registry import Registry
from ..extension import stageflow_engine
from .builtin import default_field_faces
from .face import FieldFace, FieldFaces

EXTENSION_KEY = "stageflow_field_faces"


def install_field_faces(app: Flask, faces: Registry[FieldFace]) -> None:
    """Make ``faces`` the faces registry of ``app``."""
    app.extensions[EXTENSION_KEY] = faces


def app_field_faces(app: Flask) -> Registry[FieldFace]:
    """The faces registry of ``app``: the installed one, else the built-in faces (built once)."""
    faces = app.extensions.get(EXTENSION_KEY)
    if faces is None:
        faces = app.extensions.setdefault(EXTENSION_KEY, default_field_faces())
    return faces


def current_field_faces() -> FieldFaces:
    """The faces of the current app's engine: its field kinds with the app's faces."""
    return FieldFaces(app_field_faces(current_app), stageflow_engine().kinds.fields)


def field_faces_for(kinds: Registry[FieldKind]) -> FieldFaces:
    """The faces of ``kinds``: the current app's faces inside a Flask app, else the built-in ones
    (a document built outside a request, e.g. by the command line)."""
    faces = app_field_faces(current_app) if has_app_context() else default_field_faces()
    return FieldFaces(faces, kinds)
