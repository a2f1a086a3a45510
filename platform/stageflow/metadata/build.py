"""Turning validated documents into frozen specs."""
from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ..core.specs import (
    AppSpec,
    DepartmentSpec,
    EntityGrant,
    EntitySpec,
    FieldAccess,
    FieldRule,
    FieldSpec,
    HandbookItem,
    ParentSpec,
    PipelineSpec,
    RecordRule,
    RecordScope,
    Right,
    RoleSpec,
    RuleSpec,
    StageEntry,
    StageKind,
    StageSpec,
    UserSpec,
    freeze,
)
from .bundle import Bundle, DocType


def field_spec(doc: dict[str, Any]) -> FieldSpec:
    options = doc.get("options", {})
    children = ()
    if doc["kind"] == "child_table":
        children = tuple(field_spec(c) for c in options.get("fields", []))
    return FieldSpec(
        name=doc["name"], kind=doc["kind"], label=freeze(doc.get("label", doc["name"])),
        required=doc.get("required", False), unique=doc.get("unique", False),
        indexed=doc.get("indexed", False), searchable=doc.get("searchable", False),
        default=freeze(doc.get("default")), options=freeze(options), help=freeze(doc.get("help")),
        children=children,
    )


def _entries(items: list[dict[str, Any]]) -> tuple[StageEntry, ...]:
    return tuple(StageEntry(pipeline=e["pipeline"], stages=tuple(e["stages"]) if "stages" in e else None)
                 for e in items)


def _pipeline(doc: dict[str, Any]) -> PipelineSpec:
    stages = tuple(
        StageSpec(name=s["name"], label=freeze(s["label"]), kind=StageKind(s.get("kind", "open")),
                  color=s.get("color"),
                  moves_to=tuple(s["moves_to"]) if "moves_to" in s else None,
                  required_fields=tuple(s.get("required_fields", ())),
                  entry_condition=freeze(s.get("entry_condition")),
                  exit_blocked_by=freeze(s.get("exit_blocked_by", ())),
                  entry_from=_entries(s["entry_from"]) if "entry_from" in s else None)
        for s in doc["stages"]
    )
    return PipelineSpec(name=doc["name"], entity=doc["entity"], label=freeze(doc["label"]),
                        stages=stages, default=doc.get("default", False))


def _role(app: str, doc: dict[str, Any]) -> RoleSpec:
    grants = {}
    for entity, grant in doc.get("entities", {}).items():
        records = None
        if "records" in grant:
            records = tuple(RecordRule(scope=RecordScope(r["scope"]), field=r.get("field"),
                                       condition=freeze(r.get("condition"))) for r in grant["records"])
        grants[entity] = EntityGrant(
            rights=frozenset(Right(r) for r in grant.get("rights", ())),
            records=records,
            fields=tuple(FieldRule(field=f["field"], access=FieldAccess(f["access"]),
                                   when=freeze(f.get("when"))) for f in grant.get("fields", ())),
        )
    return RoleSpec(app=app, name=doc["name"], label=freeze(doc["label"]),
                    admin=doc.get("admin", False), entities=MappingProxyType(grants))


def build_app(bundle: Bundle) -> AppSpec:
    manifest = bundle.manifest.data
    app = manifest["name"]
    pipelines = [_pipeline(d.data) for d in bundle.of_type(DocType.PIPELINE)]
    entities: dict[str, EntitySpec] = {}
    for doc in bundle.of_type(DocType.ENTITY):
        data = doc.data
        entities[data["name"]] = EntitySpec(
            app=app, name=data["name"], label=freeze(data["label"]),
            fields=tuple(field_spec(f) for f in data["fields"]),
            label_plural=freeze(data.get("label_plural")), title_field=data.get("title_field"),
            layout=freeze(data.get("layout")),
            views=freeze(data.get("views", {})),
            pipelines=tuple(p for p in pipelines if p.entity == data["name"]),
            constraints=freeze(data.get("constraints", ())),
            parent=ParentSpec(**data["parent"]) if "parent" in data else None,
        )
    for doc in bundle.of_type(DocType.HANDBOOK):
        data = doc.data
        extra = {f["name"] for f in data.get("fields", [])}
        items = tuple(HandbookItem(code=i["code"], label=freeze(i["label"]), active=i.get("active", True),
                                   extra=freeze({k: v for k, v in i.items() if k in extra}))
                      for i in data.get("items", []))
        system = (
            FieldSpec(name="code", kind="string", label={"en": "Code", "ru": "Код"}, required=True,
                      unique=True, searchable=True, options=freeze({"max_length": 100})),
            FieldSpec(name="label", kind="string", label={"en": "Name", "ru": "Название"},
                      required=True, searchable=True),
            FieldSpec(name="sort_order", kind="integer", label={"en": "Order", "ru": "Порядок"}, default=0),
            FieldSpec(name="active", kind="boolean", label={"en": "Active", "ru": "Активен"}, default=True),
        )
        entities[data["name"]] = EntitySpec(
            app=app, name=data["name"], label=freeze(data["label"]),
            fields=system + tuple(field_spec(f) for f in data.get("fields", [])),
            title_field="label", handbook_items=items,
        )
    roles = {d.data["name"]: _role(app, d.data) for d in bundle.of_type(DocType.ROLE)}
    org_docs = bundle.of_type(DocType.ORG)
    org = org_docs[0].data if org_docs else {}
    departments = tuple(
        DepartmentSpec(name=d["name"], label=freeze(d["label"]), parent=d.get("parent"),
                       head=d.get("head"), members=tuple(d.get("members", ())))
        for d in org.get("departments", ())
    )
    users = tuple(
        UserSpec(username=u["username"], full_name=u["full_name"], email=u.get("email"),
                 phone=u.get("phone"), locale=u.get("locale"), roles=tuple(u.get("roles", ())))
        for u in org.get("users", ())
    )
    rules = tuple(
        RuleSpec(name=d.data["name"], label=freeze(d.data["label"]), entities=tuple(d.data["entities"]),
                 trigger=freeze(d.data["trigger"]), actions=freeze(d.data["actions"]),
                 condition=freeze(d.data.get("condition")),
                 pipelines=tuple(d.data["pipelines"]) if "pipelines" in d.data else None,
                 enabled=d.data.get("enabled", True))
        for d in sorted(bundle.of_type(DocType.RULE), key=lambda d: d.data["name"])
    )
    return AppSpec(
        name=app, rules=rules, label=freeze(manifest["label"]), version=manifest["version"],
        entities=MappingProxyType(entities), roles=MappingProxyType(roles),
        departments=departments, users=users,
        default_locale=manifest.get("default_locale", "en"),
        locales=tuple(manifest.get("locales", ())), description=freeze(manifest.get("description")),
    )
