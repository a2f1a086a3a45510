"""The fast path of shape validation never changes its outcome.

``SchemaSet.errors`` asks the compiled validator (jsonschema_rs) first and walks a document with
the jsonschema library only when the compiled one calls it invalid. That is sound only if the
compiled validator never accepts what the library refuses; where it is stricter (Python's ``$``
also matches before a final newline; its e-mail check is a real one) the library has the last
word. Checked here over every document of the fixtures and sample apps (with their field and
trigger/action options) and over edge cases of the patterns and formats the schemas use.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from stageflow.metadata import DocType, SchemaSet, read_bundle
from stageflow.metaschema.upgrades import CURRENT_VERSION, OLDEST_VERSION, upgrade
from stageflow.runtime import default_kinds

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


@pytest.fixture(scope="module")
def schemas():
    return SchemaSet()


def _bundles() -> list[Path]:
    roots = [TESTS / "fixtures", ROOT / "apps"]
    return sorted(p.parent for root in roots for p in root.rglob("app.json"))


def _documents() -> Iterator[tuple[str, DocType, object]]:
    for root in _bundles():
        for doc in read_bundle(root, []).documents:
            data = doc.data
            if isinstance(data, dict) and data.get("schema_version") in range(OLDEST_VERSION, CURRENT_VERSION + 1) \
                    and not isinstance(data.get("schema_version"), bool):
                data = upgrade(data)
            yield f"{root.relative_to(ROOT)}/{doc.path}", doc.type, data
    for path in sorted((TESTS / "fixtures" / "automation").rglob("*_rules/*.json")):
        yield str(path.relative_to(ROOT)), DocType.RULE, json.loads(path.read_text(encoding="utf-8"))


def _fields(data) -> Iterator[dict]:
    for field in data.get("fields", []) if isinstance(data, dict) else []:
        if isinstance(field, dict):
            yield field
            options = field.get("options")
            if isinstance(options, dict) and isinstance(options.get("fields"), list):
                yield from _fields(options)


def _agree(schemas: SchemaSet, schema: dict, data) -> bool:
    """``errors`` (fast path first) gives exactly what the library alone finds."""
    library = list(schemas.detailed_errors(schema, data))
    if schemas.is_valid(schema, data) and library:
        return False
    return schemas.errors(schema, data) == library


def test_both_engines_agree_on_every_document_of_the_fixtures_and_sample_apps(schemas):
    checked = invalid = 0
    for where, doc_type, data in _documents():
        schema = schemas.for_type(doc_type)
        assert _agree(schemas, schema, data), where
        checked += 1
        invalid += not schemas.is_valid(schema, data)
    assert checked > 500 and invalid >= 10


def test_both_engines_agree_on_every_field_and_rule_options(schemas):
    kinds = default_kinds()
    checked = 0
    for where, doc_type, data in _documents():
        for field in _fields(data):
            if field.get("kind") in kinds.fields and isinstance(field.get("options", {}), dict):
                schema = kinds.fields.get(field["kind"]).options_schema
                assert _agree(schemas, schema, field.get("options", {})), f"{where} field {field.get('name')}"
                checked += 1
        if doc_type is DocType.RULE and isinstance(data, dict):
            parts = [(data.get("trigger"), kinds.triggers)] + [(a, kinds.actions) for a in data.get("actions", [])]
            for options, registry in parts:
                if isinstance(options, dict) and options.get("kind") in registry:
                    assert _agree(schemas, registry.get(options["kind"]).options_schema, options), where
                    checked += 1
    assert checked > 1000


@pytest.mark.parametrize("name", ["deal", "a_b2", "a__b", "_a", "A", "a-b", "a" * 31, "abc\n", "", 5, None])
def test_both_engines_agree_on_names(schemas, name):
    assert _agree(schemas, {"$ref": "common.schema.json#/$defs/name"}, name)


@pytest.mark.parametrize("email", ["anna@example.org", "anna", "anna@", "@x", "a b@c.d", 5])
def test_both_engines_agree_on_e_mail_addresses(schemas, email):
    org = {"schema_version": 1, "users": [{"username": "anna", "full_name": "Anna", "email": email}]}
    assert _agree(schemas, schemas.for_type(DocType.ORG), org)


@pytest.mark.parametrize("version", [1, 1.0, True, "1", 2, None])
def test_both_engines_agree_on_schema_version_values(schemas, version):
    app = {"schema_version": version, "name": "x", "label": "X", "version": "1.0.0"}
    assert _agree(schemas, schemas.for_type(DocType.APP), app)
