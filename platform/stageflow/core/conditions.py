"""Condition trees: ``all`` / ``any`` / ``not`` over field comparisons.

One tree serves as a list filter, a record rule and a rule condition. It is evaluated in
Python over a plain dict (:meth:`ConditionEvaluator.matches`) or compiled to a SQLAlchemy
expression (:meth:`ConditionEvaluator.to_sql`). Unknown operators are refused; a missing
field compares false.

Example: ``{"all": [{"field": "amount", "op": "gt", "value": 1000},
{"not": {"field": "stage", "op": "in", "value": ["refused"]}}]}``
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from sqlalchemy import and_, false, func, not_, or_, true
from sqlalchemy.sql import ColumnElement

from .problems import Code, pointer
from .registry import Registry


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


class Operator:
    """One comparison. ``matches`` for Python, ``sql`` for queries; both must agree."""

    kind: ClassVar[str]
    # Whether the operator takes a value operand at all.
    takes_value: ClassVar[bool] = True

    def matches(self, value: Any, operand: Any) -> bool:
        raise NotImplementedError

    def sql(self, column: ColumnElement, operand: Any) -> ColumnElement:
        raise NotImplementedError


def _comparison(name: str, py: Callable[[Any, Any], bool], sql: Callable) -> type[Operator]:
    def matches(self, value: Any, operand: Any) -> bool:
        if value is None or operand is None:
            return False
        try:
            return py(value, operand)
        except TypeError:
            return False

    def to_sql(self, column: ColumnElement, operand: Any) -> ColumnElement:
        return false() if operand is None else sql(column, operand)

    doc = f"``{{'field': f, 'op': '{name}', 'value': v}}``"
    return type(f"Op_{name}", (Operator,), {"kind": name, "matches": matches, "sql": to_sql, "__doc__": doc})


EqOperator = _comparison("eq", lambda a, b: a == b, lambda c, v: c == v)
LtOperator = _comparison("lt", lambda a, b: a < b, lambda c, v: c < v)
LteOperator = _comparison("lte", lambda a, b: a <= b, lambda c, v: c <= v)
GtOperator = _comparison("gt", lambda a, b: a > b, lambda c, v: c > v)
GteOperator = _comparison("gte", lambda a, b: a >= b, lambda c, v: c >= v)


class NeOperator(Operator):
    """Not equal; an empty value is different from any given value."""

    kind = "ne"

    def matches(self, value: Any, operand: Any) -> bool:
        return value != operand

    def sql(self, column, operand):
        return column.is_not(None) if operand is None else or_(column != operand, column.is_(None))


class InOperator(Operator):
    """``{'field': 'city', 'op': 'in', 'value': ['msk', 'kzn']}``"""

    kind = "in"

    def matches(self, value, operand):
        return value is not None and value in (operand or ())

    def sql(self, column, operand):
        return column.in_(list(operand or ()))


class NotInOperator(Operator):
    kind = "not_in"

    def matches(self, value, operand):
        return value not in (operand or ())

    def sql(self, column, operand):
        return or_(column.not_in(list(operand or ())), column.is_(None))


class ContainsOperator(Operator):
    """Case-insensitive substring for text; membership for list values (multiselect)."""

    kind = "contains"

    def matches(self, value, operand):
        if value is None or operand is None:
            return False
        if isinstance(value, (list, tuple)):
            return operand in value
        return str(operand).lower() in str(value).lower()

    def sql(self, column, operand):
        if operand is None:
            return false()
        escaped = str(operand).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.ilike(f"%{escaped}%", escape="\\")


class IsEmptyOperator(Operator):
    kind = "is_empty"
    takes_value = False

    def matches(self, value, operand):
        return _empty(value)

    def sql(self, column, operand):
        return column.is_(None)


class IsNotEmptyOperator(Operator):
    kind = "is_not_empty"
    takes_value = False

    def matches(self, value, operand):
        return not _empty(value)

    def sql(self, column, operand):
        return column.is_not(None)


class BetweenOperator(Operator):
    """Inclusive range, either end open: ``{'op': 'between', 'value': ['2026-01-01', null]}``"""

    kind = "between"

    def matches(self, value, operand):
        low, high = operand
        if value is None:
            return False
        try:
            return (low is None or value >= low) and (high is None or value <= high)
        except TypeError:
            return False

    def sql(self, column, operand):
        low, high = operand
        parts = [column >= low] if low is not None else []
        parts += [column <= high] if high is not None else []
        return and_(*parts) if parts else column.is_not(None)


def default_operators() -> Registry[Operator]:
    registry: Registry[Operator] = Registry("condition operator")
    for cls in (EqOperator, NeOperator, LtOperator, LteOperator, GtOperator, GteOperator,
                InOperator, NotInOperator, ContainsOperator, IsEmptyOperator, IsNotEmptyOperator,
                BetweenOperator):
        registry.register(cls())
    return registry


class ConditionEvaluator:
    """Checks, evaluates and compiles condition trees with one operator registry."""

    def __init__(self, operators: Registry[Operator]):
        self.operators = operators

    def problems(self, tree: Mapping[str, Any], known_field: Callable[[str], bool],
                 at: str = "") -> Iterator[tuple[str, Code, str]]:
        """Meaning problems of a tree: unknown operators and fields, malformed operands."""
        if "all" in tree or "any" in tree:
            key = "all" if "all" in tree else "any"
            for i, sub in enumerate(tree[key]):
                yield from self.problems(sub, known_field, at + pointer(key, i))
        elif "not" in tree:
            yield from self.problems(tree["not"], known_field, at + pointer("not"))
        else:
            op = tree.get("op")
            if op not in self.operators:
                yield (at + pointer("op"), Code.UNKNOWN_OPERATOR,
                       f"unknown operator {op!r}; known: {', '.join(self.operators.names())}")
            elif op == "between" and not (isinstance(tree.get("value"), list) and len(tree["value"]) == 2):
                yield at + pointer("value"), Code.BAD_VALUE, "'between' takes a list [from, to]"
            elif op in ("in", "not_in") and not isinstance(tree.get("value"), list):
                yield at + pointer("value"), Code.BAD_VALUE, f"{op!r} takes a list of values"
            if not known_field(tree.get("field", "")):
                yield at + pointer("field"), Code.UNKNOWN_FIELD, f"unknown field {tree.get('field')!r}"

    def matches(self, tree: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
        if "all" in tree:
            return all(self.matches(sub, record) for sub in tree["all"])
        if "any" in tree:
            return any(self.matches(sub, record) for sub in tree["any"])
        if "not" in tree:
            return not self.matches(tree["not"], record)
        if tree["field"] not in record:
            return False
        return self.operators.get(tree["op"]).matches(record[tree["field"]], tree.get("value"))

    def explain(self, tree: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
        """The tree with what each part came to: ``holds`` on every node, and on each leaf the
        record's ``actual`` value (``missing`` when the record has no such field). It agrees with
        :meth:`matches` on the whole tree: a rule's dry run shows which part failed."""
        if "all" in tree or "any" in tree:
            key = "all" if "all" in tree else "any"
            parts = [self.explain(sub, record) for sub in tree[key]]
            held = (all if key == "all" else any)(part["holds"] for part in parts)
            return {key: parts, "holds": held}
        if "not" in tree:
            inner = self.explain(tree["not"], record)
            return {"not": inner, "holds": not inner["holds"]}
        leaf = {"field": tree["field"], "op": tree["op"], "value": tree.get("value")}
        if tree["field"] not in record:
            return {**leaf, "missing": True, "holds": False}
        actual = record[tree["field"]]
        return {**leaf, "actual": actual, "holds": self.operators.get(tree["op"]).matches(actual, tree.get("value"))}

    def to_sql(self, tree: Mapping[str, Any],
               leaf: Callable[[Operator, str, Any], ColumnElement]) -> ColumnElement:
        """Compile a tree; ``leaf(operator, field, value)`` builds one comparison."""
        if "all" in tree:
            return and_(true(), *(self.to_sql(sub, leaf) for sub in tree["all"]))
        if "any" in tree:
            return or_(false(), *(self.to_sql(sub, leaf) for sub in tree["any"]))
        if "not" in tree:
            # SQL's NOT NULL is NULL; a comparison with an empty field is false here, as in Python.
            return not_(func.coalesce(self.to_sql(tree["not"], leaf), false()))
        return leaf(self.operators.get(tree["op"]), tree["field"], tree.get("value"))
