"""Canonical form: schema key order, defaults left out, UTF-8, two-space indent, trailing newline.

The mini bundle is kept canonical, so writing any of its documents back must give the very same
bytes; a scrambled copy must come back in canonical order.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stageflow.metadata import Canonicalizer, DocType, SchemaSet, read_bundle
from stageflow.runtime import default_kinds

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "mini"
MINI_FILES = sorted(p.relative_to(MINI).as_posix() for p in MINI.rglob("*.json"))
# Values keyed by locale or by name: their order is the author's, never the schema's.
FREE_ORDER_KEYS = {"label", "label_plural", "help", "description", "entities"}


@pytest.fixture(scope="module")
def schemas():
    return SchemaSet()


@pytest.fixture(scope="module")
def canon(schemas):
    return Canonicalizer(schemas, default_kinds())


@pytest.fixture(scope="module")
def mini_types():
    problems: list = []
    bundle = read_bundle(MINI, problems)
    assert problems == []
    return {d.path: d.type for d in bundle.documents}


def dumps(canon, schemas, data, doc_type: DocType) -> str:
    return canon.dumps(data, schemas.for_type(doc_type))


def scrambled(value, key: str | None = None):
    """Every object's keys reversed (except locale/name maps), recursively."""
    if isinstance(value, dict):
        items = [(k, scrambled(v, k)) for k, v in value.items()]
        return dict(items if key in FREE_ORDER_KEYS else reversed(items))
    if isinstance(value, list):
        return [scrambled(v) for v in value]
    return value


def test_mini_bundle_has_documents_of_every_core_type(mini_types):
    assert set(MINI_FILES) == set(mini_types)
    assert {DocType.APP, DocType.ORG, DocType.ENTITY, DocType.HANDBOOK, DocType.PIPELINE,
            DocType.ROLE} <= set(mini_types.values())


@pytest.mark.parametrize("relative", MINI_FILES)
def test_canonical_output_of_a_mini_file_is_byte_identical(relative, canon, schemas, mini_types):
    raw = (MINI / relative).read_bytes()
    out = dumps(canon, schemas, json.loads(raw), mini_types[relative])
    assert out.encode("utf-8") == raw


@pytest.mark.parametrize("relative", MINI_FILES)
def test_scrambled_keys_come_back_in_schema_order(relative, canon, schemas, mini_types):
    raw = (MINI / relative).read_text(encoding="utf-8")
    mixed = scrambled(json.loads(raw))
    assert json.dumps(mixed) != json.dumps(json.loads(raw)) or len(json.loads(raw)) < 2
    assert dumps(canon, schemas, mixed, mini_types[relative]) == raw


@pytest.mark.parametrize("relative", MINI_FILES)
def test_canonical_form_is_idempotent(relative, canon, schemas, mini_types):
    once = dumps(canon, schemas, scrambled(json.loads((MINI / relative).read_bytes())), mini_types[relative])
    assert dumps(canon, schemas, json.loads(once), mini_types[relative]) == once


def test_field_keys_follow_the_field_schema_order(canon, schemas):
    field = {"options": {"max_length": 80}, "searchable": True, "required": True, "help": "h",
             "label": "Title", "kind": "string", "name": "title", "default": "x"}
    doc = {"fields": [field], "label": "Deal", "name": "deal", "schema_version": 1}
    out = json.loads(dumps(canon, schemas, doc, DocType.ENTITY))
    assert list(out) == ["schema_version", "name", "label", "fields"]
    assert list(out["fields"][0]) == ["name", "kind", "label", "help", "required", "searchable",
                                      "default", "options"]


def test_condition_leaf_keys_follow_field_op_value(canon, schemas):
    role = {"schema_version": 1, "name": "r", "label": "R", "entities": {"deal": {"fields": [
        {"when": {"any": [{"value": 1, "op": "gt", "field": "amount"}]}, "access": "hidden", "field": "x"}]}}}
    rule = json.loads(dumps(canon, schemas, role, DocType.ROLE))["entities"]["deal"]["fields"][0]
    assert list(rule) == ["field", "access", "when"]
    assert list(rule["when"]["any"][0]) == ["field", "op", "value"]


def test_defaults_are_dropped(canon, schemas):
    entity = {"schema_version": 1, "name": "deal", "label": "Deal", "fields": [
        {"name": "title", "kind": "string", "required": False, "unique": False, "indexed": False,
         "searchable": False, "options": {}},
        {"name": "notes", "kind": "text", "options": {}},
    ]}
    out = json.loads(dumps(canon, schemas, entity, DocType.ENTITY))
    assert out["fields"] == [{"name": "title", "kind": "string"}, {"name": "notes", "kind": "text"}]


def test_kind_option_defaults_are_dropped_inside_options(canon, schemas):
    entity = {"schema_version": 1, "name": "deal", "label": "Deal", "fields": [
        {"name": "title", "kind": "string", "options": {"max_length": 255}},
        {"name": "rate", "kind": "decimal", "options": {"precision": 18, "scale": 4}},
        {"name": "amount", "kind": "money", "options": {"currency": "RUB"}},
        {"name": "scans", "kind": "file", "options": {"multiple": False, "accept": [".pdf"]}},
        {"name": "lines", "kind": "child_table", "options": {"fields": [
            {"name": "what", "kind": "string", "required": False, "options": {"max_length": 255}}]}},
    ]}
    fields = json.loads(dumps(canon, schemas, entity, DocType.ENTITY))["fields"]
    assert fields[0] == {"name": "title", "kind": "string"}
    assert fields[1]["options"] == {"scale": 4}
    assert "options" not in fields[2]
    assert fields[3]["options"] == {"accept": [".pdf"]}
    assert fields[4]["options"] == {"fields": [{"name": "what", "kind": "string"}]}


