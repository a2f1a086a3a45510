"""PL24: the builder's pages under /builder/ need a login and the right to configure the app.

The pages are thin: they render the frame the builder's scripts fill through the metadata API.
"""
from __future__ import annotations

import html as html_text
import json
import re


def script_texts(page: str) -> dict[str, str]:
    """The strings a page hands its script (the data-texts attribute)."""
    return json.loads(html_text.unescape(re.search(r'data-texts="([^"]*)"', page).group(1)))


def test_pl24_the_builder_needs_a_login(sqlite_web):
    client = sqlite_web.browser()
    for path in ("/builder/", "/builder/mini"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response.headers["Location"]


def test_pl24_a_user_who_may_not_configure_the_app_is_refused(sqlite_web):
    client = sqlite_web.browser("boris")  # a seller of the mini app
    assert client.get("/builder/mini").status_code == 403
    assert client.get("/builder/no_such_app").status_code == 404  # drafts of new apps: administrators only
    page = client.get("/builder/").get_data(as_text=True)
    assert "sf-builder-index" in page and "sf-b-new-app" not in page  # no "New app" form
    assert 'href="/builder/"' not in client.get("/mini/deal/").get_data(as_text=True)  # no menu entry


def test_pl24_an_administrator_gets_the_workspace(sqlite_web):
    client = sqlite_web.browser("boss")
    index = client.get("/builder/")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert 'name="csrf-token"' in html and "sf-b-new-app" in html and "builder_index.js" in html
    assert 'href="/builder/"' in client.get("/mini/deal/").get_data(as_text=True)  # the menu's entry
    workspace = client.get("/builder/mini")
    assert workspace.status_code == 200
    html = workspace.get_data(as_text=True)
    assert 'data-app="mini"' in html and 'name="csrf-token"' in html
    for script in ("vendor/json-editor/jsoneditor.js", "vendor/sortablejs/Sortable.min.js", "builder.js"):
        assert script in html, script
    # The scripts' strings travel in a data attribute, escaped.
    assert script_texts(html)["saved"] == "All changes saved to the draft"
    # A new app's draft (not installed yet) opens for an administrator too.
    assert client.get("/builder/brand_new").status_code == 200


def test_pl24_the_builder_speaks_russian(sqlite_web):
    client = sqlite_web.browser("boss")
    client.get("/lang/ru")
    html = client.get("/builder/mini").get_data(as_text=True)
    for text in ("Конструктор", "Опубликовать", "Удалить черновик"):
        assert text in html, text
    assert script_texts(html)["saved"] == "Все изменения сохранены в черновике"
    assert "Новое приложение" in client.get("/builder/").get_data(as_text=True)


def test_pl24_the_builder_ships_its_static_files(sqlite_web):
    client = sqlite_web.browser("boss")
    for name in ("builder.js", "builder_common.js", "builder_index.js", "builder.css",
                 "vendor/json-editor/jsoneditor.js", "vendor/json-editor/LICENSE"):
        response = client.get(f"/builder/static/{name}")
        assert response.status_code == 200, name
        response.close()
