"""Issue 3, item 9: the screens in English and Russian, the user picks the language.

The pick goes through Flask-AppBuilder's language route (``/lang/<locale>``, the navbar picker)
and is kept in the session. The screens' own strings come from Stageflow's Russian catalog;
metadata labels come in the picked language when the app has it, else in the app's default
locale, and a label without the picked language falls back to the app's default one.
"""
from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from stageflow.runtime import create_stageflow
from stageflow.security.users import set_admin
from stageflow.web import create_app
from stageflow.web.language import labels_locale
from tests.bundle_edit import EditableBundle
from tests.web.conftest import PASSWORD, Web, make_web

WEB = Path(__file__).resolve().parents[3] / "platform" / "stageflow" / "web"
CATALOG = WEB / "translations" / "ru" / "LC_MESSAGES"
BUILDER_UI = WEB.parents[2] / "builder_ui"  # the builder's templates, translated by the same catalog
HEADER = re.compile(r'<th data-column="title"[^>]*>\s*<a [^>]*>([^<]+)<')
TITLE = re.compile(r'<h1 class="sf-title">([^<]+)</h1>')


def pick(client, locale: str) -> str:
    """Choose the language the way the navbar picker does; where it goes back to."""
    response = client.get(f"/lang/{locale}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


@pytest.fixture
def bilingual(sqlite_url: str, tmp_path: Path, mini_bundle: Path):
    """The mini app with Russian labels on the title field and a stage, and a field whose label
    has English only (the fallback case)."""
    bundle = EditableBundle(mini_bundle, tmp_path / "mini")

    def edit_deal(deal: dict) -> None:
        deal["label_plural"] = {"en": "Deals", "ru": "Сделки"}
        next(f for f in deal["fields"] if f["name"] == "title")["label"] = {"en": "Title", "ru": "Название"}
        deal["fields"].append({"name": "budget_code", "kind": "string", "label": {"en": "Budget code"}})

    bundle.edit("entities/deal.json", edit_deal)
    bundle.edit("pipelines/sales.json", lambda sales: sales["stages"][0].update(label={"en": "New", "ru": "Новая"}))
    web = make_web(sqlite_url, tmp_path / "files", bundle.root)
    yield web
    web.sf.close()


def test_list_speaks_english_until_russian_is_picked(bilingual):
    client = bilingual.browser("boss")
    html = client.get("/mini/deal/").get_data(as_text=True)
    assert TITLE.search(html).group(1) == "Deals"
    assert HEADER.search(html).group(1).strip() == "Title"
    assert "Filters" in html and "Nothing found." in html and "Фильтры" not in html

    assert pick(client, "ru").endswith("/mini/deal/")  # back to the screen the pick was made on
    html = client.get("/mini/deal/").get_data(as_text=True)
    # The screen's own strings from the Russian catalog...
    for text in ("Фильтры", "Столбцы", 'placeholder="Поиск"', "Ничего не найдено.", "Сохранить столбцы",
                 "записей"):
        assert text in html, text
    assert "Filters" not in html and "Nothing found." not in html
    # ...the metadata labels in Russian (title, menu), the field without Russian in English...
    assert TITLE.search(html).group(1) == "Сделки"
    assert HEADER.search(html).group(1).strip() == "Название"
    assert "Budget code" in html  # the column chooser lists it
    assert "Мини CRM" in html and "Mini CRM" not in html  # the navbar's app menu
    assert "Входящие" in html  # the inbox entry of the menu
    # ...and FAB's own navbar strings from FAB's Russian catalog, which still loads.
    assert "Выход" in html

    pick(client, "en")
    html = client.get("/mini/deal/").get_data(as_text=True)
    assert TITLE.search(html).group(1) == "Deals" and "Filters" in html and "Фильтры" not in html


def test_card_and_board_speak_the_picked_language(bilingual):
    record = bilingual.create("boss", "deal", {"title": "Alpha supply"})["id"]
    client = bilingual.browser("boss")
    pick(client, "ru")
    html = client.get(f"/mini/deal/{record}").get_data(as_text=True)
    for text in ("Название", "История", "Лента событий", "Напишите комментарий", "Отмена", "Сохранить",
                 "Изменений пока нет.", "Budget code", "Список"):
        assert text in html, text
    assert "History" not in html and "Timeline" not in html
    html = client.get("/mini/deal/new").get_data(as_text=True)
    assert "Новая запись: Сделка" in html and "Создать" in html

    html = client.get("/mini/deal/board").get_data(as_text=True)
    assert '<span class="sf-column-title">Новая</span>' in html
    assert "Qualified" in html  # a stage label without Russian stays as written
    assert "+ Создать (сделка): введите название и нажмите Enter" in html


def _options(html: str, field: str) -> dict[str, str]:
    """value -> text of the options of a field's select widget on the card."""
    select = re.search(rf'<select [^>]*id="sf-f-{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


def test_card_choice_labels_follow_the_picked_language_as_the_list_does(bilingual):
    """Handbook items are stored with the app's default-locale label; the card's select shows
    them in the picked language, like the list, until an admin rewrites a label."""
    record = bilingual.create("boss", "client", {"full_name": "Acme", "city": "msk"})["id"]
    client = bilingual.browser("boss")
    pick(client, "ru")
    assert _options(client.get(f"/mini/client/{record}").get_data(as_text=True), "city") == {
        "": "", "msk": "Москва", "kzn": "Kazan"}  # Kazan has no Russian label: as written
    assert "Москва" in client.get("/mini/client/").get_data(as_text=True)  # the list agrees

    pick(client, "en")
    assert _options(client.get(f"/mini/client/{record}").get_data(as_text=True), "city")["msk"] == "Moscow"

    boss = bilingual.sf.actor("boss")
    row = bilingual.sf.records.list(boss, "mini", "city", where={"field": "code", "op": "eq", "value": "msk"}).items[0]
    bilingual.sf.records.update(boss, "mini", "city", row["id"], {"label": "Moscow City"})
    pick(client, "ru")
    assert _options(client.get(f"/mini/client/{record}").get_data(as_text=True), "city")["msk"] == "Moscow City"


def test_saved_flash_and_conflict_follow_the_language(bilingual):
    record = bilingual.create("boss", "deal", {"title": "Alpha"})
    client = bilingual.browser("boss")
    pick(client, "ru")
    page = client.get(f"/mini/deal/{record['id']}").get_data(as_text=True)
    token = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    form = {"csrf_token": token.group(1), "_version": str(record["version"]), "title": "Beta"}
    saved = client.post(f"/mini/deal/{record['id']}", data=form, follow_redirects=True)
    assert saved.status_code == 200 and "Сохранено" in saved.get_data(as_text=True)
    stale = client.post(f"/mini/deal/{record['id']}", data=form)  # the same old version again
    assert stale.status_code == 409
    assert "Кто-то изменил эту запись" in stale.get_data(as_text=True)


def test_an_unknown_language_is_refused_and_changes_nothing(bilingual):
    client = bilingual.browser("boss")
    assert client.get("/lang/de").status_code == 404
    assert "Filters" in client.get("/mini/deal/").get_data(as_text=True)


def test_labels_follow_the_pick_only_when_the_app_speaks_it(bilingual):
    mini = bilingual.sf.catalog.get("mini").spec
    russian_only = dataclasses.replace(mini, default_locale="ru", locales=("ru",))
    with bilingual.app.test_request_context("/"):
        assert labels_locale(mini) == "en" and labels_locale(russian_only) == "ru"  # nothing picked
    with bilingual.app.test_request_context("/?_l_=ru"):
        assert labels_locale(mini) == "ru"  # mini declares no locales: each label falls back alone
    with bilingual.app.test_request_context("/?_l_=en"):
        assert labels_locale(russian_only) == "ru"  # the app has no English: its default
    with bilingual.app.test_request_context("/?_l_=de"):
        assert labels_locale(mini) == "en"  # not a language of the platform


@pytest.fixture
def production(sqlite_url: str, tmp_path: Path, repo_root: Path):
    """The production sample app (Russian by default, English too), empty, with an administrator."""
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    sf.install(repo_root / "apps" / "production")
    with sf.db.begin() as conn:
        set_admin(conn, "boss", PASSWORD)
    yield Web(sf, create_app(sf, secret_key="test-secret-" * 4))
    sf.close()


def test_sample_app_labels_in_russian_and_english(production):
    client = production.browser("boss")
    html = client.get("/production/deal/").get_data(as_text=True)
    # Nothing picked: the app's own default locale (Russian) for labels, English for the screen.
    assert TITLE.search(html).group(1) == "Сделки" and "Filters" in html
    pick(client, "en")
    html = client.get("/production/deal/").get_data(as_text=True)
    assert TITLE.search(html).group(1) == "Deals" and HEADER.search(html).group(1).strip() == "Title"
    assert "Production company" in html and "Производственная компания" not in html
    pick(client, "ru")
    html = client.get("/production/deal/").get_data(as_text=True)
    assert TITLE.search(html).group(1) == "Сделки" and HEADER.search(html).group(1).strip() == "Название"
    assert "Фильтры" in html and "Производственная компания" in html


def test_every_marked_string_has_a_russian_translation():
    """The catalog covers what the templates and Python mark (the builder's templates too), and
    the .mo is compiled from the .po."""
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    marked = {(context, message if isinstance(message, str) else message[0])
              for folder in (WEB, BUILDER_UI)
              for _file, _line, message, _comments, context in extract_from_dir(
                  str(folder), method_map, keywords=keywords)}
    with (CATALOG / "messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings) and not message.fuzzy:
            translated[key] = strings
    assert len(marked) > 80
    assert sorted(marked - set(translated)) == []
    with (CATALOG / "messages.mo").open("rb") as mo:
        compiled = {(m.context, m.id if isinstance(m.id, str) else m.id[0]):
                    (m.string,) if isinstance(m.string, str) else tuple(m.string) for m in read_mo(mo) if m.id}
    assert compiled == translated, "the .mo is stale: run pybabel compile -d translations"


def test_the_package_ships_the_catalog(repo_root: Path):
    """pyproject.toml's package data of stageflow.web matches the compiled and source catalogs."""
    config = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["stageflow.web"]
    shipped = {p.relative_to(WEB).as_posix() for pattern in patterns for p in WEB.glob(pattern)}
    assert {"translations/ru/LC_MESSAGES/messages.mo", "translations/ru/LC_MESSAGES/messages.po"} <= shipped
