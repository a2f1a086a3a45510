"""Smart-process parents (PL05) and the documents later features read: reports (PL16),
dashboards, document templates (PL15) and public forms (PL19).

The mini bundle gets one of each, written canonically; the bundle must validate, build the
parent into the entity spec, and load then export byte-identical (the .docx template included).
The malformed cases are bundles under ``tests/fixtures/invalid/`` (``parent_*``, ``report_*``,
``dashboard_*``, ``template_*``, ``form_*``).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stageflow.core import Code
from stageflow.core.specs import ParentSpec
from stageflow.metadata import Canonicalizer, DocType, SchemaSet, check_bundle
from stageflow.metadata.export import write_bundle
from stageflow.runtime import create_stageflow, default_kinds

REPORT = {
    "schema_version": 1, "name": "deals_by_month", "label": {"en": "Deals by month", "ru": "Сделки по месяцам"},
    "entity": "deal", "filter": {"all": [{"field": "amount", "op": "gt", "value": 0},
                                         {"field": "stage", "op": "ne", "value": "refused"}]},
    "group_by": [{"field": "created_at", "bucket": "month"}, {"field": "assignee"}],
    "measures": [{"name": "deals", "aggregate": "count"},
                 {"name": "amount", "aggregate": "sum", "field": "amount", "label": {"en": "Amount", "ru": "Сумма"}},
                 {"name": "average_vat", "aggregate": "avg", "field": "vat"},
                 {"name": "with_due_date", "aggregate": "count", "field": "due"}],
}
DASHBOARD = {"schema_version": 1, "name": "sales", "label": "Sales", "widgets": [
    {"report": "deals_by_month", "chart": "bar"},
    {"report": "deals_by_month", "chart": "number", "label": "Deals", "options": {"measure": "deals"}}]}
TEMPLATE = {"schema_version": 1, "name": "contract", "label": {"en": "Contract", "ru": "Договор"},
            "entity": "deal", "file": "contract.docx"}
FORM = {"schema_version": 1, "name": "questionnaire", "label": "Questionnaire", "entity": "deal",
        "fields": [{"field": "notes", "label": {"en": "Tell us about your debts"}}, {"field": "due", "required": True}],
        "target": {"pipeline": "sales", "stage": "qualified"}, "thank_you": {"en": "Thank you!", "ru": "Спасибо!"}}
DOCUMENTS = {"reports/deals_by_month.json": (DocType.REPORT, REPORT),
             "dashboards/sales.json": (DocType.DASHBOARD, DASHBOARD),
             "templates/contract.json": (DocType.TEMPLATE, TEMPLATE),
             "forms/questionnaire.json": (DocType.FORM, FORM)}
DOCX = b"PK\x03\x04 a .docx is a zip; validation only needs it to be there"


@pytest.fixture(scope="module")
def schemas():
    return SchemaSet()


@pytest.fixture(scope="module")
def kinds():
    return default_kinds()


@pytest.fixture
def bundle(tmp_path, mini_bundle, schemas, kinds) -> Path:
    """The mini bundle plus a parent on deal and one document of each later feature, canonical."""
    root = tmp_path / "mini"
    shutil.copytree(mini_bundle, root)
    canon = Canonicalizer(schemas, kinds)
    deal = json.loads((root / "entities/deal.json").read_text(encoding="utf-8"))
    deal["parent"] = {"entity": "client", "field": "client"}
    (root / "entities/deal.json").write_text(canon.dumps(deal, schemas.for_type(DocType.ENTITY)), encoding="utf-8")
    for relative, (doc_type, data) in DOCUMENTS.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(canon.dumps(data, schemas.for_type(doc_type)), encoding="utf-8")
    (root / "templates/contract.docx").write_bytes(DOCX)
    return root


def test_pl05_pl16_feature_documents_and_a_parent_validate(bundle, kinds, schemas):
    checked = check_bundle(bundle, kinds, schemas)
    assert [str(p) for p in checked.problems] == []
    assert {d.type for d in checked.bundle.documents} >= {DocType.REPORT, DocType.DASHBOARD, DocType.TEMPLATE,
                                                          DocType.FORM}
    assert checked.bundle.assets == {"templates/contract.docx": DOCX}


def test_pl05_the_parent_is_carried_into_the_entity_spec(bundle, kinds, schemas):
    app = check_bundle(bundle, kinds, schemas).app
    assert app.entity("deal").parent == ParentSpec(entity="client", field="client")
    assert app.entity("client").parent is None
    assert app.entity("city").parent is None


def test_canonical_key_order_of_the_feature_documents_follows_their_schemas(bundle, kinds, schemas):
    canon = Canonicalizer(schemas, kinds)
    for relative, (doc_type, data) in DOCUMENTS.items():
        scrambled = dict(reversed(list(data.items())))
        assert canon.dumps(scrambled, schemas.for_type(doc_type)) == (bundle / relative).read_text(encoding="utf-8")
    report = json.loads((bundle / "reports/deals_by_month.json").read_text(encoding="utf-8"))
    assert list(report) == ["schema_version", "name", "label", "entity", "filter", "group_by", "measures"]
    assert list(report["measures"][1]) == ["name", "aggregate", "field", "label"]
    form = json.loads((bundle / "forms/questionnaire.json").read_text(encoding="utf-8"))
    assert form["fields"][1] == {"field": "due", "required": True}
    deal = json.loads((bundle / "entities/deal.json").read_text(encoding="utf-8"))
    assert list(deal)[:5] == ["schema_version", "name", "label", "title_field", "parent"]


def test_pl05_pl15_load_then_export_keeps_the_feature_documents_byte_identical(bundle, tmp_path, sqlite_url):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    try:
        sf.install(bundle)
        loaded = sf.catalog.get("mini")
        assert loaded.spec.entity("deal").parent == ParentSpec("client", "client")
        write_bundle(loaded.bundle, tmp_path / "out", Canonicalizer(sf.schemas, sf.kinds), sf.schemas)
    finally:
        sf.close()
    written = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes()
               for p in (tmp_path / "out").rglob("*") if p.is_file()}
    expected = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert written == expected


def test_a_parent_that_is_a_handbook_or_the_entity_itself_is_refused(tmp_path, mini_bundle, kinds, schemas):
    root = tmp_path / "b"
    shutil.copytree(mini_bundle, root)
    client = json.loads((root / "entities/client.json").read_text(encoding="utf-8"))
    client["fields"].append({"name": "referrer", "kind": "link", "options": {"entity": "client"}})
    client["fields"].append({"name": "home_city", "kind": "link", "options": {"entity": "city"}})
    client["parent"] = {"entity": "city", "field": "home_city"}
    (root / "entities/client.json").write_text(json.dumps(client), encoding="utf-8")
    problems = check_bundle(root, kinds, schemas).problems
    assert [(p.path, p.pointer, p.code) for p in problems] == [
        ("entities/client.json", "/parent/entity", Code.BAD_REFERENCE)]
    client["parent"] = {"entity": "client", "field": "referrer"}
    (root / "entities/client.json").write_text(json.dumps(client), encoding="utf-8")
    problems = check_bundle(root, kinds, schemas).problems
    assert [(p.path, p.pointer, p.code) for p in problems] == [("entities/client.json", "/parent/entity", Code.CYCLE)]
    assert "client -> client" in problems[0].message


def test_report_filter_and_form_target_are_checked_against_the_entity(bundle, kinds, schemas):
    report = json.loads((bundle / "reports/deals_by_month.json").read_text(encoding="utf-8"))
    report["filter"] = {"field": "closed_on", "op": "eq", "value": 1}
    (bundle / "reports/deals_by_month.json").write_text(json.dumps(report), encoding="utf-8")
    form = json.loads((bundle / "forms/questionnaire.json").read_text(encoding="utf-8"))
    form["target"] = {"pipeline": "support", "stage": "new"}
    form["fields"].append({"field": "vat"})
    (bundle / "forms/questionnaire.json").write_text(json.dumps(form), encoding="utf-8")
    problems = {(p.path, p.pointer, p.code) for p in check_bundle(bundle, kinds, schemas).problems}
    assert problems == {
        ("reports/deals_by_month.json", "/filter/field", Code.UNKNOWN_FIELD),
        ("forms/questionnaire.json", "/target/pipeline", Code.BAD_REFERENCE),
        ("forms/questionnaire.json", "/fields/2/field", Code.BAD_REFERENCE),  # vat is computed
    }
