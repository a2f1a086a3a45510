"""PL01 field kinds: one contract suite run over every kind registered by default_field_kinds().

A kind that joins the registry is covered here without a new test: its options schema must be a
valid draft 2020-12 schema, its docstring must carry a metadata example, empty input must be
empty, its example must parse and survive a JSON round trip, and nonsense must be refused with a
message. Value rules of the individual kinds are in test_field_kind_values.py.

Every kind also has a web face (stageflow.web.field_faces) that answers for it: its value's
schema in the OpenAPI (the example validates against it), how a cell reads, how the card form
holds the value (and gives it back), which filter control and operators it offers; and its traits.
"""
from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_schema_validator import OAS30Validator

from stageflow.core.conditions import default_operators
from stageflow.core.fields import FieldKind, FieldValueError, Storage, default_field_kinds
from stageflow.core.specs import FieldSpec
from stageflow.metadata import SchemaSet
from stageflow.metadata.build import field_spec
from stageflow.web.field_faces import (
    FILTER_OPERATORS,
    FieldFace,
    FieldFaces,
    FilterWidget,
    FormShape,
    default_field_faces,
)

KINDS = default_field_kinds()
KIND_NAMES = KINDS.names()
FACES = FieldFaces(default_field_faces(), KINDS)
WIDGETS_DIR = files("stageflow.web.screens") / "templates" / "stageflow" / "widgets"

# The kinds docs/metadata-format.md promises.
DOCUMENTED_KINDS = {
    "string", "text", "integer", "decimal", "money", "boolean", "date", "datetime", "duration",
    "select", "multiselect", "link", "user", "department", "email", "phone", "url", "file",
    "checklist", "child_table", "computed",
}

# Options that satisfy each kind (every kind not listed takes none); they exercise the $refs too.
CONTRACT_OPTIONS: dict[str, dict[str, Any]] = {
    "select": {"choices": [{"value": "a", "label": {"en": "A", "ru": "А"}, "color": "#00ff00"}, {"value": "b"}]},
    "multiselect": {"choices": [{"value": "a", "label": "A"}, {"value": "b"}]},
    "link": {"entity": "client"},
    "computed": {"formula": "a", "type": "string"},
    "child_table": {"fields": [{"name": "a", "kind": "string", "label": {"en": "A"}}]},
}

# Input each kind must refuse; {"x": 1} is nonsense for scalar kinds. Computed fields coerce
# their formula's result to the declared type, so an integer-typed one is checked.
WRONG_INPUT: dict[str, tuple[Any, dict[str, Any] | None]] = {
    "child_table": ([{"nope": 1}], None),
    "computed": ({"x": 1}, {"formula": "a", "type": "integer"}),
    "checklist": ([{"done": True}], None),
    "multiselect": (["c"], None),
}


def contract_field(kind: str, options: dict[str, Any] | None = None) -> FieldSpec:
    doc = {"name": "x", "kind": kind, "label": "X"}
    opts = CONTRACT_OPTIONS.get(kind) if options is None else options
    if opts:
        doc["options"] = opts
    return field_spec(doc)


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet()


kinds = pytest.mark.parametrize("name", KIND_NAMES)


def test_pl01_every_documented_kind_is_registered():
    assert set(KIND_NAMES) == DOCUMENTED_KINDS


def test_pl01_registries_are_built_fresh_for_each_call():
    assert default_field_kinds() is not KINDS
    assert default_field_kinds().get("string") is not KINDS.get("string")


@kinds
def test_pl01_kind_is_registered_under_its_class_constant(name):
    kind = KINDS.get(name)
    assert isinstance(kind, FieldKind)
    assert type(kind).kind == name
    assert isinstance(type(kind).storage, Storage)


@kinds
def test_pl01_options_schema_is_a_valid_draft_2020_12_schema(name, schemas):
    schema = KINDS.get(name).options_schema
    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object"
    # Through the metadata validator the $refs into common.schema.json / field.schema.json resolve.
    validator = schemas.validator(schema)
    assert list(validator.iter_errors(CONTRACT_OPTIONS.get(name, {}))) == []


@kinds
def test_pl01_options_schema_refuses_unknown_option_keys(name, schemas):
    options = {**CONTRACT_OPTIONS.get(name, {}), "no_such_option": 1}
    assert list(schemas.validator(KINDS.get(name).options_schema).iter_errors(options))


