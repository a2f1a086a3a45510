"""Malformed bundles are refused with exactly the expected problems; the valid mini bundle loads.

Each folder of ``tests/fixtures/invalid/`` is a small complete bundle with one defect (or, for
``reports_every_problem``, several in different documents); ``expected.json`` maps the folder
name to the problems ``check_bundle`` must report, as (path, pointer, code) triples.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from stageflow.core import Code, MetadataError, RecordScope, Right, StageKind
from stageflow.core.fields import Storage
from stageflow.metadata import SchemaSet, check_bundle, load_app_spec
from stageflow.runtime import default_kinds

INVALID = Path(__file__).resolve().parents[1] / "fixtures" / "invalid"
EXPECTED: dict[str, list[dict[str, str]]] = json.loads((INVALID / "expected.json").read_text(encoding="utf-8"))

# "path:/pointer: code message"; the pointer is "/" for a whole document.
PROBLEM_LINE = re.compile(r"^(?P<path>[^:\s]+):(?P<pointer>/[^:]*): (?P<code>[a-z_]+) (?P<message>\S.*)$", re.S)


def _cases() -> list:
    return [pytest.param(name, id=name) for name in sorted(EXPECTED)]


def _triples(problems) -> set[tuple[str, str, str]]:
    return {(p.path, p.pointer, p.code.value) for p in problems}


@pytest.fixture(scope="module")
def kinds():
    return default_kinds()


@pytest.fixture(scope="module")
def schemas():
    return SchemaSet()


# --- the fixture set itself ---------------------------------------------------------------------

def test_every_invalid_folder_has_expectations_and_every_expectation_a_folder():
    folders = {p.name for p in INVALID.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED)
    assert len(folders) >= 36


def test_expected_problems_are_well_formed():
    codes = {c.value for c in Code}
    for name, problems in EXPECTED.items():
        assert problems, f"{name} expects no problem"
        for p in problems:
            assert set(p) == {"path", "pointer", "code"}, name
            assert p["code"] in codes, name
            assert p["pointer"] == "" or p["pointer"].startswith("/"), name


def test_fixture_set_covers_every_validation_code():
    covered = {p["code"] for problems in EXPECTED.values() for p in problems}
    # SEED belongs to loading seed data, not to validating metadata.
    assert covered == {c.value for c in Code} - {Code.SEED.value}


# --- each malformed bundle ----------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases())
def test_invalid_bundle_reports_exactly_the_expected_problems(case, kinds, schemas):
    checked = check_bundle(INVALID / case, kinds, schemas)
    want = {(p["path"], p["pointer"], p["code"]) for p in EXPECTED[case]}
    assert _triples(checked.problems) == want
    assert checked.app is None
    assert not checked.ok


@pytest.mark.parametrize("case", _cases())
def test_each_problem_prints_as_path_pointer_code_message(case, kinds, schemas):
    problems = check_bundle(INVALID / case, kinds, schemas).problems
    assert problems
    for problem in problems:
        line = str(problem)
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert match["path"] == problem.path
        assert match["pointer"] == (problem.pointer or "/")
        assert match["code"] == problem.code.value
        assert match["message"].strip() == problem.message.strip() != ""


def test_one_run_reports_every_problem_of_a_many_defect_bundle(kinds, schemas):
    problems = check_bundle(INVALID / "reports_every_problem", kinds, schemas).problems
    assert len(problems) >= 5
    assert len({p.path for p in problems}) >= 5
    # Shape problems (first pass) and meaning problems (second pass) come from the same run.
    assert {Code.SCHEMA, Code.UNKNOWN_KIND, Code.UNKNOWN_ROLE} <= {p.code for p in problems}


def test_problems_come_back_sorted_by_path_then_pointer(kinds, schemas):
    problems = check_bundle(INVALID / "reports_every_problem", kinds, schemas).problems
    assert problems == sorted(problems)


def test_load_app_spec_raises_metadata_error_carrying_every_problem(kinds, schemas):
    with pytest.raises(MetadataError) as raised:
        load_app_spec(INVALID / "reports_every_problem", kinds, schemas)
    want = {(p["path"], p["pointer"], p["code"]) for p in EXPECTED["reports_every_problem"]}
    assert _triples(raised.value.problems) == want
    assert str(raised.value).splitlines() == [str(p) for p in raised.value.problems]


def test_a_path_that_is_not_a_folder_is_a_missing_manifest(tmp_path, kinds, schemas):
    checked = check_bundle(tmp_path / "nowhere", kinds, schemas)
    assert Code.MISSING_MANIFEST in {p.code for p in checked.problems}
    assert checked.app is None


def test_a_file_that_is_not_utf8_is_a_json_syntax_problem(tmp_path, kinds, schemas, mini_bundle):
    bundle = tmp_path / "mini"
    shutil.copytree(mini_bundle, bundle)
    (bundle / "roles" / "admin.json").write_bytes('{"label": "Админ"}'.encode("cp1251"))
    checked = check_bundle(bundle, kinds, schemas)
    assert ("roles/admin.json", "", "json_syntax") in _triples(checked.problems)


# --- the valid mini bundle ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def mini_app(kinds, schemas, mini_bundle):
    checked = check_bundle(mini_bundle, kinds, schemas)
    assert [str(p) for p in checked.problems] == []
    assert checked.ok and checked.app is not None
    return checked.app


def test_mini_bundle_builds_its_app_spec(mini_app):
    assert mini_app.name == "mini"
    assert mini_app.version == "1.0.0"
    assert dict(mini_app.label) == {"en": "Mini CRM", "ru": "Мини CRM"}
    assert set(mini_app.entities) == {"client", "deal", "city"}
    assert {p.name for p in mini_app.pipelines} == {"sales", "claims"}
    assert set(mini_app.roles) == {"admin", "sales_head", "seller"}


def test_mini_handbook_city_is_an_entity_with_system_fields_and_items(mini_app):
    city = mini_app.entity("city")
    assert city.is_handbook
    assert [f.name for f in city.fields] == ["code", "label", "sort_order", "active"]
    assert city.field("code").required and city.field("code").unique
    assert city.title_field == "label"
    assert [i.code for i in city.handbook_items] == ["msk", "kzn"]
    assert all(i.active for i in city.handbook_items)
    assert not city.has_pipelines


def test_mini_entities_are_not_handbooks_and_keep_field_order(mini_app):
    deal = mini_app.entity("deal")
    assert not deal.is_handbook and not mini_app.entity("client").is_handbook
    assert deal.table_name == "mini__deal"
    assert [f.name for f in deal.fields][:4] == ["title", "client", "amount", "vat"]
    assert deal.field("client").options["entity"] == "client"
    assert deal.field("priority").default == "normal"
    assert [c.name for c in deal.field("creditors").children] == ["creditor", "debt"]
    assert deal.field("creditors").child("creditor").required


def test_mini_pipelines_belong_to_deal_with_sales_as_default(mini_app):
    deal = mini_app.entity("deal")
    assert {p.name for p in deal.pipelines} == {"sales", "claims"}
    assert deal.default_pipeline.name == "sales"
    sales = deal.pipeline("sales")
    assert [s.name for s in sales.stages] == ["new", "qualified", "won", "refused"]
    assert sales.first_stage.name == "new"
    assert sales.stage("won").kind is StageKind.WON
    assert sales.stage("new").moves_to is None  # absent: any stage
    assert sales.stage("refused").required_fields == ("refusal_reason",)
    assert deal.pipeline("claims").stage("received").moves_to == ("fixed",)
    assert mini_app.entity("client").pipelines == ()


def test_mini_roles_carry_rights_record_rules_and_field_rules(mini_app):
    assert mini_app.roles["admin"].admin
    seller = mini_app.roles["seller"].entities["deal"]
    assert seller.rights == {Right.READ, Right.CREATE, Right.UPDATE}
    assert [(r.scope, r.field) for r in seller.records] == [
        (RecordScope.ASSIGNED, "assignee"), (RecordScope.WATCHING, None)]
    hidden = seller.fields[0]
    assert hidden.field == "passport" and hidden.when["op"] == "in"
    assert mini_app.roles["seller"].entities["client"].records is None  # absent: all records


def test_mini_org_has_departments_tree_and_users(mini_app):
    departments = {d.name: d for d in mini_app.departments}
    assert departments["sales"].parent == "head_office"
    assert departments["sales"].members == ("anna", "boris")
    assert [u.username for u in mini_app.users] == ["boss", "anna", "boris", "carl"]
    assert mini_app.users[0].roles == ("admin",)


def test_mini_specs_are_frozen(mini_app):
    deal = mini_app.entity("deal")
    with pytest.raises(FrozenInstanceError):
        deal.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        deal.field("client").options["entity"] = "city"  # type: ignore[index]


def test_mini_field_kinds_resolve_to_storages(mini_app, kinds):
    deal = mini_app.entity("deal")
    assert kinds.fields.get("computed").storage_of(deal.field("vat")) is Storage.DECIMAL
    assert kinds.fields.get("money").storage_of(deal.field("amount")) is Storage.DECIMAL
