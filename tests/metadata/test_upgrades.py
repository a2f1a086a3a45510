"""Format versions: older documents are upgraded by pure functions, newer ones are refused.

Version 0 (pre-release) named a field's kind ``type``; ``metaschema/upgrades.py`` turns it into
version 1. The mini bundle rewritten in version 0 must validate, load and export as the very
bytes of the mini bundle (the current format, canonical).
"""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from stageflow.core import Code, MetadataError
from stageflow.metadata import Canonicalizer, SchemaSet, check_bundle
from stageflow.metadata.export import write_bundle
from stageflow.metaschema import upgrades
from stageflow.runtime import create_stageflow, default_kinds


def _fields_to_v0(fields: list[dict]) -> list[dict]:
    out = []
    for field in fields:
        field = {("type" if k == "kind" else k): v for k, v in field.items()}
        if field["type"] == "child_table":
            field["options"] = {**field["options"], "fields": _fields_to_v0(field["options"]["fields"])}
        out.append(field)
    return out


def to_version_0(doc: dict) -> dict:
    """The pre-release form of a version 1 document."""
    old = copy.deepcopy(doc)
    old["schema_version"] = 0
    if "fields" in old:
        old["fields"] = _fields_to_v0(old["fields"])
    return old


def write_version_0(source: Path, target: Path) -> Path:
    for path in sorted(source.rglob("*.json")):
        relative = path.relative_to(source)
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        data = to_version_0(json.loads(path.read_text(encoding="utf-8")))
        (target / relative).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def copy_with_version(source: Path, target: Path, relative: str, version) -> Path:
    """A copy of ``source`` whose document ``relative`` says ``schema_version: version``."""
    shutil.copytree(source, target)
    data = json.loads((target / relative).read_text(encoding="utf-8"))
    data["schema_version"] = version
    (target / relative).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.json"))}


# --- the upgrade functions ---------------------------------------------------------------------

def test_every_older_version_has_its_upgrade_step():
    assert sorted(upgrades.MIGRATIONS) == list(range(upgrades.OLDEST_VERSION, upgrades.CURRENT_VERSION))
    assert upgrades.CURRENT_VERSION == 1 and upgrades.OLDEST_VERSION == 0


def test_migrate_0_to_1_renames_type_to_kind_in_fields_and_child_table_columns():
    old = {"schema_version": 0, "name": "deal", "label": "Deal", "fields": [
        {"name": "title", "type": "string", "label": "Title", "required": True},
        {"name": "vat", "type": "computed", "options": {"formula": "amount * 0.2", "type": "decimal"}},
        {"name": "lines", "type": "child_table", "options": {"fields": [
            {"name": "what", "type": "string"}, {"name": "qty", "type": "integer"}]}},
    ]}
    before = json.dumps(old)
    new = upgrades.migrate_0_to_1(old)
    assert json.dumps(old) == before, "the upgrade must not change its input"
    assert new["schema_version"] == 1
    assert new["fields"][0] == {"name": "title", "kind": "string", "label": "Title", "required": True}
    assert list(new["fields"][0]) == ["name", "kind", "label", "required"]  # same place
    # A computed field's result type is an option, not the field's kind.
    assert new["fields"][1] == {"name": "vat", "kind": "computed",
                                "options": {"formula": "amount * 0.2", "type": "decimal"}}
    assert new["fields"][2]["options"]["fields"] == [{"name": "what", "kind": "string"},
                                                     {"name": "qty", "kind": "integer"}]


def test_migrate_0_to_1_of_a_document_without_fields_only_bumps_the_version():
    old = {"schema_version": 0, "name": "sales", "entity": "deal", "label": "Sales",
           "stages": [{"name": "new", "label": "New"}]}
    assert upgrades.migrate_0_to_1(old) == {**old, "schema_version": 1}


