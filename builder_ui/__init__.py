"""The builder's browser side: page templates and static files, shipped as package data.

Business admins build and change apps here. The pages hold no logic of their own on the server:
:mod:`stageflow.web.builder_pages` serves them under ``/builder/``, and the scripts change
metadata only through the metadata API (``/api/v1/_meta/...``: drafts, checks, preview and
publish), which works through the metadata layer and the installer.
"""
from __future__ import annotations

from pathlib import Path

BUILDER_ASSETS = Path(__file__).resolve().parent
TEMPLATES_DIR = BUILDER_ASSETS / "templates"
STATIC_DIR = BUILDER_ASSETS / "static"
