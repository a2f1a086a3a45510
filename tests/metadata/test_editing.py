"""Editing an installed bundle as documents (the core of the metadata API)."""
from __future__ import annotations

import pytest

from stageflow.metadata import read_bundle
from stageflow.metadata.editing import (
    EditRefused,
    NoSuchEntity,
    bundle_with_documents,
    bundle_with_field,
    documents_of,
)


@pytest.fixture
def bundle(mini_bundle):
    return read_bundle(mini_bundle, [])


def test_documents_are_copies_keyed_by_path(bundle):
    documents = documents_of(bundle)
    assert "app.json" in documents and "entities/deal.json" in documents
    documents["app.json"]["name"] = "changed"
    assert bundle.manifest.data["name"] == "mini"


def test_adding_a_field_appends_it_and_leaves_the_source_alone(bundle):
    edited = bundle_with_field(bundle, "mini", "deal", {"name": "extra", "kind": "string", "label": "Extra"})
    deal = next(d for d in edited.documents if d.path == "entities/deal.json")
    assert deal.data["fields"][-1]["name"] == "extra"
    original = next(d for d in bundle.documents if d.path == "entities/deal.json")
    assert all(f["name"] != "extra" for f in original.data["fields"])
    assert edited.assets == bundle.assets


@pytest.mark.parametrize("entity, field, error, message", [
    ("ghost", {"name": "x"}, NoSuchEntity, "has no entity 'ghost'"),
    ("deal", ["not", "a", "field"], EditRefused, "expected a field document"),
    ("deal", {"name": "title", "kind": "string"}, EditRefused, "already has a field 'title'"),
])
def test_bad_field_edits_say_what_is_wrong(bundle, entity, field, error, message):
    with pytest.raises(error, match=message):
        bundle_with_field(bundle, "mini", entity, field)


def test_replacing_documents_checks_paths_and_the_manifest(bundle):
    documents = documents_of(bundle)
    with pytest.raises(EditRefused, match="documents/readme.txt"):
        bundle_with_documents(bundle, "mini", {**documents, "readme.txt": {}})
    with pytest.raises(EditRefused, match="manifest of app 'other'"):
        bundle_with_documents(bundle, "other", documents)
    with pytest.raises(EditRefused, match="expected an object"):
        bundle_with_documents(bundle, "mini", {})
    assert len(bundle_with_documents(bundle, "mini", documents).documents) == len(bundle.documents)