def test_a_field_with_both_type_and_kind_keeps_type_for_the_shape_pass_to_report(tmp_path, mini_bundle):
    bundle = write_version_0(mini_bundle, tmp_path / "old")
    client = json.loads((bundle / "entities/client.json").read_text(encoding="utf-8"))
    client["fields"][0]["kind"] = "string"
    (bundle / "entities/client.json").write_text(json.dumps(client), encoding="utf-8")
    problems = check_bundle(bundle, default_kinds(), SchemaSet()).problems
    # (Documents that link to the refused client report it as unknown too.)
    own = [p for p in problems if p.path == "entities/client.json"]
    assert [(p.pointer, p.code) for p in own] == [("/fields/0", Code.SCHEMA)]
    assert "'type'" in own[0].message


def test_upgrade_leaves_a_current_document_alone_and_refuses_unknown_versions():
    doc = {"schema_version": 1, "name": "x"}
    assert upgrades.upgrade(doc) == doc
    for version in (-1, 2):
        with pytest.raises(ValueError, match=str(version)):
            upgrades.upgrade({"schema_version": version})


# --- old bundles: validate, load, export --------------------------------------------------------

def test_a_version_0_bundle_validates_and_builds_the_same_specs_as_version_1(tmp_path, mini_bundle):
    kinds, schemas = default_kinds(), SchemaSet()
    old = check_bundle(write_version_0(mini_bundle, tmp_path / "old"), kinds, schemas)
    assert [str(p) for p in old.problems] == []
    assert old.app == check_bundle(mini_bundle, kinds, schemas).app
    assert all(d.data["schema_version"] == 1 for d in old.bundle.documents)


def test_a_version_0_bundle_loads_and_exports_in_the_current_format(tmp_path, mini_bundle, sqlite_url):
    old = write_version_0(mini_bundle, tmp_path / "old")
    assert tree(old) != tree(mini_bundle)
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    try:
        assert sf.install(old).revision == 1
        loaded = sf.catalog.get("mini")
        assert loaded.spec.entity("deal").field("client").kind == "link"
        write_bundle(loaded.bundle, tmp_path / "out", Canonicalizer(sf.schemas, sf.kinds), sf.schemas)
    finally:
        sf.close()
    assert tree(tmp_path / "out") == tree(mini_bundle)
    # Loading the current bundle afterwards is no change: the stored revision was already version 1.
    again = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    try:
        assert again.install(mini_bundle).unchanged
    finally:
        again.close()


# --- newer bundles: refused with their own code --------------------------------------------------

def test_a_newer_schema_version_is_refused_with_its_own_code_and_pointer(tmp_path, mini_bundle):
    bundle = copy_with_version(mini_bundle, tmp_path / "b", "entities/deal.json", 2)
    checked = check_bundle(bundle, default_kinds(), SchemaSet())
    # (Documents that refer to the refused deal report it as unknown too.)
    own = [p for p in checked.problems if p.path == "entities/deal.json"]
    assert [(p.pointer, p.code) for p in own] == [("/schema_version", Code.NEWER_SCHEMA_VERSION)]
    assert "schema_version 2 is newer than this Stageflow supports" in own[0].message
    assert Code.NEWER_SCHEMA_VERSION not in {p.code for p in checked.problems if p.path != "entities/deal.json"}
    assert checked.app is None


def test_loading_a_newer_bundle_is_refused_and_stores_nothing(tmp_path, mini_bundle, sqlite_url):
    bundle = copy_with_version(mini_bundle, tmp_path / "b", "app.json", 7)
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    try:
        with pytest.raises(MetadataError) as refused:
            sf.install(bundle)
        assert str(refused.value).startswith("app.json:/schema_version: newer_schema_version schema_version 7 is newer")
        assert sf.catalog.names() == []
    finally:
        sf.close()


@pytest.mark.parametrize("version", ["1", 1.5, True, -1])
def test_a_version_that_is_not_a_supported_whole_number_is_a_schema_version_problem(tmp_path, mini_bundle, version):
    bundle = copy_with_version(mini_bundle, tmp_path / "b", "app.json", version)
    problems = check_bundle(bundle, default_kinds(), SchemaSet()).problems
    assert [(p.path, p.pointer, p.code) for p in problems] == [("app.json", "/schema_version", Code.SCHEMA_VERSION)]