@kinds
def test_pl01_docstring_carries_a_metadata_example(name):
    doc = type(KINDS.get(name)).__doc__ or ""
    assert '{"name"' in doc
    assert f'"kind": "{name}"' in doc


@kinds
def test_pl01_docstring_example_is_a_valid_field(name, schemas):
    doc = type(KINDS.get(name)).__doc__
    start = doc.index('{"name"')
    example, _ = json.JSONDecoder().raw_decode(doc.replace("\n", " ")[start:])
    assert list(schemas.validator(schemas.schema("field.schema.json")).iter_errors(example)) == []
    options_errors = schemas.validator(KINDS.get(name).options_schema).iter_errors(example.get("options", {}))
    assert list(options_errors) == []


def _empty_cases() -> list:
    cases = []
    for name in KIND_NAMES:
        for empty in (None, "", "   "):
            cases.append(pytest.param(name, empty, id=f"{name}-{empty!r}"))
    return cases


@pytest.mark.parametrize(("name", "empty"), _empty_cases())
def test_pl01_empty_input_is_empty(name, empty):
    value = KINDS.get(name).coerce(empty, contract_field(name))
    assert value == ([] if name == "child_table" else None)


@kinds
def test_pl01_example_coerces_and_survives_a_json_round_trip(name):
    kind, field = KINDS.get(name), contract_field(name)
    stored = kind.coerce(kind.example, field)
    assert stored is not None
    text = json.dumps(kind.to_json(stored), ensure_ascii=False)
    assert kind.coerce(json.loads(text), field) == stored


@kinds
def test_pl01_stored_value_is_accepted_again(name):
    # The record service re-validates a record on update, stored values included.
    kind, field = KINDS.get(name), contract_field(name)
    stored = kind.coerce(kind.example, field)
    assert kind.coerce(stored, field) == stored


@kinds
def test_pl01_to_json_of_empty_is_json(name):
    kind = KINDS.get(name)
    empty = kind.coerce(None, contract_field(name))
    json.dumps(kind.to_json(empty))


@kinds
def test_pl01_clearly_wrong_input_is_refused_with_a_message(name):
    value, options = WRONG_INPUT.get(name, ({"x": 1}, None))
    with pytest.raises(FieldValueError) as refused:
        KINDS.get(name).coerce(value, contract_field(name, options))
    assert str(refused.value).strip()


@kinds
def test_pl01_storage_of_returns_a_storage(name):
    assert isinstance(KINDS.get(name).storage_of(contract_field(name)), Storage)


def test_pl01_list_search_looks_into_the_text_kinds_only():
    text_like = {n for n in KIND_NAMES if KINDS.get(n).text_like}
    assert text_like == {"string", "text", "email", "phone", "url", "user"}
    for name in text_like:
        assert KINDS.get(name).storage_of(contract_field(name)) in (Storage.STRING, Storage.TEXT)


@kinds
def test_pl01_string_storage_has_a_length(name):
    kind, field = KINDS.get(name), contract_field(name)
    if kind.storage_of(field) is Storage.STRING:
        assert isinstance(kind.string_length(field), int) and kind.string_length(field) > 0


@kinds
def test_pl01_references_name_only_option_keys(name):
    kind, field = KINDS.get(name), contract_field(name)
    for key, _ref_type, target in kind.references(field):
        assert field.options[key] == target


@kinds
def test_pl01_contract_options_pass_the_kind_meaning_checks(name):
    assert list(KINDS.get(name).check_options(contract_field(name))) == []


def test_pl01_only_computed_kinds_are_not_writable():
    assert {n for n in KIND_NAMES if not KINDS.get(n).writable} == {"computed"}


def test_pl01_computed_storage_follows_its_result_type():
    computed = KINDS.get("computed")
    expected = {"string": Storage.STRING, "integer": Storage.INTEGER, "decimal": Storage.DECIMAL,
                "boolean": Storage.BOOLEAN, "date": Storage.DATE}
    for result_type, storage in expected.items():
        assert computed.storage_of(contract_field("computed", {"formula": "a", "type": result_type})) is storage


def test_pl01_choice_and_link_kinds_report_their_references():
    handbook_select = contract_field("select", {"handbook": "city"})
    assert [(k, t.value, n) for k, t, n in KINDS.get("select").references(handbook_select)] == [
        ("handbook", "handbook", "city")]
    assert [(k, t.value, n) for k, t, n in KINDS.get("link").references(contract_field("link"))] == [
        ("entity", "entity", "client")]
    assert list(KINDS.get("select").references(contract_field("select"))) == []


