"""Frozen specs: the immutable, validated form of an app's metadata.

Metadata documents become specs once, after both validation passes; everything downstream
(tables, the record service, screens) reads specs only.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

Label = str | Mapping[str, str]

# Columns every record table carries; metadata may not declare fields with these names.
SYSTEM_FIELDS = ("id", "version", "created_at", "created_by", "updated_at", "updated_by")
PIPELINE_FIELDS = ("pipeline", "stage", "stage_changed_at")
RESERVED_FIELD_NAMES = frozenset(SYSTEM_FIELDS + PIPELINE_FIELDS)


def freeze(value: Any) -> Any:
    """Deep-freeze JSON data: dicts become read-only mappings, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists again (for JSON output)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def label_text(label: Label | None, locale: str, fallback: str = "en", default: str = "") -> str:
    """The label in ``locale``, else the fallback locale, else any locale, else ``default``."""
    if label is None:
        return default
    if isinstance(label, str):
        return label
    for loc in (locale, fallback, "en"):
        if loc in label:
            return label[loc]
    return next(iter(label.values()), default)


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Right(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"


class RecordScope(StrEnum):
    ALL = "all"
    OWN = "own"
    ASSIGNED = "assigned"
    DEPARTMENT = "department"
    WATCHING = "watching"
    CONDITION = "condition"


class FieldAccess(StrEnum):
    HIDDEN = "hidden"
    READ_ONLY = "read_only"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    label: Label
    required: bool = False
    unique: bool = False
    indexed: bool = False
    searchable: bool = False
    default: Any = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    help: Label | None = None
    # Fields of a child table's rows (kind child_table only).
    children: tuple[FieldSpec, ...] = ()

    def child(self, name: str) -> FieldSpec:
        for f in self.children:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class StageEntry:
    """Where a record may come from into a stage across pipelines: ``stages`` of ``pipeline``,
    or any of its stages when ``stages`` is None."""

    pipeline: str
    stages: tuple[str, ...] | None = None

    def admits(self, pipeline: str, stage: str | None) -> bool:
        return pipeline == self.pipeline and (self.stages is None or stage in self.stages)


@dataclass(frozen=True)
class StageSpec:
    name: str
    label: Label
    kind: StageKind = StageKind.OPEN
    color: str | None = None
    moves_to: tuple[str, ...] | None = None
    required_fields: tuple[str, ...] = ()
    # {"condition", "message"}: what a record must meet to enter.
    entry_condition: Mapping[str, Any] | None = None
    # [{"entity", "link_field", "open", "message"}]: open linked records that keep it here.
    exit_blocked_by: tuple[Mapping[str, Any], ...] = ()
    # Stages of other pipelines a record may come from into this one; None: not declared, so
    # only the pipeline's first stage takes records from outside (see PipelineSpec.admits).
    entry_from: tuple[StageEntry, ...] | None = None


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    entity: str
    label: Label
    stages: tuple[StageSpec, ...]
    default: bool = False

    def stage(self, name: str) -> StageSpec:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def first_stage(self) -> StageSpec:
        return self.stages[0]

    def admits(self, stage: StageSpec, from_pipeline: str | None, from_stage: str | None) -> bool:
        """May a record from outside this pipeline enter ``stage``? A stage that declares
        ``entry_from`` takes records only from the stages it lists; any other stage only if it
        is the first one (the entry stage). A new record comes from nowhere: ``from_pipeline``
        None, so only an undeclared first stage takes it."""
        if stage.entry_from is None:
            return stage.name == self.first_stage.name
        return from_pipeline is not None and any(e.admits(from_pipeline, from_stage) for e in stage.entry_from)

    def entry_stages(self, from_pipeline: str | None, from_stage: str | None) -> tuple[StageSpec, ...]:
        """The stages a record from outside (or a new record, with None) may enter here."""
        return tuple(s for s in self.stages if self.admits(s, from_pipeline, from_stage))


@dataclass(frozen=True)
class HandbookItem:
    code: str
    label: Label
    active: bool = True
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ParentSpec:
    """Where a smart process hangs (PL05): the link ``field`` of the child points at ``entity``."""

    entity: str
    field: str


@dataclass(frozen=True)
class EntitySpec:
    app: str
    name: str
    label: Label
    fields: tuple[FieldSpec, ...]
    label_plural: Label | None = None
    title_field: str | None = None
    layout: Mapping[str, Any] | None = None
    # How screens show the entity: {"list": {"columns", "sort", "page_size"},
    # "board": {"card_fields"}, "calendar": {"date_fields", "color_field"}}; all optional.
    views: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    pipelines: tuple[PipelineSpec, ...] = ()
    # Handbooks are entities too: their rows start as these items and admins add more.
    handbook_items: tuple[HandbookItem, ...] | None = None
    # Record-level constraints ({"kind", "message", ...options}), checked on every write.
    constraints: tuple[Mapping[str, Any], ...] = ()
    # A smart process's parent record (PL05), or None.
    parent: ParentSpec | None = None

    @property
    def is_handbook(self) -> bool:
        return self.handbook_items is not None

    @property
    def table_name(self) -> str:
        return f"{self.app}__{self.name}"

    @property
    def has_pipelines(self) -> bool:
        return bool(self.pipelines)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def pipeline(self, name: str) -> PipelineSpec:
        for p in self.pipelines:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def default_pipeline(self) -> PipelineSpec | None:
        for p in self.pipelines:
            if p.default:
                return p
        return self.pipelines[0] if self.pipelines else None


@dataclass(frozen=True)
class RecordRule:
    scope: RecordScope
    field: str | None = None
    condition: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FieldRule:
    field: str
    access: FieldAccess
    when: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class EntityGrant:
    """What one role may do with one entity."""

    rights: frozenset[Right] = frozenset()
    # None: every record; otherwise any of the rules grants a record.
    records: tuple[RecordRule, ...] | None = None
    fields: tuple[FieldRule, ...] = ()


@dataclass(frozen=True)
class RoleSpec:
    app: str
    name: str
    label: Label
    admin: bool = False
    entities: Mapping[str, EntityGrant] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    label: Label
    parent: str | None = None
    head: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserSpec:
    username: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    locale: str | None = None
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """A rule: trigger + condition + ordered actions over one or more entities."""

    name: str
    label: Label
    entities: tuple[str, ...]
    trigger: Mapping[str, Any]
    actions: tuple[Mapping[str, Any], ...]
    condition: Mapping[str, Any] | None = None
    pipelines: tuple[str, ...] | None = None
    enabled: bool = True

    @property
    def trigger_kind(self) -> str:
        return self.trigger["kind"]


@dataclass(frozen=True)
class AppSpec:
    name: str
    label: Label
    version: str
    entities: Mapping[str, EntitySpec]
    roles: Mapping[str, RoleSpec]
    departments: tuple[DepartmentSpec, ...] = ()
    users: tuple[UserSpec, ...] = ()
    default_locale: str = "en"
    locales: tuple[str, ...] = ()
    description: Any = None
    rules: tuple[RuleSpec, ...] = ()

    def entity(self, name: str) -> EntitySpec:
        return self.entities[name]

    @property
    def pipelines(self) -> tuple[PipelineSpec, ...]:
        return tuple(p for e in self.entities.values() for p in e.pipelines)
