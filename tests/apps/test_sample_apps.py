"""Every sample app bundle validates, is canonical, and loads with its demo data."""
from __future__ import annotations

import pytest

from stageflow.data.seed import load_seed
from stageflow.metadata import Canonicalizer, SchemaSet, check_bundle, read_bundle, sample_app_paths
from stageflow.metadata.export import canonical_files
from stageflow.runtime import create_stageflow, default_kinds

APPS = {p.name: p for p in sample_app_paths()}


def test_the_three_sample_apps_are_present():
    assert set(APPS) == {"bankruptcy_crm", "it_service", "production"}


@pytest.mark.parametrize("name", sorted(APPS))
def test_sample_app_validates_and_is_canonical(name):
    kinds, schemas = default_kinds(), SchemaSet()
    checked = check_bundle(APPS[name], kinds, schemas)
    assert checked.problems == []
    files = canonical_files(checked.bundle, Canonicalizer(schemas, kinds), schemas)
    for relative, content in files.items():
        assert (APPS[name] / relative).read_bytes() == content, f"{relative} is not canonical (stageflow fmt)"


@pytest.mark.parametrize("name", sorted(APPS))
def test_sample_app_has_a_readme_mapping_requirement_ids(name):
    text = (APPS[name] / "README.md").read_text(encoding="utf-8")
    prefixes = {"bankruptcy_crm": ("BK", "BR", "NS"), "it_service": ("IT",), "production": ("PR",)}[name]
    for prefix in prefixes:
        assert f"{prefix}01" in text


def test_all_sample_apps_load_with_seed_data(db_url, tmp_path):
    sf = create_stageflow(db_url, files_dir=tmp_path / "files")
    for name, path in sorted(APPS.items()):
        sf.install(path)
        counts = load_seed(sf.records, sf.catalog.get(name).spec, read_bundle(path, []).seed)
        assert sum(counts.values()) >= 200, f"{name} seeds only {counts}"
        for entity, count in counts.items():
            assert sf.records.count(sf.system, name, entity) == count
    # Loading again adds nothing (entities with data are not seeded twice).
    for name, path in APPS.items():
        assert load_seed(sf.records, sf.catalog.get(name).spec, read_bundle(path, []).seed) == {}
    sf.close()
