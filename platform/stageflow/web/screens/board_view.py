"""The kanban board of a pipeline: ``/<app>/<entity>/board?pipeline=``."""
from __future__ import annotations

from flask import Blueprint, abort


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/board", endpoint="board_view")
    def board_view(app: str, entity: str):
        abort(404)
