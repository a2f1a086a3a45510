"""PL24 in a real browser: business admins change and build apps in the builder, live.

Chromium works the builder's pages as a new platform administrator would: it adds a field to the
bankruptcy CRM's deal entity in the fields table, shows it in the list's default columns through
the entity's form, sees what publishing would change, publishes, and finds the field on the deal
list and a deal card served by the same process at once. A second test builds an app from
nothing (an entity with six kinds of fields, a pipeline with a gate), publishes it and uses its
screens as an end user. A third moves and removes rows of the fields table and the stage list.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer
from tests.web.conftest import give_passwords, make_web

APP = "bankruptcy_crm"


@pytest.fixture
def live(sqlite_url: str, tmp_path: Path, repo_root: Path) -> Iterator[LiveServer]:
    """The bankruptcy CRM sample app (no demo data) served on a real port; ``boss`` is a
    platform administrator who is no user of the app."""
    web = make_web(sqlite_url, tmp_path / "files", repo_root / "apps" / APP)
    with LiveServer(web) as server:
        yield server
    web.sf.close()


def open_workspace(page, base_url: str, app: str, document: str | None = None) -> None:
    page.goto(f"{base_url}/builder/{app}" + (f"#{document}" if document else ""))
    page.wait_for_selector(".sf-builder-workspace[data-ready='1']")


def wait_saved(page) -> None:
    page.wait_for_function("""() => {
        const state = document.querySelector('.sf-b-save-state');
        return state && state.textContent === 'All changes saved to the draft';
    }""")


def publish(page) -> None:
    page.click(".sf-b-open-publish")
    page.wait_for_selector(".sf-b-preview[data-ready='1']")
    page.click(".sf-b-publish-button")
    page.wait_for_selector(".sf-b-published")


def test_pl24_admin_adds_a_field_in_the_builder_and_the_screens_show_it_at_once(page_as, live):
    sf = live.web.sf
    deal = sf.records.create(sf.system, APP, "deal", {"title": "Petrov bankruptcy", "request_date": "2026-03-01",
                                                      "city": "msk"})
    page = page_as("boss")

    # The builder's start page lists the app; its workspace opens the draft.
    page.goto(f"{live.url}/builder/")
    page.click(f"tr[data-app={APP}] a.sf-b-open")
    page.wait_for_selector(".sf-builder-workspace[data-ready='1']")
    revision = sf.catalog.get(APP).revision
    assert page.inner_text(".sf-b-revision") == f"Draft of revision {revision}"

    # The deal entity: its fields as a table; a new string field with a label.
    page.click(".sf-b-doc[data-path='entities/deal.json']")
    page.wait_for_selector(".sf-builder-workspace[data-open='entities/deal.json'] .sf-b-fields tbody tr")
    page.fill("#sf-b-new-field-name", "court_case_no")
    page.fill("#sf-b-new-field-label", "Court case no.")
    page.select_option("#sf-b-new-field-kind", "string")
    page.click(".sf-b-add-field-button")
    row = page.locator(".sf-b-fields tr[data-field=court_case_no]")
    assert row.locator(".sf-b-field-kind").inner_text() == "string"
    assert row.locator(".sf-b-field-label").inner_text() == "Court case no."
    # Its kind's form opened; a wrong option is shown beside its input by the live check.
    editor = page.locator(".sf-b-field-editor")
    editor.locator("[data-schemapath='root.options'] input[type=checkbox]").first.check()
    editor.locator("[data-schemapath='root.options.max_length'] input[type=checkbox]").first.check()
    max_length = editor.locator("input[name='root[options][max_length]']")
    max_length.fill("-5")
    problem = editor.locator(".sf-b-problem")
    problem.wait_for()
    assert page.locator(".sf-b-problem-list").is_visible()
    max_length.fill("40")
    problem.wait_for(state="detached")
    page.click(".sf-b-field-editor .sf-b-done")
    # The list's default columns get it too, through the entity's own form.
    columns = page.locator("[data-schemapath='root.views.list.columns']")
    count = columns.locator("input[type=text]").count()
    columns.locator("button.json-editor-btn-add").last.click()
    page.fill(f"input[name='root[views][list][columns][{count}]']", "court_case_no")
    wait_saved(page)
    assert page.locator(".sf-b-no-problems").is_visible()
    draft = sf.drafts.open(sf.actor("boss"), APP)
    fields = {f["name"]: f for f in draft.documents["entities/deal.json"]["fields"]}
    assert fields["court_case_no"]["label"] == "Court case no."
    assert sf.catalog.get(APP).revision == revision  # saved in the draft only

    # What publishing changes, then publish.
    page.click(".sf-b-open-publish")
    page.wait_for_selector(".sf-b-preview[data-ready='1']")
    assert "court_case_no" in page.inner_text(".sf-b-added-columns")
    assert "entities/deal.json" in page.inner_text(".sf-b-documents-changed")
    page.click(".sf-b-publish-button")
    page.wait_for_selector(".sf-b-published")
    assert sf.catalog.get(APP).revision == revision + 1
    page.wait_for_function(f"""() => document.querySelector('.sf-b-revision').textContent
                                   === 'Draft of revision {revision + 1}'""")

    # The same server process shows the field on the list and the card at once.
    page.goto(f"{live.url}/{APP}/deal/")
    assert page.locator("th[data-column=court_case_no]").inner_text().strip() == "Court case no."
    page.goto(f"{live.url}/{APP}/deal/{deal['id']}")
    page.wait_for_selector("#sf-card[data-ready='1']")
    # Fields the card layout does not place go to a trailing section of its last tab.
    tab = page.eval_on_selector("#sf-f-court_case_no", "input => input.closest('.tab-pane').id")
    page.click(f"a[href='#{tab}']")
    assert "Court case no." in page.inner_text(f"#{tab}")
    page.fill("#sf-f-court_case_no", "А40-12345/2026")
    page.click("button.sf-save")
    page.wait_for_selector(".alert-success")
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["court_case_no"] == "А40-12345/2026"


def add_field(page, name: str, label: str, kind: str) -> None:
    page.fill("#sf-b-new-field-name", name)
    page.fill("#sf-b-new-field-label", label)
    page.select_option("#sf-b-new-field-kind", kind)
    page.click(".sf-b-add-field-button")
    page.wait_for_selector(f".sf-b-field-editor[data-field={name}]")


def add_document(page, group: str, name: str) -> None:
    page.click(f".sf-b-add[data-group={group}]")
    page.fill(f"#sf-b-add-{group}", name)
    page.press(f"#sf-b-add-{group}", "Enter")
    page.wait_for_selector(f".sf-builder-workspace[data-open='{group}/{name}.json']")


def test_pl24_admin_builds_a_new_app_from_nothing_and_uses_it(page_as, live):
    """A new app: an entity with six kinds of fields, a pipeline of three stages whose last one
    needs a field filled (a gate), a role that sees only the tickets its user owns (a record
    rule) and two users holding it; published, its screens work for those users at once: the
    gate refuses and then lets a ticket through, and each user sees only their own tickets."""
    sf = live.web.sf
    page = page_as("boss")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live.url}/builder/")
    page.fill("#sf-b-new-name", "helpdesk")
    page.fill("#sf-b-new-label", "Helpdesk")
    page.select_option("#sf-b-new-locale", "en")
    page.click(".sf-b-create-app")
    page.wait_for_url(f"{live.url}/builder/helpdesk")
    page.wait_for_selector(".sf-builder-workspace[data-ready='1']")
    assert page.inner_text(".sf-b-revision") == "Draft of a new app"

    add_document(page, "entities", "ticket")
    assert page.locator(".sf-b-fields tr[data-field=title]").count() == 1  # a new entity starts with a title
    add_field(page, "reference", "Reference", "string")
    add_field(page, "price", "Price", "money")
    add_field(page, "due", "Due date", "date")
    add_field(page, "priority", "Priority", "select")
    page.fill("input[name='root[options][choices][0][value]']", "high")  # the kind's own options form
    add_field(page, "parent_ticket", "Parent ticket", "link")
    add_field(page, "owner", "Owner", "user")
    wait_saved(page)
    assert page.locator(".sf-b-no-problems").is_visible(), page.inner_text(".sf-b-problems")

    add_document(page, "pipelines", "flow")
    for name, label in (("working", "Working"), ("closed", "Closed")):
        page.fill("#sf-b-new-stage-name", name)
        page.fill("#sf-b-new-stage-label", label)
        page.click(".sf-b-add-stage-button")
    assert page.locator(".sf-b-stages li").count() == 3
    # The gate: a price is required to enter the last stage.
    page.click("li[data-stage=closed] .sf-b-edit-stage")
    gate = page.locator("[data-schemapath='root.required_fields']")
    gate.locator("input[type=checkbox]").first.check()
    gate.locator("button.json-editor-btn-add").first.click()
    page.fill("input[name='root[required_fields][0]']", "price")
    wait_saved(page)
    assert page.locator(".sf-b-no-problems").is_visible()

    # A role: rights ticked in the matrix, a record rule "tickets they own" in its rules form.
    add_document(page, "roles", "agent")
    rights = page.locator(".sf-b-rights tr[data-entity=ticket]")
    for right in ("read", "create", "update"):
        rights.locator(f"input[data-right={right}]").check()
    rights.locator(".sf-b-edit-entry").click()
    rules = page.locator(".sf-b-role-entry-editor[data-entity=ticket]")
    records = rules.locator("[data-schemapath='root.records']")
    records.locator("input[type=checkbox]").first.check()
    records.locator("button.json-editor-btn-add").first.click()
    rules.locator("select[name='root[records][0][scope]']").select_option("assigned")
    rules.locator("[data-schemapath='root.records.0.field'] input[type=checkbox]").first.check()
    rules.locator("input[name='root[records][0][field]']").fill("owner")
    wait_saved(page)
    assert rights.locator(".sf-b-records-summary").inner_text() == "assigned (owner)"
    assert page.locator(".sf-b-no-problems").is_visible(), page.inner_text(".sf-b-problems")
    role = sf.drafts.open(sf.actor("boss"), "helpdesk").documents["roles/agent.json"]
    assert role["entities"] == {"ticket": {"rights": ["read", "create", "update"],
                                           "records": [{"scope": "assigned", "field": "owner"}]}}

    # Two users holding the role, in the organisation's form.
    page.click(".sf-b-add[data-group=org]")
    page.wait_for_selector(".sf-builder-workspace[data-open='org.json']")
    users = page.locator("[data-schemapath='root.users']")
    users.locator("input[type=checkbox]").first.check()
    for index, (username, full_name) in enumerate((("ann", "Ann Agent"), ("bob", "Bob Agent"))):
        users.locator("button.json-editor-btn-add").last.click()  # the list's own, after its items'
        page.fill(f"input[name='root[users][{index}][username]']", username)
        page.fill(f"input[name='root[users][{index}][full_name]']", full_name)
        holder = page.locator(f"[data-schemapath='root.users.{index}.roles']")
        holder.locator("input[type=checkbox]").first.check()
        holder.locator("button.json-editor-btn-add").first.click()
        page.fill(f"input[name='root[users][{index}][roles][0]']", "agent")
    wait_saved(page)
    assert page.locator(".sf-b-no-problems").is_visible(), page.inner_text(".sf-b-problems")

    publish(page)
    assert "helpdesk" in sf.catalog.names()
    flow = next(p for p in sf.catalog.get("helpdesk").spec.pipelines if p.name == "flow")
    assert [s.name for s in flow.stages][1:] == ["working", "closed"]
    give_passwords(sf, others=("ann", "bob"))  # setting passwords is not the builder's job

    # Each agent creates a ticket they own on its card, in the same server process.
    for username in ("ann", "bob"):
        agent = page_as(username)
        agent.goto(f"{live.url}/helpdesk/ticket/new")
        agent.wait_for_selector("#sf-card[data-ready='1']")
        agent.fill("#sf-f-title", f"Printer of {username} on fire")
        agent.select_option("#sf-f-owner", username)
        agent.click("button.sf-save")
        agent.wait_for_url(lambda url: url.rstrip("/").rsplit("/", 1)[-1].isdigit())
    # The record rule: Ann's list shows her ticket and not Bob's.
    ann = page_as("ann")
    ann.goto(f"{live.url}/helpdesk/ticket/")
    listed = ann.inner_text("table.sf-list")
    assert "Printer of ann on fire" in listed and "Printer of bob on fire" not in listed
    assert sf.records.count(sf.system, "helpdesk", "ticket") == 2

    # The gate: closing without a price is refused with the gate's reason; with one it passes.
    ticket = ann.locator("table.sf-list a", has_text="Printer of ann on fire")
    ticket.click()
    ann.wait_for_selector("#sf-card[data-ready='1']")
    ticket_id = int(ann.url.rstrip("/").rsplit("/", 1)[-1])
    ann.select_option("#sf-f-stage", "closed")
    ann.click("button.sf-save")
    refusal = ann.locator(".alert-danger")
    refusal.wait_for()
    assert "Price" in refusal.inner_text()
    assert sf.records.get(sf.system, "helpdesk", "ticket", ticket_id)["stage"] != "closed"
    ann.fill("#sf-f-price", "120.50")
    ann.click("button.sf-save")
    ann.wait_for_selector(".alert-success")
    assert sf.records.get(sf.system, "helpdesk", "ticket", ticket_id)["stage"] == "closed"
    assert errors == []



def test_pl24_rows_of_fields_and_stages_move_and_go_by_keyboard_buttons(page_as, live):
    page = page_as("boss")
    page.on("dialog", lambda dialog: dialog.accept())
    open_workspace(page, live.url, APP, "entities/deal.json")
    names = page.locator(".sf-b-fields tr[data-field]")
    first, second = names.nth(0).get_attribute("data-field"), names.nth(1).get_attribute("data-field")
    page.click(f".sf-b-fields tr[data-field={first}] .sf-b-down")
    assert [names.nth(i).get_attribute("data-field") for i in (0, 1)] == [second, first]
    page.click(f".sf-b-fields tr[data-field={first}] .sf-b-up")
    count = names.count()
    page.click(f".sf-b-fields tr[data-field={second}] .sf-b-remove-field")
    assert names.count() == count - 1
    assert page.locator(f".sf-b-fields tr[data-field={second}]").count() == 0
    wait_saved(page)
    assert second not in {f["name"] for f in live.web.sf.drafts.open(live.web.sf.system, APP)
                          .documents["entities/deal.json"]["fields"]}

    page.click(".sf-b-doc[data-path='pipelines/deal_sales.json']")
    stages = page.locator(".sf-b-stages li[data-stage]")
    stages.first.wait_for(state="visible")
    top = stages.nth(0).get_attribute("data-stage")
    page.click(f"li[data-stage={top}] .sf-b-down")
    assert stages.nth(1).get_attribute("data-stage") == top
    page.click(f"li[data-stage={top}] .sf-b-remove-stage")
    assert page.locator(f"li[data-stage={top}]").count() == 0
