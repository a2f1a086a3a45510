"""Pure core: specs, registries, field kinds, conditions and formulas. No Flask, no sessions."""
from .kinds import Kinds
from .problems import Code, MetadataError, Problem
from .registry import Registry, UnknownKindError
from .specs import (
                    AppSpec,
                    DepartmentSpec,
                    EntityGrant,
                    EntitySpec,
                    FieldAccess,
                    FieldRule,
                    FieldSpec,
                    PipelineSpec,
                    RecordRule,
                    RecordScope,
                    Right,
                    RoleSpec,
                    StageKind,
                    StageSpec,
                    UserSpec,
                    label_text,
)

__all__ = [
    "AppSpec", "Code", "DepartmentSpec", "EntityGrant", "EntitySpec", "FieldAccess", "FieldRule",
    "FieldSpec", "Kinds", "MetadataError", "PipelineSpec", "Problem", "RecordRule", "RecordScope",
    "Registry", "Right", "RoleSpec", "StageKind", "StageSpec", "UnknownKindError", "UserSpec",
    "label_text",
]
