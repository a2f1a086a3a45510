"""Issue 22, item 3 in a real browser: the Content-Security-Policy lets every screen work.

Chromium opens the screens under the policy the app sends (scripts only from the app or with the
request's nonce) and records every policy violation the page reports (the
``securitypolicyviolation`` event) and every console error; none may appear. The builder (its
vendored json-editor forms), the card, list, board and calendar screens, FAB's own list pages
(whose inline scripts carry the nonce) and the API docs (Swagger UI) are checked.
"""
from __future__ import annotations

import pytest

# Runs before any script of the page: a violation report is the surest sign of a blocked resource.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
"""

PAGES = [
    ("/builder/", ".sf-builder-index, table"),
    ("/builder/mini#entities/deal.json", ".sf-builder-workspace[data-open='entities/deal.json'] .sf-b-fields tbody tr"),
    ("/mini/deal/new", "#sf-card[data-ready='1']"),
    ("/mini/deal/", "table"),
    ("/mini/deal/board", ".sf-card, .sf-column-header"),
    ("/mini/deal/calendar?field=due", ".fc-daygrid, .fc-view"),
    ("/users/list/", "table"),
    ("/api/v1/docs", ".swagger-ui .info"),
]


@pytest.fixture
def watched(page_as):
    page = page_as("boss")
    page.add_init_script(WATCH_VIOLATIONS)
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    return page, console_errors


def test_issue_22_the_screens_load_with_no_policy_violation(watched, live):
    page, console_errors = watched
    record = live.web.create("boss", "deal", {"title": "Policy check", "assignee": "boris"})
    for path, ready in [*PAGES, (f"/mini/deal/{record['id']}", "#sf-card[data-ready='1']")]:
        response = page.goto(f"{live.url}{path}")
        assert response.status == 200, path
        assert "'nonce-" in response.headers["content-security-policy"], path
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], (path, violations)
        assert console_errors == [], (path, console_errors)


def test_issue_22_an_injected_inline_script_would_be_blocked(watched, live):
    """The policy is not a no-op: a script without the nonce does not run, and is reported."""
    page, console_errors = watched
    page.goto(f"{live.url}/mini/deal/")
    ran = page.evaluate("""() => {
        window.__injected = false;
        const script = document.createElement('script');
        script.textContent = 'window.__injected = true';
        document.body.appendChild(script);
        return window.__injected;
    }""")
    assert ran is False
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__cspViolations")[0].startswith("script-src")
    assert any("Content Security Policy" in text for text in console_errors)
