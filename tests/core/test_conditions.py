"""Condition trees: every operator in Python (matches) and in SQL (to_sql) agree on the same rows.

The SQL side runs on an in-memory SQLite table built with SQLAlchemy Core; each case names the
rows it must select, so neither side can agree with the other by both being wrong.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from stageflow.core import Code, UnknownKindError
from stageflow.core.conditions import ConditionEvaluator
from stageflow.runtime import default_kinds
from stageflow.storage.database import open_database

EVALUATOR: ConditionEvaluator = default_kinds().conditions
OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "is_empty",
             "is_not_empty", "between"]

ROWS = [
    {"id": 1, "name": "Alpha", "amount": 100, "city": "msk", "day": dt.date(2026, 1, 10)},
    {"id": 2, "name": "beta", "amount": 250, "city": "kzn", "day": dt.date(2026, 2, 1)},
    {"id": 3, "name": "Gamma 50%_off", "amount": None, "city": "msk", "day": None},
    {"id": 4, "name": None, "amount": 0, "city": None, "day": dt.date(2026, 3, 15)},
    {"id": 5, "name": "alphabet", "amount": -5, "city": "spb", "day": dt.date(2026, 1, 31)},
]


def leaf_of(op: str, value=None, field: str = "amount") -> dict:
    return {"field": field, "op": op, "value": value}


AGREEMENT = [
    ("eq-number", leaf_of("eq", 100), {1}),
    ("eq-text", leaf_of("eq", "msk", "city"), {1, 3}),
    ("eq-none", leaf_of("eq", None, "city"), set()),
    ("ne-text-includes-empty", leaf_of("ne", "msk", "city"), {2, 4, 5}),
    ("ne-none-means-filled", leaf_of("ne", None, "city"), {1, 2, 3, 5}),
    ("lt", leaf_of("lt", 100), {4, 5}),
    ("lte", leaf_of("lte", 100), {1, 4, 5}),
    ("gt", leaf_of("gt", 0), {1, 2}),
    ("gte", leaf_of("gte", 0), {1, 2, 4}),
    ("gt-date", leaf_of("gt", dt.date(2026, 1, 31), "day"), {2, 4}),
    ("lt-none", leaf_of("lt", None), set()),
    ("in", leaf_of("in", ["msk", "spb"], "city"), {1, 3, 5}),
    ("in-empty-list", leaf_of("in", [], "city"), set()),
    ("not_in-includes-empty", leaf_of("not_in", ["msk"], "city"), {2, 4, 5}),
    ("contains-case-insensitive", leaf_of("contains", "ALPHA", "name"), {1, 5}),
    ("contains-percent-and-underscore-are-literal", leaf_of("contains", "50%_", "name"), {3}),
    ("contains-underscore-alone", leaf_of("contains", "_", "name"), {3}),
    ("contains-none", leaf_of("contains", None, "name"), set()),
    ("is_empty-text", leaf_of("is_empty", field="name"), {4}),
    ("is_empty-number", leaf_of("is_empty"), {3}),
    ("is_not_empty", leaf_of("is_not_empty", field="day"), {1, 2, 4, 5}),
    ("between-inclusive", leaf_of("between", [0, 100]), {1, 4}),
    ("between-open-low", leaf_of("between", [None, 0]), {4, 5}),
    ("between-open-high", leaf_of("between", [100, None]), {1, 2}),
    ("between-both-open", leaf_of("between", [None, None]), {1, 2, 4, 5}),
    ("between-dates", leaf_of("between", [dt.date(2026, 1, 1), dt.date(2026, 1, 31)], "day"), {1, 5}),
    ("all", {"all": [leaf_of("eq", "msk", "city"), leaf_of("gt", 50)]}, {1}),
    ("any", {"any": [leaf_of("eq", "kzn", "city"), leaf_of("lt", 0)]}, {2, 5}),
    ("not", {"not": leaf_of("in", [1, 2], "id")}, {3, 4, 5}),
    ("nested", {"any": [{"all": [leaf_of("gte", 100), {"not": leaf_of("eq", "kzn", "city")}]},
                        leaf_of("is_empty", field="name")]}, {1, 4}),
]

DISAGREEMENT = [
    pytest.param({"not": leaf_of("eq", "msk", "city")}, {2, 4, 5}, id="not-eq-with-empty-city"),
    pytest.param({"not": leaf_of("contains", "alpha", "name")}, {2, 3, 4, 6}, id="not-contains-with-empty-name"),
    pytest.param(leaf_of("contains", "гамма", "name"), {6}, id="contains-cyrillic-case-insensitive"),
]
CYRILLIC_ROW = {"id": 6, "name": "Гамма", "amount": 1, "city": "msk", "day": None}


@pytest.fixture(scope="module")
def table():
    metadata = sa.MetaData()
    items = sa.Table("items", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.String(100)), sa.Column("amount", sa.Integer),
                     sa.Column("city", sa.String(20)), sa.Column("day", sa.Date))
    engine = open_database("sqlite://")  # the platform's SQLite setup: Unicode lower()
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(items.insert(), ROWS + [CYRILLIC_ROW])
    yield engine, items
    engine.dispose()


def python_ids(tree, rows=ROWS) -> set[int]:
    return {row["id"] for row in rows if EVALUATOR.matches(tree, row)}


def sql_ids(table, tree, only=None) -> set[int]:
    engine, items = table
    where = EVALUATOR.to_sql(tree, lambda op, name, value: op.sql(items.c[name], value))
    query = sa.select(items.c.id).where(where)
    if only is not None:
        query = query.where(items.c.id.in_(only))
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def test_every_documented_operator_is_registered():
    assert EVALUATOR.operators.names() == sorted(OPERATORS)


@pytest.mark.parametrize(("tree", "expected"), [pytest.param(t, e, id=i) for i, t, e in AGREEMENT])
def test_python_and_sql_select_the_same_rows(table, tree, expected):
    assert python_ids(tree) == expected
    assert sql_ids(table, tree, only=[r["id"] for r in ROWS]) == expected


@pytest.mark.parametrize(("tree", "expected"), DISAGREEMENT)
def test_python_and_sql_agree_on_empty_values_and_cyrillic(table, tree, expected):
    assert python_ids(tree, ROWS + [CYRILLIC_ROW]) == expected
    assert sql_ids(table, tree) == expected


def test_agreement_cases_use_every_operator():
    used = set()

    def walk(tree):
        for key in ("all", "any"):
            for sub in tree.get(key, ()):
                walk(sub)
        if "not" in tree:
            walk(tree["not"])
        if "op" in tree:
            used.add(tree["op"])

    for _, tree, _ in AGREEMENT:
        walk(tree)
    assert used == set(OPERATORS)


# --- Python only: missing fields and empty values -----------------------------------------------

@pytest.mark.parametrize("op", OPERATORS)
def test_a_missing_field_compares_false_for_every_operator(op):
    value = [1, 2] if op in ("in", "not_in", "between") else 1
    assert EVALUATOR.matches(leaf_of(op, value, "absent"), {"amount": 1}) is False


def test_not_of_a_missing_field_is_true():
    assert EVALUATOR.matches({"not": leaf_of("eq", 1, "absent")}, {}) is True


@pytest.mark.parametrize(("op", "value", "operand", "expected"), [
    ("eq", None, None, False), ("eq", None, "a", False), ("ne", None, "a", True), ("ne", None, None, False),
    ("lt", None, 1, False), ("gte", None, 1, False), ("in", None, [None], False), ("not_in", None, ["a"], True),
    ("contains", None, "a", False), ("is_empty", None, None, True), ("is_empty", "", None, True),
    ("is_empty", [], None, True), ("is_empty", 0, None, False), ("is_not_empty", "", None, False),
    ("is_not_empty", False, None, True), ("between", None, [1, 2], False), ("in", "a", None, False),
])
def test_empty_values_in_python(op, value, operand, expected):
    assert EVALUATOR.matches(leaf_of(op, operand, "f"), {"f": value}) is expected


@pytest.mark.parametrize(("op", "value", "operand", "expected"), [
    ("lt", "abc", 1, False), ("gt", 5, "x", False), ("between", "b", [1, 2], False),
    ("contains", ["vip", "partner"], "vip", True), ("contains", ["vip"], "vi", False),
    ("contains", "Иванов Иван", "иван", True), ("contains", 12345, 234, True),
    ("between", dt.date(2026, 1, 1), [dt.date(2026, 1, 1), dt.date(2026, 1, 1)], True),
])
def test_mixed_types_and_lists_in_python(op, value, operand, expected):
    assert EVALUATOR.matches(leaf_of(op, operand, "f"), {"f": value}) is expected


def test_all_and_any_combine_children():
    record = {"a": 1, "b": 2}
    assert EVALUATOR.matches({"all": [leaf_of("eq", 1, "a"), leaf_of("eq", 2, "b")]}, record)
    assert not EVALUATOR.matches({"all": [leaf_of("eq", 1, "a"), leaf_of("eq", 3, "b")]}, record)
    assert EVALUATOR.matches({"any": [leaf_of("eq", 9, "a"), leaf_of("eq", 2, "b")]}, record)
    assert not EVALUATOR.matches({"any": [leaf_of("eq", 9, "a"), leaf_of("eq", 9, "b")]}, record)


def test_unknown_operator_is_refused_when_evaluated_or_compiled(table):
    tree = leaf_of("like", "a", "name")
    with pytest.raises(UnknownKindError):
        EVALUATOR.matches(tree, {"name": "a"})
    with pytest.raises(UnknownKindError):
        sql_ids(table, tree)


# --- problems(): checking a tree before it is stored --------------------------------------------

def problems(tree, known=("amount", "city", "name"), at=""):
    return [(where, code) for where, code, _ in EVALUATOR.problems(tree, set(known).__contains__, at)]


def test_a_valid_tree_has_no_problems():
    tree = {"all": [leaf_of("gt", 1), {"not": leaf_of("in", ["a"], "city")},
                    {"any": [leaf_of("is_empty", field="name"), leaf_of("between", [1, None])]}]}
    assert problems(tree) == []


def test_unknown_operator_is_reported_with_the_known_ones():
    found = list(EVALUATOR.problems(leaf_of("like", "a", "name"), {"name"}.__contains__))
    assert [(w, c) for w, c, _ in found] == [("/op", Code.UNKNOWN_OPERATOR)]
    assert "'like'" in found[0][2] and "between" in found[0][2]


def test_unknown_field_is_reported():
    assert problems(leaf_of("eq", 1, "budget")) == [("/field", Code.UNKNOWN_FIELD)]


def test_unknown_operator_and_field_are_both_reported():
    assert problems(leaf_of("like", 1, "budget")) == [("/op", Code.UNKNOWN_OPERATOR), ("/field", Code.UNKNOWN_FIELD)]


@pytest.mark.parametrize("value", [[1], [1, 2, 3], "1..2", None, {"from": 1, "to": 2}])
def test_between_needs_a_pair(value):
    assert problems(leaf_of("between", value)) == [("/value", Code.BAD_VALUE)]


@pytest.mark.parametrize("op", ["in", "not_in"])
def test_in_and_not_in_need_a_list(op):
    assert problems(leaf_of(op, "msk", "city")) == [("/value", Code.BAD_VALUE)]
    assert problems(leaf_of(op, ["msk"], "city")) == []


def test_problem_pointers_follow_the_tree_and_the_given_prefix():
    tree = {"all": [leaf_of("gt", 1), {"not": {"any": [leaf_of("eq", 1), leaf_of("like", 1, "nope")]}}]}
    assert problems(tree, at="/entities/deal/fields/0/when") == [
        ("/entities/deal/fields/0/when/all/1/not/any/1/op", Code.UNKNOWN_OPERATOR),
        ("/entities/deal/fields/0/when/all/1/not/any/1/field", Code.UNKNOWN_FIELD),
    ]


def test_pl10_explain_shows_what_each_part_came_to_and_agrees_with_matches():
    tree = {"all": [leaf_of("gt", 50), {"any": [leaf_of("eq", "kzn", "city"), {"not": leaf_of("is_empty", None, "day")}]},
                    leaf_of("eq", 1, "budget")]}
    explained = EVALUATOR.explain(tree, ROWS[0])
    assert explained == {"holds": False, "all": [
        {"field": "amount", "op": "gt", "value": 50, "actual": 100, "holds": True},
        {"holds": True, "any": [
            {"field": "city", "op": "eq", "value": "kzn", "actual": "msk", "holds": False},
            {"holds": True, "not": {"field": "day", "op": "is_empty", "value": None,
                                    "actual": dt.date(2026, 1, 10), "holds": False}}]},
        {"field": "budget", "op": "eq", "value": 1, "missing": True, "holds": False},
    ]}


@pytest.mark.parametrize(("name", "tree", "expected"), AGREEMENT, ids=[case[0] for case in AGREEMENT])
def test_pl10_explain_agrees_with_matches_on_every_row(name, tree, expected):
    for row in ROWS:
        for shape in (tree, {"not": tree}, {"any": [tree, leaf_of("eq", -1)]}):
            assert EVALUATOR.explain(shape, row)["holds"] == EVALUATOR.matches(shape, row), (name, row["id"])
