"""The card (record) screen: ``/<app>/<entity>/<id>`` and ``/<app>/<entity>/new``."""
from __future__ import annotations

from flask import Blueprint, abort


def register(bp: Blueprint) -> None:
    @bp.route("/<app>/<entity>/new", methods=["GET", "POST"], endpoint="new_card")
    def new_card(app: str, entity: str):
        abort(404)

    @bp.route("/<app>/<entity>/<int:record_id>", methods=["GET", "POST"], endpoint="card_view")
    def card_view(app: str, entity: str, record_id: int):
        abort(404)
