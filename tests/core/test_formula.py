"""Formulas: arithmetic, the vetted functions, names, and the PL09 safety limits.

A formula is metadata, never code: it reads only the dict it is given, calls only the vetted
functions, cannot reach attributes, and cannot build huge values.
"""
from __future__ import annotations

import builtins
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pytest

from stageflow.core.formula import Formula, FormulaError, parse_formula


def run(source: str, **values):
    return Formula(source).evaluate(values)


# --- arithmetic and names -----------------------------------------------------------------------

@pytest.mark.parametrize(("source", "expected"), [
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("7 / 2", 3.5), ("7 // 2", 3), ("7 % 3", 1),
    ("-5 + +2", -3), ("1 < 2", True), ("2 <= 1", False), ("1 == 1.0", True), ("1 != 2", True),
    ("not 0", True), ("1 and 0", 0), ("0 or 'x'", "x"), ("'a' if 1 > 2 else 'b'", "b"),
    ("'ab' in 'cabd'", True), ("'x' not in 'abc'", True), ("'ab' + 'cd'", "abcd"), ("'ab' * 2", "abab"),
])
def test_pl09_arithmetic_and_logic(source, expected):
    assert run(source) == expected


def test_pl09_names_read_from_the_given_values():
    assert run("amount * qty", amount=Decimal("2.50"), qty=4) == Decimal("10.00")
    assert run("title + '!'", title="Deal") == "Deal!"
    assert run("flag", flag=True) is True


def test_pl09_formula_lists_the_names_it_reads_but_not_functions_or_constants():
    formula = Formula("round(amount * rate, 2) + coalesce(extra, 0) if active == True else None")
    assert formula.names == {"amount", "rate", "extra", "active"}


def test_pl09_decimal_arithmetic_stays_exact():
    assert run("a + b", a=Decimal("0.1"), b=Decimal("0.2")) == Decimal("0.3")
    assert run("round(amount * decimal(0.2), 2)", amount=Decimal("1234.56")) == Decimal("246.91")


def test_pl09_an_empty_input_makes_an_empty_result_not_an_error():
    assert run("amount * 2") is None
    assert run("amount / qty", amount=Decimal(5), qty=None) is None
    assert run("days_between(start, end)", start=dt.date(2026, 1, 1)) is None


def test_pl09_a_failing_formula_with_all_inputs_raises_formula_error():
    with pytest.raises(FormulaError, match="failed"):
        run("a / b", a=1, b=0)
    with pytest.raises(FormulaError):
        run("int(s)", s="abc")
    with pytest.raises(FormulaError):
        run("len(n)", n=5)


# --- functions ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "values", "expected"), [
    ("round(x, 1)", {"x": 2.26}, 2.3),
    ("round(x)", {"x": 2.6}, 3),
    ("round(x, 2)", {"x": Decimal("1.235")}, Decimal("1.24")),
    ("round(x, 2)", {"x": None}, None),
    ("abs(x)", {"x": -4}, 4),
    ("min(x, 3)", {"x": 5}, 3),
    ("max(x, 3)", {"x": 5}, 5),
    ("len(s)", {"s": "Иван"}, 4),
    ("upper(s)", {"s": "Иван"}, "ИВАН"),
    ("lower(s)", {"s": "ИВАН"}, "иван"),
    ("concat(a, '-', b, '-', n)", {"a": "x", "b": None, "n": 7}, "x--7"),
    ("coalesce(a, b, 'z')", {"a": None, "b": ""}, "z"),
    ("coalesce(a, b)", {"a": None, "b": 0}, 0),
    ("coalesce(a, b)", {"a": None, "b": None}, None),
    ("days_between(a, b)", {"a": dt.date(2026, 1, 1), "b": dt.date(2026, 3, 1)}, 59),
    ("days_between(a, b)", {"a": dt.datetime(2026, 1, 2, 23), "b": dt.date(2026, 1, 1)}, -1),
    ("add_days(d, n)", {"d": dt.date(2026, 12, 30), "n": 5}, dt.date(2027, 1, 4)),
    ("add_days(d, n)", {"d": dt.date(2026, 1, 1), "n": None}, None),
    ("int(x)", {"x": "42"}, 42),
    ("decimal(x)", {"x": 0.1}, Decimal("0.1")),
    ("str(x)", {"x": 5}, "5"),
])
def test_pl09_vetted_functions(source, values, expected):
    assert Formula(source).evaluate(values) == expected


def test_pl09_today_is_the_current_date():
    before = dt.date.today()
    assert before <= run("today()") <= dt.date.today()


VETTED = ["abs", "add_days", "coalesce", "concat", "days_between", "decimal", "int", "len", "lower",
          "max", "min", "round", "str", "today", "upper"]


