"""The builder's form schemas (PL24): self-contained, as permissive as the metaschema for every
sample document, and made from the kinds, so a kind registered later shows its options."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from stageflow.core.fields import FieldKind, Storage
from stageflow.metadata import SchemaSet
from stageflow.metadata.bundle import document_type
from stageflow.metadata.form_schemas import builder_forms, field_form_schema
from stageflow.runtime import default_kinds

APPS = Path(__file__).resolve().parents[2] / "apps"


@pytest.fixture(scope="module")
def forms():
    return builder_forms(SchemaSet(), default_kinds())


def _all_schemas(forms):
    for group in ("documents", "field_kinds", "triggers", "actions"):
        for name, schema in forms[group].items():
            yield f"{group}/{name}", schema


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_pl24_every_form_schema_is_self_contained_and_valid(forms):
    for where, schema in _all_schemas(forms):
        Draft202012Validator.check_schema(schema)
        for ref in _refs(schema):
            assert ref.startswith("#/definitions/"), (where, ref)
            assert ref.removeprefix("#/definitions/") in schema["definitions"], (where, ref)
        assert None not in schema.get("definitions", {}).values(), where


def _sample_documents():
    for path in sorted(APPS.glob("*/**/*.json")):
        relative = path.relative_to(APPS).parts
        doc_type = document_type("/".join(relative[1:]))
        if doc_type is not None:
            yield pytest.param(doc_type.value, path, id="/".join(relative))


@pytest.mark.parametrize(("doc_type", "path"), list(_sample_documents()))
def test_pl24_every_sample_document_fits_its_form(forms, doc_type, path):
    """A form stricter than the metaschema would refuse documents the platform takes."""
    data = json.loads(path.read_text(encoding="utf-8"))
    errors = [e.message for e in Draft202012Validator(forms["documents"][doc_type]).iter_errors(data)]
    assert errors == []
    for field in data.get("fields", []) if isinstance(data.get("fields"), list) else []:
        schema = forms["field_kinds"][field["kind"]]
        assert [e.message for e in Draft202012Validator(schema).iter_errors(field)] == [], field["name"]


def test_pl24_a_field_form_has_its_kind_and_options(forms):
    link = forms["field_kinds"]["link"]
    assert link["properties"]["kind"] == {"type": "string", "const": "link", "default": "link"}
    assert link["properties"]["options"]["required"] == ["entity"]
    assert link["properties"]["name"]["pattern"]  # the common name rule, inlined
    assert "choices" in forms["field_kinds"]["select"]["properties"]["options"]["properties"]
    assert forms["field_kinds"]["select"]["properties"]["default"] == {}  # any value, as an object


def test_pl24_a_kind_registered_later_shows_its_options_with_no_builder_code():
    class RatingKind(FieldKind):
        kind = "rating"
        storage = Storage.INTEGER
        options_schema = {"type": "object", "additionalProperties": False,
                          "properties": {"stars": {"type": "integer", "minimum": 3, "maximum": 10}}}

    kinds = default_kinds()
    kinds.fields.register(RatingKind())
    schemas = SchemaSet()
    assert field_form_schema(schemas, kinds, "rating")["properties"]["options"]["properties"]["stars"]["maximum"] == 10
    assert "rating" in builder_forms(schemas, replace(kinds))["field_kinds"]


def test_pl24_recursive_condition_trees_become_local_definitions(forms):
    rule = forms["documents"]["rule"]
    condition = rule["definitions"]["common_defs_condition"]
    assert "#/definitions/common_defs_condition" in set(_refs(condition))
