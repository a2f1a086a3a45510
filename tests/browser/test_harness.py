"""The browser harness itself: a real Chromium logs in through the form and sees the menu."""
from __future__ import annotations


def test_login_form_leads_to_the_start_page_with_the_apps_menu(page_as, live):
    page = page_as("boris")
    assert page.url.rstrip("/") == live.url
    assert page.locator("text=Mini CRM").first.is_visible() or page.locator(".navbar").is_visible()


def test_an_entity_list_opens_from_its_generic_route(page_as, live):
    page = page_as("boris")
    response = page.goto(f"{live.url}/mini/deal/")
    assert response.status == 200
    assert page.locator("table.sf-list").is_visible()
