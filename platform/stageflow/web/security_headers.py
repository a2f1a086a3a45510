"""Security headers on every response of the web app: pages, API, static files and errors alike.

- ``Content-Security-Policy``: scripts only from this origin, or inline with this request's
  nonce (Flask-AppBuilder's templates put ``nonce="{{ csp_nonce() }}"`` on their inline scripts
  when a ``csp_nonce`` function is in the template context, as Flask-Talisman provides; ours have
  no inline scripts). Styles allow ``'unsafe-inline'``: the vendored json-editor and FullCalendar
  and Swagger UI inject style elements, and our templates colour stages with ``style``
  attributes; a style cannot run code. No framing (``frame-ancestors 'none'``), no plugins, forms
  and ``<base>`` only to this origin.
- ``X-Frame-Options: DENY`` for browsers without ``frame-ancestors``.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` (a link out does not
  carry our URLs, which name apps, entities and record ids).
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, g

CSP_TEMPLATE = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def csp_nonce() -> str:
    """This request's script nonce (made on first use)."""
    nonce = g.get("stageflow_csp_nonce")
    if nonce is None:
        nonce = g.stageflow_csp_nonce = secrets.token_urlsafe(16)
    return nonce


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP_TEMPLATE.format(nonce=csp_nonce()))
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install_security_headers(app: Flask) -> None:
    """Every response gets the headers; templates get ``csp_nonce()`` for their inline scripts."""
    app.after_request(add_security_headers)
    # A global, not a context processor: FAB renders its widgets without the request's context.
    app.jinja_env.globals["csp_nonce"] = csp_nonce