def test_values_differing_from_defaults_are_kept(canon, schemas):
    entity = {"schema_version": 1, "name": "deal", "label": "Deal", "fields": [
        {"name": "title", "kind": "string", "required": True, "options": {"max_length": 120}},
        {"name": "rate", "kind": "decimal", "options": {"precision": 10, "scale": 2}},
        {"name": "amount", "kind": "money", "options": {"currency": "EUR"}},
    ]}
    fields = json.loads(dumps(canon, schemas, entity, DocType.ENTITY))["fields"]
    assert fields[0] == {"name": "title", "kind": "string", "required": True, "options": {"max_length": 120}}
    assert fields[1]["options"] == {"precision": 10}
    assert fields[2]["options"] == {"currency": "EUR"}


def test_a_field_default_value_is_data_not_a_schema_default(canon, schemas):
    entity = {"schema_version": 1, "name": "deal", "label": "Deal", "fields": [
        {"name": "flag", "kind": "boolean", "default": False},
        {"name": "count", "kind": "integer", "default": 0}]}
    fields = json.loads(dumps(canon, schemas, entity, DocType.ENTITY))["fields"]
    assert fields[0]["default"] is False
    assert fields[1]["default"] == 0


def test_stage_kind_open_and_pipeline_default_false_are_dropped(canon, schemas):
    pipeline = {"schema_version": 1, "name": "sales", "entity": "deal", "label": "Sales",
                "default": False, "stages": [{"name": "new", "label": "New", "kind": "open",
                                              "required_fields": []},
                                             {"name": "won", "label": "Won", "kind": "won"}]}
    out = json.loads(dumps(canon, schemas, pipeline, DocType.PIPELINE))
    assert "default" not in out
    assert out["stages"] == [{"name": "new", "label": "New"}, {"name": "won", "label": "Won", "kind": "won"}]
    pipeline["default"] = True
    assert json.loads(dumps(canon, schemas, pipeline, DocType.PIPELINE))["default"] is True


def test_org_handbook_and_role_defaults_are_dropped(canon, schemas):
    org = {"schema_version": 1, "departments": [{"name": "d", "label": "D", "members": []}],
           "users": [{"username": "u", "full_name": "U", "roles": []}]}
    assert json.loads(dumps(canon, schemas, org, DocType.ORG)) == {
        "schema_version": 1, "departments": [{"name": "d", "label": "D"}],
        "users": [{"username": "u", "full_name": "U"}]}
    handbook = {"schema_version": 1, "name": "city", "label": "City", "fields": [],
                "items": [{"code": "msk", "label": "Moscow", "active": True},
                          {"code": "old", "label": "Old", "active": False}]}
    assert json.loads(dumps(canon, schemas, handbook, DocType.HANDBOOK))["items"] == [
        {"code": "msk", "label": "Moscow"}, {"code": "old", "label": "Old", "active": False}]
    role = {"schema_version": 1, "name": "r", "label": "R", "admin": False, "entities": {}}
    assert json.loads(dumps(canon, schemas, role, DocType.ROLE)) == {"schema_version": 1, "name": "r", "label": "R"}


def test_absent_records_and_empty_records_stay_different(canon, schemas):
    # Absent "records" means every record; an empty list means none. Only "rights": [] is a default.
    role = {"schema_version": 1, "name": "r", "label": "R",
            "entities": {"deal": {"rights": [], "records": []}}}
    out = json.loads(dumps(canon, schemas, role, DocType.ROLE))
    assert out["entities"] == {"deal": {"records": []}}


def test_label_locale_order_is_kept(canon, schemas):
    doc = {"schema_version": 1, "name": "deal", "label": {"ru": "Сделка", "en": "Deal", "de": "Geschäft"},
           "fields": [{"name": "t", "kind": "string", "label": {"ru": "Т", "en": "T"}}]}
    out = json.loads(dumps(canon, schemas, doc, DocType.ENTITY))
    assert list(out["label"]) == ["ru", "en", "de"]
    assert list(out["fields"][0]["label"]) == ["ru", "en"]


def test_role_entity_map_keeps_author_order(canon, schemas):
    role = {"schema_version": 1, "name": "r", "label": "R",
            "entities": {"deal": {"rights": ["read"]}, "city": {"rights": ["read"]}, "client": {"rights": ["read"]}}}
    assert list(json.loads(dumps(canon, schemas, role, DocType.ROLE))["entities"]) == ["deal", "city", "client"]


def test_output_is_utf8_two_space_indented_with_one_trailing_newline(canon, schemas):
    doc = {"schema_version": 1, "name": "deal", "label": {"en": "Deal", "ru": "Сделка"},
           "fields": [{"name": "t", "kind": "string", "label": "Заголовок «№1»"}]}
    out = dumps(canon, schemas, doc, DocType.ENTITY)
    assert "Сделка" in out and "Заголовок «№1»" in out
    assert "\\u" not in out
    assert out.endswith("}\n") and not out.endswith("\n\n")
    assert out.splitlines()[1] == '  "schema_version": 1,'
    out.encode("utf-8")  # no lone surrogates


def test_document_does_not_change_its_input(canon, schemas):
    doc = {"label": "Deal", "name": "deal", "schema_version": 1,
           "fields": [{"kind": "string", "name": "t", "required": False}]}
    before = json.dumps(doc)
    canon.document(doc, schemas.for_type(DocType.ENTITY))
    assert json.dumps(doc) == before
