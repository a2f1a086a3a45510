"""Issue 3, item 9 in a real browser: pick Russian in the navbar and the list speaks Russian,
its metadata labels and its script's strings included."""
from __future__ import annotations

from playwright.sync_api import expect


def test_switch_to_russian_through_the_navbar_picker(page_as, live):
    record = live.web.create("boss", "deal", {"title": "Alpha supply"})["id"]
    page = page_as("boss")
    page.goto(f"{live.url}/mini/deal/")
    expect(page.locator("h1.sf-title")).to_have_text("Deal")
    expect(page.locator("button[data-target='#sf-list-filters']")).to_contain_text("Filters")

    page.locator("a.dropdown-toggle:has(i.flag)").click()
    page.locator("a[href='/lang/ru']").click()
    page.wait_for_url(f"{live.url}/mini/deal/")

    expect(page.locator("h1.sf-title")).to_have_text("Сделка")  # the entity's Russian label
    expect(page.locator("button[data-target='#sf-list-filters']")).to_contain_text("Фильтры")
    expect(page.locator("a.dropdown-toggle", has_text="Мини CRM")).to_be_visible()  # the app menu
    expect(page.locator("th[data-column='title']")).to_contain_text("Title")  # no Russian: as written
    page.locator(f"tr[data-id='{record}'] .sf-select-row").check()
    expect(page.locator(".sf-bulk-count")).to_have_text("Выбрано: 1")  # the script's string, from the page
