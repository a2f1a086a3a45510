"""``GET /health``: whether the platform answers, for load balancers and monitors.

Anyone gets ``{"status": "ok" | "degraded", "version": ...}`` ("degraded" when an installed app's
stored revision no longer validates). The details (database kind, installed apps with their
revision and entities, the problems of broken apps) name what the platform holds, so only
platform administrators (logged in by session or bearer token) see them.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from flask import Flask, jsonify

from .extension import current_actor_or_none, stageflow_engine


def platform_version() -> str:
    try:
        return version("stageflow")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def register_health(app: Flask) -> None:
    @app.get("/health", endpoint="stageflow_health")
    def health():
        engine = stageflow_engine()
        engine.ping()
        broken = {name: [str(p) for p in exc.problems[:20]] for name, exc in engine.catalog.broken.items()}
        answer = {"status": "degraded" if broken else "ok", "version": platform_version()}
        actor = current_actor_or_none()
        if actor is None or not actor.is_admin:
            return jsonify(answer)
        loaded = {name: engine.catalog.get(name) for name in engine.catalog.names()}
        return jsonify(**answer, database=engine.db.dialect.name,
                       apps={name: app.revision for name, app in loaded.items()},
                       entities={name: list(app.spec.entities) for name, app in loaded.items()},
                       **({"broken_apps": broken} if broken else {}))
