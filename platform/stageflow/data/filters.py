"""List filters, search and sort for one entity, compiled to SQL from condition trees.

Operands are parsed by the field's kind first, so ``{"field": "due", "op": "lt", "value":
"2026-12-01"}`` compares dates, not strings, on every database.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, exists, false, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import ColumnElement

from ..core.conditions import ConditionEvaluator, Operator
from ..core.fields import FieldValueError, Storage
from ..core.kinds import Kinds
from ..core.specs import EntitySpec, FieldSpec
from ..core.system_fields import queryable_fields

NO_OPERAND = {"is_empty", "is_not_empty"}
# Operators that compare order: meaningless for yes/no values.
ORDERING = {"lt", "lte", "gt", "gte", "between"}


class FilterError(ValueError):
    """A filter, sort or search that cannot run; names the field and what is wrong."""


class EntityFilters:
    """Normalizes and compiles condition trees over one entity's table."""

    def __init__(self, kinds: Kinds, entity: EntitySpec, table: Table, dialect: str,
                 forbidden: set[str] = frozenset()):
        self.kinds, self.entity, self.table, self.dialect = kinds, entity, table, dialect
        self.fields = queryable_fields(entity)
        self.forbidden = forbidden
        self.evaluator = ConditionEvaluator(kinds.operators)

    def field(self, name: str) -> FieldSpec:
        if name not in self.fields:
            raise FilterError(f"{self.entity.name} has no field {name!r}")
        if name in self.forbidden:
            raise FilterError(f"field {name!r} is hidden from you and cannot be filtered or sorted on")
        return self.fields[name]

    def _operand(self, spec: FieldSpec, op: str, value: Any) -> Any:
        kind = self.kinds.fields.get(spec.kind)
        if spec.kind == "computed":
            kind = kind.result_kind(spec)
        storage = kind.storage_of(spec)
        if op == "contains" and storage not in (Storage.STRING, Storage.TEXT, Storage.JSON):
            raise FilterError(f"{spec.name}: 'contains' applies to text and list fields; use eq or between")
        if op in ORDERING and storage is Storage.BOOLEAN:
            raise FilterError(f"{spec.name}: {op!r} does not apply to yes/no fields; use eq")
        if storage is Storage.JSON and op == "contains":
            return self._list_item(spec, kind, value)
        if storage is Storage.JSON and op not in NO_OPERAND:
            raise FilterError(f"{spec.name}: operator {op!r} does not apply to list fields; use contains")
        if op in NO_OPERAND:
            return None
        if op == "contains":
            return None if value is None else str(value)
        try:
            if op in ("in", "not_in"):
                if not isinstance(value, (list, tuple)):
                    raise FilterError(f"{spec.name}: {op!r} takes a list of values")
                return [kind.coerce(v, spec) for v in value]
            if op == "between":
                if not isinstance(value, (list, tuple)) or len(value) != 2:
                    raise FilterError(f"{spec.name}: 'between' takes [from, to]")
                return [kind.coerce(v, spec) for v in value]
            return kind.coerce(value, spec)
        except FieldValueError as exc:
            raise FilterError(f"{spec.name}: {exc}") from None

    def _list_item(self, spec: FieldSpec, kind, value: Any) -> Any:
        """The one item ``contains`` looks for in a list field, parsed as the field parses its
        items (a file id is a number, a choice code must be one of the choices)."""
        try:
            items = kind.coerce(value, spec)
        except FieldValueError as exc:
            raise FilterError(f"{spec.name}: {exc}") from None
        if items is None:
            return None
        if len(items) != 1:
            raise FilterError(f"{spec.name}: 'contains' takes one value")
        if not isinstance(items[0], (str, int)):
            raise FilterError(f"{spec.name}: 'contains' does not apply to {spec.kind} fields; "
                              f"use is_empty or is_not_empty")
        return items[0]

    def normalize(self, tree: Mapping[str, Any]) -> dict[str, Any]:
        """The tree with operands parsed to stored values; unknown fields or operators refused."""
        if not isinstance(tree, Mapping):
            raise FilterError("a filter must be an object")
        for key in ("all", "any"):
            if key in tree:
                if not isinstance(tree[key], (list, tuple)):
                    raise FilterError(f"{key!r} takes a list of conditions")
                return {key: [self.normalize(sub) for sub in tree[key]]}
        if "not" in tree:
            return {"not": self.normalize(tree["not"])}
        if "field" not in tree or "op" not in tree:
            raise FilterError("a condition needs 'field' and 'op' (or all/any/not)")
        if tree["op"] not in self.kinds.operators:
            raise FilterError(f"unknown operator {tree['op']!r}; known: {', '.join(self.kinds.operators.names())}")
        spec = self.field(tree["field"])
        return {"field": spec.name, "op": tree["op"], "value": self._operand(spec, tree["op"], tree.get("value"))}

    def compile(self, tree: Mapping[str, Any], normalized: bool = False) -> ColumnElement:
        tree = tree if normalized else self.normalize(tree)
        return self.evaluator.to_sql(tree, self._leaf)

    def matches(self, tree: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
        return self.evaluator.matches(self.normalize(tree), record)

    def _leaf(self, operator: Operator, name: str, value: Any) -> ColumnElement:
        spec = self.fields[name]
        column = self.table.c[name]
        kind = self.kinds.fields.get(spec.kind)
        if kind.storage_of(spec) is Storage.JSON:
            return self._json_leaf(operator, column, value)
        return operator.sql(column, value)

    def _json_leaf(self, operator: Operator, column, value) -> ColumnElement:
        if operator.kind == "contains":
            if value is None:
                return false()
            if self.dialect == "postgresql":
                return type_coerce(column, JSONB).contains([value])
            each = func.json_each(column).table_valued("value")
            return exists(select(literal(1)).select_from(each).where(each.c.value == value))
        if operator.kind in NO_OPERAND:
            return operator.sql(column, value)
        raise FilterError(f"operator {operator.kind!r} does not apply to list fields; use contains")

    def search(self, text: str) -> ColumnElement:
        """Full-text-like search over the searchable fields (and the id when it is a number)."""
        text = text.strip()
        parts = []
        for spec in self.entity.fields:
            kind = self.kinds.fields.get(spec.kind)
            if spec.searchable and kind.text_like and spec.name not in self.forbidden:
                parts.append(self.kinds.operators.get("contains").sql(self.table.c[spec.name], text))
        if not parts and self.entity.title_field and self.entity.title_field not in self.forbidden:
            parts.append(self.kinds.operators.get("contains").sql(self.table.c[self.entity.title_field], text))
        if text.isdigit() and len(text) < 18:
            parts.append(self.table.c.id == int(text))
        return or_(false(), *parts)