def fresh_interpreter(code: str) -> str:
    """Run ``code`` in a new Python process (no formula evaluated yet) and return its output."""
    platform_dir = Path(__file__).resolve().parents[2] / "platform"
    env = {**os.environ, "PYTHONPATH": str(platform_dir)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_pl09_function_list_is_exactly_the_vetted_set():
    out = fresh_interpreter("from stageflow.core.formula import FUNCTIONS; print(sorted(FUNCTIONS))")
    assert out == str(VETTED)


def test_pl09_evaluating_a_formula_does_not_widen_the_function_list():
    out = fresh_interpreter(
        "from stageflow.core.formula import FUNCTIONS, Formula, FormulaError\n"
        "Formula('1 + 1').evaluate({})\n"
        "print(sorted(FUNCTIONS))\n"
        "try:\n    Formula('list(x)'); print('accepted')\n"
        "except FormulaError:\n    print('refused')\n")
    assert out.splitlines() == [str(VETTED), "refused"]


# --- refused at parse time ----------------------------------------------------------------------

@pytest.mark.parametrize(("source", "why"), [
    ("amount * (2", "does not parse"),
    ("amount.real", "attribute access"),
    ("title.__class__.__mro__", "attribute access"),
    ("(1).__class__", "attribute access"),
    ("open('/etc/passwd')", "unknown function"),
    ("__import__('os')", "unknown function"),
    ("eval('1')", "unknown function"),
    ("getattr(x, 'y')", "unknown function"),
    ("type(x)", "unknown function"),
    ("(lambda: 1)()", "unknown function"),
    ("FUNCTIONS['round'](1)", "unknown function"),
    ("2 ** 8", "Pow"),
    ("9 ** 9 ** 9", "Pow"),
    ("1 << 100000", "LShift"),
    ("1 | 2", "BitOr"),
])
def test_pl09_formula_is_refused_when_parsed(source, why):
    with pytest.raises(FormulaError) as refused:
        Formula(source)
    assert why in str(refused.value)


@pytest.mark.parametrize("source", ["import os", "lambda: 1", "x := 1"])
def test_pl09_statements_and_lambdas_are_refused(source):
    with pytest.raises(FormulaError):
        Formula(source).evaluate({"x": 1})


@pytest.mark.parametrize("source", ["   ", "# only a comment", "amount; budget", "vat = amount"])
@pytest.mark.filterwarnings("ignore::Warning")
def test_pl09_blank_multi_statement_and_assignment_formulas_are_refused_when_parsed(source):
    with pytest.raises(FormulaError):
        Formula(source)


# --- cost limits --------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["[t for t in tags if t != 'x']", "[1 for x in s for y in s]",
                                    "{t: 1 for t in tags}", "(t for t in tags)"])
def test_pl09_comprehensions_are_refused_when_parsed(source):
    with pytest.raises(FormulaError, match="not allowed"):
        Formula(source)


@pytest.mark.parametrize(("source", "values"), [
    ("'a' * 100000000", {}),
    ("s * 1000000", {"s": "abc"}),
    ("upper(s) + upper(s)", {"s": "x" * 90000}),
    ("[1 for x in s for y in s]", {"s": "x" * 3000}),
    ("f'{1:>200000}'", {}),
])
def test_pl09_huge_values_are_refused_while_evaluating(source, values):
    with pytest.raises(FormulaError):
        Formula(source).evaluate(values)


@pytest.mark.parametrize("source", ["concat(['a' * 99999 for x in 'ab'])", "str(['a' * 99999 for x in 'ab'])",
                                    "concat(s, s, s)"])
def test_pl09_string_building_functions_respect_the_length_limit(source):
    with pytest.raises(FormulaError):
        Formula(source).evaluate({"s": "x" * 40000})


# --- reads only the dict it is given ------------------------------------------------------------

class RecordingValues(Mapping):
    """A mapping that records every key asked for."""

    def __init__(self, data):
        self.data, self.asked = data, []

    def __getitem__(self, key):
        self.asked.append(key)
        return self.data[key]

    def get(self, key, default=None):
        self.asked.append(key)
        return self.data.get(key, default)

    def __iter__(self):
        raise AssertionError("a formula must not list the values it was given")

    def __len__(self):
        raise AssertionError("a formula must not count the values it was given")


class Untouchable:
    """Fails loudly if the evaluator touches it in any way."""

    def __getattribute__(self, name):
        raise AssertionError(f"formula touched attribute {name!r} of an object it was not asked for")


def test_pl09_evaluation_reads_only_the_names_of_the_formula():
    values = RecordingValues({"amount": 10, "qty": 2, "secret": Untouchable()})
    assert Formula("amount * qty + 1").evaluate(values) == 21
    assert sorted(values.asked) == ["amount", "qty"]


def test_pl09_evaluation_does_not_use_python_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Python eval/exec/compile was called")

    formula = Formula("round(a * 2, 1)")
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    assert formula.evaluate({"a": 1.25}) == 2.5


def test_pl09_dunder_names_are_only_keys_of_the_given_values():
    assert run("__builtins__") is None
    assert run("__class__", __class__="plain value") == "plain value"


def test_pl09_subscripts_reach_only_items_of_given_values():
    assert run("tags[0]", tags=["vip"]) == "vip"
    with pytest.raises(FormulaError):
        run("obj['__class__']", obj=object())


def test_pl09_formulas_are_parsed_once_and_cached():
    assert parse_formula("a + 1") is parse_formula("a + 1")
    assert parse_formula("a + 1").evaluate({"a": 1}) == 2
