"""The set of registries one engine works with, built by a factory (no module globals)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conditions import ConditionEvaluator, Operator, default_operators
from .fields import FieldKind, default_field_kinds
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


def default_kinds() -> Kinds:
    # The automation kinds import the data layer; loading them here, at call time, keeps the
    # core importable on its own.
    from ..automation.actions import default_actions
    from ..automation.triggers import default_triggers
    from ..data.constraints import default_constraints

    return Kinds(fields=default_field_kinds(), operators=default_operators(),
                 triggers=default_triggers(), actions=default_actions(), constraints=default_constraints())
