"""The names every record answers to beyond its own fields: the system columns, the pipeline
columns, and the names rules read (``previous.<field>``, ``actor``, ``now``, ``today``).

One vocabulary for filters, rules, reports, templates and the API, so a new system column is
named once (the columns themselves are :data:`~stageflow.core.specs.SYSTEM_FIELDS`).
"""
from __future__ import annotations

from types import MappingProxyType

from .specs import PIPELINE_FIELDS, SYSTEM_FIELDS, EntitySpec, FieldSpec

# The kind each system column reads as, and its default label.
_SYSTEM_KIND_LABELS = {
    "id": ("integer", "ID"),
    "version": ("integer", "Version"),
    "created_at": ("datetime", "Created"),
    "created_by": ("user", "Created by"),
    "updated_at": ("datetime", "Updated"),
    "updated_by": ("user", "Updated by"),
    "pipeline": ("string", "Pipeline"),
    "stage": ("string", "Stage"),
    "stage_changed_at": ("datetime", "Stage changed"),
}
SYSTEM_FIELD_SPECS = MappingProxyType({
    name: FieldSpec(name=name, kind=_SYSTEM_KIND_LABELS[name][0], label=_SYSTEM_KIND_LABELS[name][1])
    for name in SYSTEM_FIELDS})
PIPELINE_FIELD_SPECS = MappingProxyType({
    name: FieldSpec(name=name, kind=_SYSTEM_KIND_LABELS[name][0], label=_SYSTEM_KIND_LABELS[name][1])
    for name in PIPELINE_FIELDS})
# The kind of every column the system writes (system and pipeline columns alike).
SYSTEM_KINDS = MappingProxyType({name: kind for name, (kind, _label) in _SYSTEM_KIND_LABELS.items()})
# Keys of a record the system sets; a client sending a record back may leave them in.
SYSTEM_SET_KEYS = frozenset(SYSTEM_FIELDS) | {"stage_changed_at"}
# Names a rule reads besides the record's fields.
SPECIAL_NAMES = frozenset({"actor", "now", "today"})


def queryable_fields(entity: EntitySpec) -> dict[str, FieldSpec]:
    """The fields a filter, sort or condition over ``entity`` may name, system columns first."""
    fields = dict(SYSTEM_FIELD_SPECS)
    if entity.has_pipelines:
        fields.update(PIPELINE_FIELD_SPECS)
    fields.update({f.name: f for f in entity.fields if f.kind != "child_table"})
    return fields


def rule_names(entity: EntitySpec) -> set[str]:
    """Every name a rule over this entity may read."""
    fields = set(queryable_fields(entity))
    return fields | {f"previous.{f}" for f in fields} | SPECIAL_NAMES
