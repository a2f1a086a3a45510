"""Meaning checks of the documents later features read: reports, dashboards, document templates
and public forms.

Their formats are settled only as far as those features are known today, so the checks are the
cheap ones: the entity, fields, stages, reports and template files they name must exist, a date
bucket needs a date field, and a sum or average needs a number field.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.problems import Code, pointer
from ..core.system_fields import SYSTEM_KINDS
from .bundle import DocType, Document

if TYPE_CHECKING:
    from .meaning import MeaningChecker

# Kinds of a handbook's own columns.
HANDBOOK_KINDS = {"code": "string", "label": "string", "sort_order": "integer", "active": "boolean"}
DATE_KINDS = frozenset({"date", "datetime"})
NUMBER_KINDS = frozenset({"integer", "decimal", "money", "duration"})
NUMBER_RESULTS = frozenset({"integer", "decimal"})


def check_feature_documents(checker: MeaningChecker) -> None:
    reports = {d.data["name"] for d in checker.of_type(DocType.REPORT)}
    for doc in checker.of_type(DocType.REPORT):
        _check_report(checker, doc)
    for doc in checker.of_type(DocType.DASHBOARD):
        for i, widget in enumerate(doc.data["widgets"]):
            if widget["report"] not in reports:
                checker.report(doc.path, pointer("widgets", i, "report"), Code.UNKNOWN_REPORT,
                               f"{widget['report']!r} is not a report of this app")
    for doc in checker.of_type(DocType.TEMPLATE):
        _known_entity(checker, doc)
        if f"templates/{doc.data['file']}" not in checker.bundle.assets:
            checker.report(doc.path, "/file", Code.BAD_REFERENCE,
                           f"templates/{doc.data['file']} is not in the bundle")
    for doc in checker.of_type(DocType.FORM):
        _check_form(checker, doc)


def _known_entity(checker: MeaningChecker, doc: Document, handbooks: bool = True) -> Document | None:
    """The entity (or handbook) document the feature document names, or None after a problem."""
    name = doc.data["entity"]
    target = checker.entities.get(name) or (checker.handbooks.get(name) if handbooks else None)
    if target is None:
        code = Code.BAD_REFERENCE if name in checker.handbooks else Code.UNKNOWN_ENTITY
        checker.report(doc.path, "/entity", code, f"{name!r} is not an entity of this app")
    return target


def _kinds_of(checker: MeaningChecker, target: Document) -> dict[str, str]:
    """Field name → kind for every field a record of ``target`` has, system fields included."""
    known = checker.field_names(target)
    kinds = {**SYSTEM_KINDS, **(HANDBOOK_KINDS if target.type is DocType.HANDBOOK else {})}
    kinds = {name: kind for name, kind in kinds.items() if name in known}
    for field in target.data.get("fields", []):
        kind = field["kind"]
        if kind == "computed" and field.get("options", {}).get("type") in NUMBER_RESULTS:
            kind = "decimal"
        kinds[field["name"]] = kind
    return kinds


def _check_report(checker: MeaningChecker, doc: Document) -> None:
    target = _known_entity(checker, doc)
    if target is None:
        return
    data, entity = doc.data, target.data["name"]
    kinds = _kinds_of(checker, target)
    if "filter" in data:
        checker.check_condition(doc, "/filter", data["filter"], set(kinds),
                                {f["name"]: f for f in target.data.get("fields", [])})
    for i, group in enumerate(data.get("group_by", [])):
        at = pointer("group_by", i, "field")
        if group["field"] not in kinds:
            checker.report(doc.path, at, Code.UNKNOWN_FIELD, f"{group['field']!r} is not a field of {entity!r}")
        elif "bucket" in group and kinds[group["field"]] not in DATE_KINDS:
            checker.report(doc.path, pointer("group_by", i, "bucket"), Code.BAD_REFERENCE,
                           f"a {group['bucket']} bucket needs a date or datetime field; "
                           f"{group['field']!r} is a {kinds[group['field']]} field")
    checker.duplicates(doc, ((pointer("measures", i, "name"), m["name"])
                              for i, m in enumerate(data["measures"])), "measure")
    for i, measure in enumerate(data["measures"]):
        _check_measure(checker, doc, i, measure, kinds, entity)


def _check_measure(checker: MeaningChecker, doc: Document, i: int, measure: dict[str, Any],
                   kinds: dict[str, str], entity: str) -> None:
    if "field" not in measure:
        return
    at = pointer("measures", i, "field")
    name = measure["field"]
    if name not in kinds:
        checker.report(doc.path, at, Code.UNKNOWN_FIELD, f"{name!r} is not a field of {entity!r}")
    elif measure["aggregate"] != "count" and kinds[name] not in NUMBER_KINDS:
        checker.report(doc.path, at, Code.BAD_REFERENCE,
                       f"{measure['aggregate']} needs a number field; {name!r} is a {kinds[name]} field")


def _check_form(checker: MeaningChecker, doc: Document) -> None:
    target = _known_entity(checker, doc, handbooks=False)
    if target is None:
        return
    entity = target.data["name"]
    declared = {f["name"]: f for f in target.data["fields"]}
    checker.duplicates(doc, ((pointer("fields", i, "field"), f["field"])
                              for i, f in enumerate(doc.data["fields"])), "form field")
    for i, item in enumerate(doc.data["fields"]):
        field = declared.get(item["field"])
        if field is None:
            checker.report(doc.path, pointer("fields", i, "field"), Code.UNKNOWN_FIELD,
                           f"{item['field']!r} is not a field of {entity!r} that a form can fill")
        elif field["kind"] == "computed":
            checker.report(doc.path, pointer("fields", i, "field"), Code.BAD_REFERENCE,
                           f"{item['field']!r} is computed; a form cannot fill it")
    if "target" in doc.data:
        _check_form_target(checker, doc, entity)


def _check_form_target(checker: MeaningChecker, doc: Document, entity: str) -> None:
    pipelines = [p.data for p in checker.pipelines if p.data["entity"] == entity]
    wanted = doc.data["target"].get("pipeline")
    if wanted is None:
        pipeline = next((p for p in pipelines if p.get("default")), pipelines[0] if pipelines else None)
        if pipeline is None:
            checker.report(doc.path, "/target", Code.BAD_REFERENCE, f"{entity!r} has no pipeline to move to")
            return
    else:
        pipeline = next((p for p in pipelines if p["name"] == wanted), None)
        if pipeline is None:
            checker.report(doc.path, "/target/pipeline", Code.BAD_REFERENCE,
                           f"{wanted!r} is not a pipeline of {entity!r}")
            return
    stage = doc.data["target"]["stage"]
    if stage not in {s["name"] for s in pipeline["stages"]}:
        checker.report(doc.path, "/target/stage", Code.UNKNOWN_STAGE,
                       f"{stage!r} is not a stage of pipeline {pipeline['name']!r}")
