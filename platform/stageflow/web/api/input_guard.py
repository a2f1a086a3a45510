"""Input every route refuses before it reaches the engine.

PostgreSQL text cannot hold the NUL character, so a string with one would fail deep in a
query as a server error; the API answers 400 (query) or 422 (body, naming the field) instead,
on SQLite too, so both backends behave alike. Dates or numbers beyond what Python can
represent (``0001-01-01T00:00:00+13:00`` moved to UTC) raise ``OverflowError`` in the kinds:
answered as invalid input, not as a crash.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from .errors import ApiError, error_response

NUL = "\x00"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def first_nul(value: Any, path: str = "") -> str | None:
    """The path of the first string holding NUL in JSON data (keys included), or None."""
    if isinstance(value, str):
        return path or "*" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return path or "*"
            found = first_nul(item, inner)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = first_nul(item, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
    return None


def check_request() -> None:
    for key, value in request.args.items(multi=True):
        if NUL in key or NUL in value:
            raise ApiError(400, f"query parameter {key.replace(NUL, '')!r} contains a NUL character",
                           {key.replace(NUL, ""): "contains a NUL character"})
    if request.content_length and request.mimetype not in FORM_TYPES:
        body = request.get_json(force=True, silent=True)  # cached: the route reads it again
        path = first_nul(body)
        if path:
            field = path.split(".")[0].split("[")[0] or "*"
            raise ApiError(422, f"{path}: contains a NUL character", {field: "contains a NUL character"})


def overflow(exc: OverflowError):
    status = 400 if request.method in SAFE_METHODS else 422
    return error_response(status, f"a date or number is out of range ({exc})")


def install(bp: Blueprint) -> None:
    bp.before_request(check_request)
    bp.register_error_handler(OverflowError, overflow)
