"""What a rule's condition, templates and formulas see: the record, its previous values, who
acted, and the time. Conditions may compare with another value: ``{"ref": "previous.stage"}``.

Names: the record's fields (``amount``), ``previous.<field>`` (before this change), ``actor``
(who made the change), ``now`` and ``today``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..core.conditions import ConditionEvaluator
from ..core.fields import FieldValueError
from ..core.kinds import Kinds
from ..core.specs import EntitySpec
from ..core.system_fields import queryable_fields

MAX_TEMPLATE_OUTPUT = 20_000


class RuleScope:
    """The values of one rule evaluation, typed as the fields store them."""

    def __init__(self, kinds: Kinds, entity: EntitySpec, record: Mapping[str, Any],
                 previous: Mapping[str, Any], actor: str | None, now: dt.datetime):
        self.kinds, self.entity = kinds, entity
        self.fields = queryable_fields(entity)
        self.values: dict[str, Any] = {}
        for name, spec in self.fields.items():
            self.values[name] = self._typed(spec, record.get(name))
        for name, old in previous.items():
            if name in self.fields:
                self.values[f"previous.{name}"] = self._typed(self.fields[name], old)
        self.values.update(actor=actor, now=now, today=now.date())
        self.json_record = dict(record)

    def apply(self, changes: Mapping[str, Any]) -> None:
        """A rule's own write: its later actions read the new values (JSON values in)."""
        for name, value in changes.items():
            if name in self.fields:
                self.values[name] = self._typed(self.fields[name], value)
        self.json_record.update(changes)

    def with_payload(self, payload: Mapping[str, Any], prefix: str = "payload") -> RuleScope:
        """Add an inbound payload as ``payload.<key>`` (nested keys joined with dots)."""
        for key, value in payload.items():
            name = f"{prefix}.{key}"
            if isinstance(value, Mapping):
                self.with_payload(value, name)
            else:
                self.values[name] = value
        self.json_payload = dict(payload)
        return self

    def _typed(self, spec, value):
        kind = self.kinds.fields.get(spec.kind)
        if spec.kind == "computed":
            kind = kind.result_kind(spec)
        try:
            return kind.coerce(value, spec) if spec.kind != "child_table" else value
        except (FieldValueError, TypeError):
            return value

    def operand(self, name: str, value: Any) -> Any:
        base = name.removeprefix("previous.")
        if isinstance(value, Mapping) and "ref" in value:
            return self.values.get(value["ref"])
        spec = self.fields.get(base)
        if spec is None or value is None:
            return value
        if isinstance(value, list):
            return [self._typed(spec, v) for v in value]
        return self._typed(spec, value)

    def resolve(self, tree: Mapping[str, Any]) -> dict[str, Any]:
        """The condition with references and literals turned into typed values."""
        for key in ("all", "any"):
            if key in tree:
                return {key: [self.resolve(sub) for sub in tree[key]]}
        if "not" in tree:
            return {"not": self.resolve(tree["not"])}
        return {**tree, "value": self.operand(tree["field"], tree.get("value"))}

    def holds(self, evaluator: ConditionEvaluator, tree: Mapping[str, Any] | None) -> bool:
        return tree is None or evaluator.matches(self.resolve(tree), self.values)


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, also refusing to build huge strings or numbers (``'a' * 10**8``)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and (abs(right) > 100 if isinstance(right, (int, float)) else True):
            raise ValueError("power too large in a template")
        if operator == "*":
            size = max(len(left) if isinstance(left, (str, list)) else 1, 1) * \
                max(len(right) if isinstance(right, (str, list)) else 1, 1)
            count = right if isinstance(left, (str, list)) and isinstance(right, int) else \
                left if isinstance(right, (str, list)) and isinstance(left, int) else 1
            if size * abs(count) > MAX_TEMPLATE_OUTPUT:
                raise ValueError("value too large in a template")
        return super().call_binop(context, operator, left, right)


_TEMPLATES = TemplateSandbox(autoescape=False)


def template_problem(template: str) -> str | None:
    """Why a message template does not compile, or None: checked when the rule is loaded."""
    try:
        _TEMPLATES.parse(template)
    except TemplateSyntaxError as exc:
        return f"template does not compile: {exc.message} (line {exc.lineno})"
    return None


def render_text(template: str, scope: RuleScope, app_label: str = "") -> str:
    """Render a message template (Jinja, sandboxed) over the record's JSON values."""
    text = _TEMPLATES.from_string(template).render(
        record=scope.json_record, previous={k.removeprefix("previous."): v for k, v in scope.values.items()
                                            if k.startswith("previous.")},
        actor=scope.values.get("actor"), now=scope.values["now"], today=scope.values["today"], app=app_label,
        payload=getattr(scope, "json_payload", {}))
    return text[:MAX_TEMPLATE_OUTPUT]
