"""PL24 in a real browser: roles in the builder, and edits that change only what was edited.

Chromium changes the bankruptcy CRM's accountant role as an admin would: rights ticked and
unticked in the matrix, a field rule added in an entity's rules form, a wrong field name shown
beside its input and on the entity's row; published, the role the app runs with has changed.
A second test edits one input in each hand-written editor's form and finds that one value, and
nothing else (no defaults of the form's own), changed in the draft. A third opens the workspace
on a laptop screen (no sideways scrolling) and grants a right with the keyboard.
"""
from __future__ import annotations

import json
from typing import Any

from tests.browser import test_builder
from tests.browser.test_builder import APP, open_workspace, publish, wait_saved

live = test_builder.live  # the bankruptcy CRM served on a real port
ROLE = "roles/accountant.json"


def draft_document(sf, path: str) -> dict[str, Any]:
    return sf.drafts.open(sf.actor("boss"), APP).documents[path]


def test_pl24_admin_changes_a_roles_rights_and_field_rules_in_the_matrix(page_as, live):
    sf = live.web.sf
    page = page_as("boss")
    open_workspace(page, live.url, APP, ROLE)
    # One row per entity of the app, whether the role speaks of it or not.
    entities = sorted(sf.catalog.get(APP).spec.entities)
    assert sorted(page.eval_on_selector_all(".sf-b-rights tbody tr", "rows => rows.map(r => r.dataset.entity)")) == entities
    deal = page.locator(".sf-b-rights tr[data-entity=deal]")
    assert deal.locator("input[data-right=read]").is_checked()
    assert not deal.locator("input[data-right=update]").is_checked()
    assert deal.locator(".sf-b-records-summary").inner_text() == "All records"

    # Export of deals taken away, update of clients granted.
    deal.locator("input[data-right=export]").uncheck()
    page.locator(".sf-b-rights tr[data-entity=client] input[data-right=update]").check()
    # A field rule naming a field the deal lacks: the live check shows it beside the input.
    deal.locator(".sf-b-edit-entry").click()
    rules = page.locator(".sf-b-role-entry-editor[data-entity=deal]")
    count = len(draft_document(sf, ROLE)["entities"]["deal"]["fields"])
    rules.locator("[data-schemapath='root.fields'] button.json-editor-btn-add").last.click()
    field = rules.locator(f"input[name='root[fields][{count}][field]']")
    field.fill("no_such_field")
    problem = rules.locator(".sf-b-problem", has_text="no_such_field")
    problem.wait_for()
    assert deal.locator(".sf-b-problem", has_text="no_such_field").is_visible()  # the row says so too
    field.fill("amount")
    rules.locator(".sf-b-problem").first.wait_for(state="detached")
    rules.locator(f"select[name='root[fields][{count}][access]']").select_option("read_only")
    page.wait_for_timeout(1000)
    wait_saved(page)
    assert page.locator(".sf-b-no-problems").is_visible(), page.inner_text(".sf-b-problems")

    saved = draft_document(sf, ROLE)["entities"]
    assert saved["deal"]["rights"] == ["read"]
    assert saved["deal"]["fields"][-1] == {"field": "amount", "access": "read_only"}
    assert saved["client"]["rights"] == ["read", "update"]

    publish(page)
    role = sf.catalog.get(APP).spec.roles["accountant"]
    assert role.entities["deal"].rights == frozenset({"read"})
    assert role.entities["client"].rights == frozenset({"read", "update"})
    assert role.entities["deal"].fields[-1].field == "amount"


def _changes(before: Any, after: Any, path: str = "") -> list[str]:
    """JSON pointers where ``after`` differs from ``before``."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(set(before) | set(after)):
            if key not in before or key not in after:
                found.append(f"{path}/{key}")
            else:
                found += _changes(before[key], after[key], f"{path}/{key}")
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (b, a) in enumerate(zip(before, after)) for p in _changes(b, a, f"{path}/{i}")]
    return [] if json.dumps(before) == json.dumps(after) else [path]


def test_pl24_an_edit_in_a_form_changes_that_value_and_nothing_else(page_as, live):
    """json-editor fills a form with its schema's defaults; none of them reaches the draft."""
    sf = live.web.sf
    page = page_as("boss")
    cases = [
        ("entities/deal.json", None, ".sf-b-entity-settings", "root[label][en]", "/label/en"),
        ("entities/deal.json", ".sf-b-fields tr[data-field=request_date] .sf-b-edit-field", ".sf-b-field-editor",
         "root[label][en]", "/fields/{index}/label/en"),
        ("pipelines/deal_sales.json", ".sf-b-stages li:nth-child(2) .sf-b-edit-stage", ".sf-b-stage-editor",
         "root[label][en]", "/stages/1/label/en"),
        (ROLE, ".sf-b-rights tr[data-entity=task] .sf-b-edit-entry", ".sf-b-role-entry-editor",
         "root[fields][0][field]", "/entities/task/fields/0/field"),
        (ROLE, None, ".sf-b-role-settings", "root[label][en]", "/label/en"),
    ]
    for path, opener, holder, name, pointer in cases:
        before = draft_document(sf, path)
        page.goto("about:blank")
        open_workspace(page, live.url, APP, path)
        if opener:
            page.click(opener)
        target = page.locator(f"{holder} [name='{name}']")
        target.fill(target.input_value() + "X")
        page.wait_for_timeout(1000)  # past the typing pause and the save's delay
        wait_saved(page)
        after = draft_document(sf, path)
        if "{index}" in pointer:
            index = [f["name"] for f in before["fields"]].index("request_date")
            pointer = pointer.format(index=index)
        assert _changes(before, after) == [pointer], path


def test_pl24_the_workspace_fits_a_laptop_and_the_matrix_works_by_keyboard(page_as, live):
    sf = live.web.sf
    page = page_as("boss", width=1366, height=768)
    for path in ("entities/deal.json", "pipelines/deal_sales.json", ROLE):
        page.goto("about:blank")
        open_workspace(page, live.url, APP, path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    # Space on a focused checkbox of the matrix grants the right, as a click does.
    box = page.locator(".sf-b-rights tr[data-entity=payment] input[data-right=delete]")
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_timeout(1000)
    wait_saved(page)
    assert "delete" in draft_document(sf, ROLE)["entities"]["payment"]["rights"]