def test_pl01_duplicate_choices_fail_the_meaning_check():
    field = contract_field("select", {"choices": [{"value": "a"}, {"value": "a"}]})
    assert [key for key, _ in KINDS.get("select").check_options(field)] == ["choices"]


def test_pl01_decimal_scale_above_precision_fails_the_meaning_check():
    field = contract_field("decimal", {"precision": 4, "scale": 6})
    problems = list(KINDS.get("decimal").check_options(field))
    assert [key for key, _ in problems] == ["scale"]
    assert "6" in problems[0][1] and "4" in problems[0][1]


# --- traits and web faces ----------------------------------------------------------------------

def test_pl01_traits_name_the_numbers_the_bulky_kinds_and_the_choices():
    assert {n for n in KIND_NAMES if KINDS.get(n).number} == {"integer", "decimal", "money", "duration"}
    assert {n for n in KIND_NAMES if KINDS.get(n).bulky} == {"text", "multiselect", "file", "checklist", "child_table"}
    assert {n for n in KIND_NAMES if KINDS.get(n).choice} == {"select", "multiselect"}


def test_pl01_a_computed_field_has_its_result_kinds_traits():
    for result_type, number in (("integer", True), ("decimal", True), ("string", False), ("date", False)):
        field = contract_field("computed", {"formula": "a", "type": result_type})
        assert FACES.number(field) is number


def test_pl01_every_registered_kind_has_a_face_of_its_own():
    faces = default_field_faces()
    assert set(faces.names()) == set(KIND_NAMES)
    assert default_field_faces() is not faces  # a fresh registry per call, like the kinds


class _Labels:
    """The words a face may ask for: no users, departments or titles are known."""

    users: dict[str, str] = {}
    departments: dict[str, str] = {}

    def choice_labels(self, spec):
        return {c["value"]: str(c.get("label") or c["value"]) for c in spec.options.get("choices", ())}

    def link_title(self, spec, record_id):
        return None


@kinds
def test_pl01_face_is_registered_under_its_kinds_name(name):
    face = default_field_faces().get(name)
    assert isinstance(face, FieldFace) and type(face).kind == name
    assert isinstance(type(face).card_line, bool) and isinstance(type(face).form_shape, FormShape)


@kinds
def test_pl01_face_schema_describes_the_kinds_json_value(name):
    kind, field = KINDS.get(name), contract_field(name)
    schema = FACES.field_schema(field, "en")
    assert schema["x-stageflow-kind"] == name and schema["title"] == "X"
    value = kind.to_json(kind.coerce(kind.example, field))
    assert [e.message for e in OAS30Validator(schema).iter_errors(value)] == []
    if kind.storage_of(field) is not Storage.NONE:
        assert [e.message for e in OAS30Validator(schema).iter_errors(None)] == []


@kinds
def test_pl01_face_reads_a_value_as_text(name):
    kind, field = KINDS.get(name), contract_field(name)
    text = FACES.face(field).cell_text(field, kind.to_json(kind.coerce(kind.example, field)), _Labels())
    assert isinstance(text, str) and text.strip()


@kinds
def test_pl01_face_form_value_goes_back_through_the_kind(name):
    # What the card's widget holds is what the card posts back: the kind parses it to the same value.
    kind, field = KINDS.get(name), contract_field(name)
    stored = kind.coerce(kind.example, field)
    assert kind.coerce(FACES.form_value(field, kind.to_json(stored)), field) == stored
    assert kind.coerce(FACES.form_value(field, None), field) in (None, [])


@kinds
def test_pl01_face_offers_a_filter_control_with_known_operators(name):
    field = contract_field(name)
    face = FACES.face(field)
    widget = face.filter_widget(field, FACES)
    assert isinstance(widget, FilterWidget)
    operators = default_operators()
    assert all(op in operators for op in FILTER_OPERATORS[widget])
    options = face.filter_options(field, _Labels())
    assert all(isinstance(code, str) and isinstance(label, str) for code, label in options)
    if widget in (FilterWidget.CHOICES, FilterWidget.CONTAINS_CHOICE) and KINDS.get(name).choice:
        assert [code for code, _ in options] == ["a", "b"]


@kinds
def test_pl01_face_widget_template_exists(name):
    face = FACES.face(contract_field(name))
    assert (WIDGETS_DIR / face.widget).is_file()
    assert face.input_type
