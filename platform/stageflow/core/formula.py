"""Formulas: a small, safe expression language for computed fields and rule values.

Built on ``simpleeval`` with a vetted set of operators and functions, evaluated over plain
dicts only (never ORM objects), parsed once and cached. No Python ``eval``.

Example: ``{"kind": "computed", "options": {"formula": "round(amount * 0.2, 2)", "type": "decimal"}}``
"""
from __future__ import annotations

import ast
import datetime as dt
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import simpleeval

ALLOWED_OPERATORS: dict[type, Callable] = {
    ast.Add: simpleeval.safe_add,
    ast.Sub: operator.sub,
    ast.Mult: simpleeval.safe_mult,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Gt: operator.gt,
    ast.Lt: operator.lt,
    ast.GtE: operator.ge,
    ast.LtE: operator.le,
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _days_between(a: Any, b: Any) -> int | None:
    if a is None or b is None:
        return None
    a = a.date() if isinstance(a, dt.datetime) else a
    b = b.date() if isinstance(b, dt.datetime) else b
    return (b - a).days


MAX_TEXT = 100_000


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        raise ValueError(f"text longer than {MAX_TEXT} characters")
    return text


def _concat(*parts: Any) -> str:
    return _text("".join(_text(p) for p in parts))


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if v is not None and v != ""), None)


def _round(value: Any, digits: int = 0) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-digits))
    return round(value, digits)


def _add_days(day: Any, days: Any) -> Any:
    if day is None or days is None:
        return None
    return day + dt.timedelta(days=int(days))


FUNCTIONS: dict[str, Callable] = {
    "round": _round,
    "abs": abs,
    "min": min,
    "max": max,
    "len": len,
    "upper": lambda s: None if s is None else str(s).upper(),
    "lower": lambda s: None if s is None else str(s).lower(),
    "concat": _concat,
    "coalesce": _coalesce,
    "days_between": _days_between,
    "add_days": _add_days,
    "today": dt.date.today,
    "int": int,
    "decimal": lambda v: None if v is None else Decimal(str(v)),
    "str": _text,
}
# Nodes a formula may not contain: no functions of its own, no loops over data.
FORBIDDEN_NODES = (ast.Attribute, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                   ast.GeneratorExp, ast.NamedExpr, ast.Starred)


class FormulaError(ValueError):
    """A formula that does not parse, or that failed while computing."""


class Formula:
    """A parsed formula: the names it reads and a way to evaluate it over a dict."""

    def __init__(self, source: str):
        self.source = source
        try:
            module = ast.parse(source.strip())
        except (SyntaxError, ValueError) as exc:
            raise FormulaError(f"formula {source!r} does not parse: {getattr(exc, 'msg', exc)}") from None
        if len(module.body) != 1 or not isinstance(module.body[0], ast.Expr):
            raise FormulaError(f"formula {source!r} must be a single expression")
        self._tree = module.body[0]
        self.names = frozenset(
            n.id for n in ast.walk(self._tree) if isinstance(n, ast.Name) and n.id not in FUNCTIONS
        ) - {"True", "False", "None"}
        self._check_nodes()

    def _check_nodes(self) -> None:
        for node in ast.walk(self._tree):
            if isinstance(node, FORBIDDEN_NODES):
                what = "attribute access" if isinstance(node, ast.Attribute) else type(node).__name__
                raise FormulaError(f"formula {self.source!r}: {what} is not allowed")
            if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            ):
                raise FormulaError(f"formula {self.source!r}: unknown function")
            if isinstance(node, (ast.BinOp, ast.UnaryOp)) and type(node.op) not in ALLOWED_OPERATORS:
                raise FormulaError(f"formula {self.source!r}: operator {type(node.op).__name__} is not allowed")

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        names = {name: values.get(name) for name in self.names}
        evaluator = simpleeval.EvalWithCompoundTypes(
            operators=dict(ALLOWED_OPERATORS), functions=dict(FUNCTIONS), names=names
        )
        try:
            return evaluator.eval(self.source, previously_parsed=self._tree)
        except (TypeError, ZeroDivisionError, ArithmeticError, ValueError) as exc:
            # Empty inputs make most formulas meaningless; the value is then empty, not an error.
            if any(v is None for v in names.values()):
                return None
            raise FormulaError(f"formula {self.source!r} failed: {exc}") from None
        except simpleeval.InvalidExpression as exc:
            raise FormulaError(f"formula {self.source!r} failed: {exc}") from None


@lru_cache(maxsize=4096)
def parse_formula(source: str) -> Formula:
    return Formula(source)
