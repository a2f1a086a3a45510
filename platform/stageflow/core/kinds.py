"""The set of registries one engine works with.

The core only declares the set; the composition root (:func:`stageflow.runtime.default_kinds`)
fills it with the field kinds, operators, triggers, actions and constraints of the layers above.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conditions import ConditionEvaluator, Operator
from .fields import FieldKind
from .registry import Registry


@dataclass(frozen=True)
class Kinds:
    fields: Registry[FieldKind]
    operators: Registry[Operator]
    # Trigger and action kinds of the automation engine (Registry[TriggerKind], Registry[ActionKind]).
    triggers: Registry[Any]
    actions: Registry[Any]
    # Record constraint kinds (Registry[ConstraintKind]), checked by the record service.
    constraints: Registry[Any]

    @property
    def conditions(self) -> ConditionEvaluator:
        return ConditionEvaluator(self.operators)
