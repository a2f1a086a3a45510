"""Field faces: a kind's web face answers for it in the OpenAPI, the list, the card, the filters
and the export, so a new kind is one FieldKind plus one FieldFace and no screen changes.

The test-only ``rating`` kind (one to five stars) lives in a kinds set and a faces set built for
the test; the built-in registries are left as they are.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from stageflow.core.fields import FieldKind, FieldValueError, Storage
from stageflow.core.specs import FieldSpec
from stageflow.runtime import create_stageflow, default_kinds
from stageflow.web import create_app
from stageflow.web.field_faces import (
    FieldFace,
    FieldFaces,
    FilterWidget,
    StorageFace,
    app_field_faces,
    default_field_faces,
    install_field_faces,
)
from tests.bundle_edit import EditableBundle
from tests.web.conftest import Web, give_passwords

HEADER = re.compile(r'<th data-column="([a-z_]+)"')
CARD_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class RatingKind(FieldKind):
    """One to five stars. ``{"name": "rating", "kind": "rating"}``"""

    kind = "rating"
    storage = Storage.INTEGER
    example = 3

    def parse(self, value, field):
        try:
            stars = int(value)
        except (TypeError, ValueError):
            raise FieldValueError("expected 1 to 5 stars") from None
        if not 1 <= stars <= 5 or isinstance(value, bool):
            raise FieldValueError("expected 1 to 5 stars")
        return stars


class RatingFace(FieldFace):
    kind = RatingKind.kind
    input_type = "number"
    filter = FilterWidget.NUMBER

    def value_schema(self, spec, faces, locale):
        return {"type": "integer", "minimum": 1, "maximum": 5, "description": "stars"}

    def cell_text(self, spec, value, labels):
        return "\u2605" * int(value)


@pytest.fixture
def rated(sqlite_url: str, tmp_path: Path, mini_bundle: Path):
    """The mini app with a ``rating`` field on deals (a list column and a kanban card line),
    served by an engine and a Flask app that know the kind and its face."""
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")

    def add_rating(deal: dict) -> None:
        deal["fields"].append({"name": "rating", "kind": "rating", "label": "Rating"})
        deal["views"]["list"]["columns"].append("rating")
        deal["views"]["board"]["card_fields"].append("rating")

    bundle.edit("entities/deal.json", add_rating)
    kinds = default_kinds()
    kinds.fields.register(RatingKind())
    faces = default_field_faces()
    faces.register(RatingFace())
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files", kinds=kinds)
    sf.install(bundle.root)
    give_passwords(sf)
    web = Web(sf, create_app(sf, secret_key="test-secret-" * 4))
    install_field_faces(web.app, faces)
    yield web
    sf.close()


def test_a_new_kind_shows_in_openapi_list_card_filters_and_export(rated):
    deal = rated.create("boss", "deal", {"title": "Starred", "rating": 4})
    rated.create("boss", "deal", {"title": "Plain"})

    doc = rated.api("boss").get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["mini.deal"]["properties"]["rating"]
    assert schema == {"type": "integer", "minimum": 1, "maximum": 5, "description": "stars", "title": "Rating",
                      "nullable": True, "x-stageflow-kind": "rating"}
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/mini/deal/"]["get"]["parameters"]}
    assert params["rating"] == {"type": "integer", "minimum": 1, "maximum": 5}

    browser = rated.browser("boss")
    html = browser.get("/mini/deal/").get_data(as_text=True)
    assert HEADER.findall(html)[-1] == "rating"
    assert '<td data-column="rating">\u2605\u2605\u2605\u2605</td>' in html
    assert 'data-filter="rating" data-widget="number"' in html
    assert 'name="rating__gte"' in html and 'name="rating__lte"' in html
    assert "\u2605" not in browser.get("/mini/deal/?rating__gte=5").get_data(as_text=True)

    card = browser.get(f"/mini/deal/{deal['id']}").get_data(as_text=True)
    assert re.search(r'<input class="form-control" type="number" id="sf-f-rating" name="rating" value="4"', card)
    board = browser.get("/mini/deal/board").get_data(as_text=True)
    assert '<span class="sf-card-value">\u2605\u2605\u2605\u2605</span>' in board

    export = browser.get("/mini/deal/export.csv?sort=id")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][-1] == "Rating"
    assert [r[-1] for r in rows[1:]] == ["\u2605\u2605\u2605\u2605", ""]


def test_the_card_saves_a_new_kind_through_its_form_shape(rated):
    deal = rated.create("boss", "deal", {"title": "Starred", "rating": 2})
    browser = rated.browser("boss")
    path = f"/mini/deal/{deal['id']}"
    token = CARD_CSRF.search(browser.get(path).get_data(as_text=True)).group(1)
    saved = browser.post(path, data={"csrf_token": token, "_version": deal["version"], "title": "Starred",
                                     "rating": " 5 "})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    assert rated.sf.records.get(rated.sf.actor("boss"), "mini", "deal", deal["id"])["rating"] == 5


def test_a_kind_without_a_face_gets_one_from_its_storage():
    kinds = default_kinds()
    kinds.fields.register(RatingKind())
    faces = FieldFaces(default_field_faces(), kinds.fields)
    spec = FieldSpec(name="rating", kind="rating", label="Rating")
    face = faces.face(spec)
    assert isinstance(face, StorageFace)
    assert faces.field_schema(spec, "en") == {"type": "integer", "format": "int64", "title": "Rating",
                                              "nullable": True, "x-stageflow-kind": "rating"}
    assert face.filter_widget(spec, faces) is FilterWidget.NUMBER and face.input_type == "number"
    assert faces.form_value(spec, 3) == "3" and faces.form_value(spec, None) == ""
    # A name no kind has (the card's stage) still shows as text.
    stage = FieldSpec(name="stage", kind="stage", label="Stage")
    assert faces.face(stage).widget == "input.html" and faces.form_value(stage, "new") == "new"


def test_each_flask_app_builds_its_own_faces_once(sqlite_web):
    faces = app_field_faces(sqlite_web.app)
    assert app_field_faces(sqlite_web.app) is faces
    assert faces is not default_field_faces() and "string" in faces

