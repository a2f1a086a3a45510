"""Listing records: condition-tree filters, search, sort, keyset pagination and count (PL17 lists,
PL09 condition operators), the same on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import pytest

from stageflow.data import FilterError
from stageflow.data.paging import encode_cursor

from .support import START, iso

APP = "mini"

def titles(sf, where=None, *, actor=None, **kwargs) -> list[str]:
    page = sf.records.list(actor or sf.system, APP, "deal", where=where, limit=500, **kwargs)
    assert page.next_cursor is None
    return [item["title"] for item in page.items]


def matching(sf, where=None, **kwargs) -> set[str]:
    return set(titles(sf, where, **kwargs))


def cond(field, op, value=None):
    return {"field": field, "op": op, "value": value}


@pytest.fixture
def deals(sf, clock):
    """Seven deals, one hour apart, with a spread of values (and empties) to filter on."""
    rows = [
        {"title": "Alpha", "amount": "100", "due": "2026-03-01", "meeting_at": "2026-03-01T09:00:00Z",
         "tags": ["vip"], "priority": "high", "assignee": "boris", "notes": "Call the bank", "quantity": 1},
        {"title": "Bravo", "amount": "250.50", "due": "2026-03-15", "meeting_at": "2026-03-15T23:59:59Z",
         "tags": ["vip", "partner"], "assignee": "anna", "quantity": 5},
        {"title": "Договор с ООО «Ромашка»", "amount": "99.99", "due": "2026-04-01", "tags": ["partner"],
         "priority": "low", "notes": "Позвонить в банк"},
        {"title": "charlie", "amount": None, "meeting_at": "2026-03-16T00:00:00Z", "assignee": "carl", "quantity": 0},
        {"title": "100% done", "amount": "1000", "due": "2026-02-28", "priority": "low"},
        {"title": "1000 done", "amount": "0", "passport": "AB 123"},
        {"title": "a_b", "tags": ["vip"]},
    ]
    made = {}
    for row in rows:
        made[row["title"]] = sf.records.create(sf.system, APP, "deal", row)
        clock.advance(hours=1)
    return made


ALL = {"Alpha", "Bravo", "Договор с ООО «Ромашка»", "charlie", "100% done", "1000 done", "a_b"}


# -- comparison operators ----------------------------------------------------------------------

def test_eq_and_ne_where_ne_keeps_empty_values(sf, deals):
    assert matching(sf, cond("title", "eq", "Alpha")) == {"Alpha"}
    assert matching(sf, cond("amount", "eq", "100.00")) == {"Alpha"}
    assert matching(sf, cond("assignee", "ne", "boris")) == ALL - {"Alpha"}


def test_ordering_operators_compare_money_as_numbers(sf, deals):
    assert matching(sf, cond("amount", "lt", "100")) == {"Договор с ООО «Ромашка»", "1000 done"}
    assert matching(sf, cond("amount", "lte", 100)) == {"Alpha", "Договор с ООО «Ромашка»", "1000 done"}
    assert matching(sf, cond("amount", "gt", "250.5")) == {"100% done"}
    assert matching(sf, cond("amount", "gte", "250,50")) == {"Bravo", "100% done"}


def test_ordering_operators_compare_dates_as_dates(sf, deals):
    assert matching(sf, cond("due", "lt", "2026-03-15")) == {"Alpha", "100% done"}
    assert matching(sf, cond("due", "gte", "15.03.2026")) == {"Bravo", "Договор с ООО «Ромашка»"}


def test_in_and_not_in_where_not_in_keeps_empty_values(sf, deals):
    assert matching(sf, cond("priority", "in", ["high", "low"])) == {
        "Alpha", "Договор с ООО «Ромашка»", "100% done"}
    assert matching(sf, cond("assignee", "not_in", ["boris", "anna"])) == ALL - {"Alpha", "Bravo"}


def test_contains_is_case_insensitive_for_latin_and_cyrillic(sf, deals):
    assert matching(sf, cond("title", "contains", "ALP")) == {"Alpha"}
    assert matching(sf, cond("title", "contains", "РОМАШКА")) == {"Договор с ООО «Ромашка»"}
    assert matching(sf, cond("title", "contains", "ромаШКа")) == {"Договор с ООО «Ромашка»"}
    assert matching(sf, cond("notes", "contains", "БАНК")) == {"Договор с ООО «Ромашка»"}


def test_contains_treats_percent_and_underscore_literally(sf, deals):
    assert matching(sf, cond("title", "contains", "0%")) == {"100% done"}
    assert matching(sf, cond("title", "contains", "a_b")) == {"a_b"}


def test_contains_on_a_number_field_is_answered_or_refused_never_a_database_error(sf, deals, db_url, request):
    try:
        found = matching(sf, cond("amount", "contains", "250"))
    except FilterError:
        return
    assert found == {"Bravo"}


def test_is_empty_and_is_not_empty(sf, deals):
    assert matching(sf, cond("amount", "is_empty")) == {"charlie", "a_b"}
    assert matching(sf, cond("due", "is_not_empty")) == {
        "Alpha", "Bravo", "Договор с ООО «Ромашка»", "100% done"}
    assert matching(sf, cond("assignee", "is_empty")) == ALL - {"Alpha", "Bravo", "charlie"}


def test_between_is_inclusive_on_dates_datetimes_and_money(sf, deals):
    assert matching(sf, cond("due", "between", ["2026-03-01", "2026-03-15"])) == {"Alpha", "Bravo"}
    assert matching(sf, cond("meeting_at", "between", ["2026-03-15T23:59:59Z", "2026-03-16T00:00:00Z"])) == {
        "Bravo", "charlie"}
    assert matching(sf, cond("meeting_at", "between", ["2026-03-16T02:59:59+03:00", None])) == {
        "Bravo", "charlie"}
    assert matching(sf, cond("amount", "between", ["99.99", "250.50"])) == {
        "Alpha", "Bravo", "Договор с ООО «Ромашка»"}
    assert matching(sf, cond("amount", "between", [None, 0])) == {"1000 done"}


def test_nested_all_any_not(sf, deals):
    tree = {"all": [
        {"any": [cond("priority", "eq", "high"), cond("title", "contains", "ромашка")]},
        {"not": cond("amount", "gt", 100)},
    ]}
    assert matching(sf, tree) == {"Alpha", "Договор с ООО «Ромашка»"}
    assert matching(sf, {"not": {"any": [cond("amount", "is_empty"), cond("amount", "lt", 1000)]}}) == {
        "100% done"}
    assert matching(sf, {"all": []}) == ALL
    assert matching(sf, {"any": []}) == set()


def test_filters_on_system_fields_created_at_stage_and_id(sf, deals):
    assert matching(sf, cond("created_at", "between", [iso(START), iso(START + dt.timedelta(hours=1))])) == {
        "Alpha", "Bravo"}
    assert matching(sf, cond("created_at", "gt", START + dt.timedelta(hours=5))) == {"a_b"}
    sf.records.update(sf.system, APP, "deal", deals["Bravo"]["id"], {"stage": "won"})
    assert matching(sf, cond("stage", "eq", "won")) == {"Bravo"}
    assert matching(sf, cond("stage", "in", ["new", "qualified"])) == ALL - {"Bravo"}
    assert matching(sf, cond("id", "in", [deals["Alpha"]["id"], deals["a_b"]["id"]])) == {"Alpha", "a_b"}
    assert matching(sf, cond("pipeline", "eq", "sales")) == ALL
    assert matching(sf, cond("created_by", "eq", "system")) == ALL


def test_multiselect_contains_finds_records_holding_the_code(sf, deals, db_url, request):
    assert matching(sf, cond("tags", "contains", "vip")) == {"Alpha", "Bravo", "a_b"}
    assert matching(sf, cond("tags", "contains", "partner")) == {"Bravo", "Договор с ООО «Ромашка»"}
    assert matching(sf, {"not": cond("tags", "contains", "vip")}) == ALL - {"Alpha", "Bravo", "a_b"}


def test_multiselect_is_empty_sees_cleared_and_never_set_lists_alike(sf, deals):
    sf.records.update(sf.system, APP, "deal", deals["a_b"]["id"], {"tags": []})
    sf.records.create(sf.system, APP, "deal", {"title": "given empty", "tags": []})
    empty = ALL - {"Alpha", "Bravo", "Договор с ООО «Ромашка»"}
    assert matching(sf, cond("tags", "is_empty")) == empty | {"given empty"}
    assert matching(sf, cond("tags", "is_not_empty")) == {"Alpha", "Bravo", "Договор с ООО «Ромашка»"}


# -- refused filters ---------------------------------------------------------------------------

@pytest.mark.parametrize("where, named", [
    (cond("colour", "eq", "red"), "'colour'"),
    (cond("title", "like", "A"), "'like'"),
    (cond("amount", "gt", "lots"), "amount"),
    (cond("due", "lt", "tomorrow"), "due"),
    (cond("priority", "in", "high"), "priority"),
    (cond("amount", "between", [1]), "between"),
    (cond("tags", "eq", "vip"), "'eq'"),
    (cond("creditors", "is_empty"), "'creditors'"),
    ({"all": [cond("title", "eq", "A"), {"any": [cond("nope", "eq", 1)]}]}, "'nope'"),
    ({"field": "title"}, "'op'"),
    ({"all": "title"}, "'all'"),
])
def test_bad_filters_raise_filter_error_naming_the_problem(sf, deals, where, named):
    with pytest.raises(FilterError, match=named):
        sf.records.list(sf.system, APP, "deal", where=where)


# -- search ------------------------------------------------------------------------------------

def test_search_looks_into_searchable_fields_case_insensitively(sf, deals):
    assert matching(sf, search="ALPHA") == {"Alpha"}
    assert matching(sf, search="банк") == {"Договор с ООО «Ромашка»"}
    assert matching(sf, search="the bank") == {"Alpha"}
    assert matching(sf, search="AB 123") == set()  # passport is not searchable
    assert matching(sf, search="   ") == ALL


def test_search_by_id_finds_the_record_with_that_id(sf, deals):
    alpha = deals["Alpha"]["id"]
    assert "Alpha" in matching(sf, search=str(alpha))
    assert matching(sf, search="1000") == {"1000 done"}


def test_search_in_a_handbook_uses_code_and_label(sf):
    found = sf.records.list(sf.system, APP, "city", search="KAZ").items
    assert [c["code"] for c in found] == ["kzn"]


# -- sort --------------------------------------------------------------------------------------

def test_default_order_is_newest_first(sf, deals):
    assert titles(sf) == list(reversed(list(deals)))


def test_sort_ascending_puts_empty_values_last_and_descending_first(sf, deals):
    assert titles(sf, sort="amount") == [
        "1000 done", "Договор с ООО «Ромашка»", "Alpha", "Bravo", "100% done", "charlie", "a_b"]
    assert titles(sf, sort="-amount") == [
        "charlie", "a_b", "100% done", "Bravo", "Alpha", "Договор с ООО «Ромашка»", "1000 done"]


def test_sort_by_several_keys(sf, deals):
    assert titles(sf, sort="priority,-amount") == [
        "Alpha", "100% done", "Договор с ООО «Ромашка»", "charlie", "a_b", "Bravo", "1000 done"]
    assert titles(sf, sort=["-priority", "due"]) == [
        "Bravo", "charlie", "1000 done", "a_b", "100% done", "Договор с ООО «Ромашка»", "Alpha"]


def test_sort_by_id_first_orders_by_id(sf, deals):
    assert titles(sf, sort=["id", "-amount"]) == list(deals)


@pytest.mark.parametrize("sort, named", [("colour", "'colour'"), ("tags", "'tags'"), ("-documents", "'documents'")])
def test_bad_sort_raises_filter_error_naming_the_field(sf, deals, sort, named):
    with pytest.raises(FilterError, match=named):
        sf.records.list(sf.system, APP, "deal", sort=sort)


# -- keyset pagination -------------------------------------------------------------------------

def _decimal(value):
    return None if value is None else Decimal(value)


SORT_VALUE = {"amount": _decimal, "vat": _decimal}


def expected_order(items, sort):
    keys = [(k.lstrip("-"), k.startswith("-")) for k in sort if k.lstrip("-") != "id"]
    id_desc = not keys if "id" not in [k.lstrip("-") for k in sort] else "-id" in sort

    def compare(a, b):
        for name, desc in keys:
            convert = SORT_VALUE.get(name, lambda v: v)
            x, y = convert(a[name]), convert(b[name])
            if x == y:
                continue
            if x is None or y is None:  # empty: last ascending, first descending
                return (1 if x is None else -1) * (-1 if desc else 1)
            return (-1 if x < y else 1) * (-1 if desc else 1)
        return (a["id"] > b["id"]) - (a["id"] < b["id"]) if not id_desc else (a["id"] < b["id"]) - (a["id"] > b["id"])

    return [item["id"] for item in sorted(items, key=functools.cmp_to_key(compare))]


@pytest.fixture
def many_deals(sf, clock):
    """120 deals with many equal sort values and empties."""
    amounts = [None, "10", "20", "20", "35.50", None, "0"]
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})["id"]
    for i in range(120):
        sf.records.create(sf.system, APP, "deal", {
            "title": f"Deal {i % 13:02d}", "amount": amounts[i % len(amounts)],
            "due": None if i % 4 == 0 else f"2026-05-{1 + i % 9:02d}",
            "priority": ["low", "normal", "high"][i % 3], "quantity": None if i % 5 == 0 else i % 4,
            "meeting_at": None if i % 3 else f"2026-05-01T{i % 24:02d}:00:00Z",
            "stage": "qualified" if i % 6 == 0 else None, "client": client if i % 6 == 0 else None,
        } | ({"stage": "won"} if i % 10 == 1 else {}))
        if i % 3 == 2:
            clock.advance(minutes=1)
    return sf.records.list(sf.system, APP, "deal", limit=500).items


SORTS = [[], ["amount"], ["-amount"], ["due", "-amount"], ["-due", "title"], ["priority", "-quantity"],
         ["-created_at"], ["stage", "-vat"], ["-id"], ["title", "meeting_at"], ["-meeting_at", "-quantity", "id"]]


def walk(sf, sort, where=None, limit=7) -> tuple[list[int], int]:
    """Every id in page order, following next_cursor to the end; and the number of pages."""
    walked, cursor, pages = [], None, 0
    while True:
        page = sf.records.list(sf.system, APP, "deal", where=where, sort=sort, limit=limit, after=cursor)
        assert 1 <= len(page.items) <= limit
        walked += [item["id"] for item in page.items]
        pages += 1
        if page.next_cursor is None:
            return walked, pages
        assert len(page.items) == limit
        cursor = page.next_cursor


def test_keyset_pages_of_seven_walk_the_whole_sorted_list_for_every_sort(sf, many_deals):
    assert len(many_deals) == 120
    for sort in SORTS:
        walked, pages = walk(sf, sort)
        assert pages == 18, sort
        assert len(set(walked)) == 120, sort
        assert walked == expected_order(many_deals, sort), sort


def test_keyset_pages_walk_a_filtered_list(sf, many_deals):
    where = cond("amount", "is_not_empty")
    wanted = [d for d in many_deals if d["amount"] is not None]
    walked, _ = walk(sf, "-amount,due", where=where)
    assert walked == expected_order(wanted, ["-amount", "due"])


@pytest.fixture
def few_deals(sf):
    """24 deals with repeated and empty amounts and due dates."""
    amounts = ["10", None, "20", "20", "50", "35.50", None, "90"]
    for i in range(24):
        sf.records.create(sf.system, APP, "deal", {
            "title": f"Deal {i:02d}", "amount": amounts[i % 8], "due": None if i % 5 == 0 else f"2026-06-{1 + i % 4:02d}"})
    return sf.records.list(sf.system, APP, "deal", limit=500).items


@pytest.mark.parametrize("sort", [["amount"], ["-amount", "due"], []], ids=["amount", "-amount,due", "newest-first"])
def test_keyset_pages_with_rows_inserted_between_fetches_skip_and_repeat_nothing(sf, few_deals, sort):
    """Between page fetches, rows are inserted that sort before the cursor, at it (the same sort
    values as the page's last row) and after it: every row that existed is walked exactly once,
    and an inserted row shows up exactly when it sorts after the cursor it was inserted at."""
    existing = {d["id"] for d in few_deals}
    walked, cursor, inserted = [], None, []  # inserted: (id, id of the page's last row then)
    for _ in range(50):
        page = sf.records.list(sf.system, APP, "deal", sort=sort, limit=6, after=cursor)
        walked += [item["id"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor, last = page.next_cursor, page.items[-1]
        for amount in ("1", last["amount"], "999", None):  # lowest, the same, highest, empty
            row = sf.records.create(sf.system, APP, "deal", {
                "title": f"Inserted {len(inserted)}", "amount": amount, "due": last["due"]})
            inserted.append((row["id"], last["id"]))
    else:
        pytest.fail("the pages never ended")
    order = expected_order(sf.records.list(sf.system, APP, "deal", limit=500).items, sort)
    position = {record_id: i for i, record_id in enumerate(order)}
    after_cursor = {new for new, at in inserted if position[new] > position[at]}
    assert len(walked) == len(set(walked))
    assert existing <= set(walked)
    assert walked == [i for i in order if i in existing or i in after_cursor]
    if sort:  # some inserted rows came after the cursor (the copies at it among them), some before
        assert 0 < len(after_cursor) < len(inserted)
        assert {new for new, at in inserted[1::4]} <= after_cursor
    else:  # newest first: every new row sorts before the cursor
        assert not after_cursor


@pytest.mark.parametrize("cursor", ["not a cursor!", "e30", encode_cursor([1, 2, 3]), encode_cursor([])])
def test_bad_cursor_raises_filter_error(sf, deals, cursor):
    with pytest.raises(FilterError, match="cursor"):
        sf.records.list(sf.system, APP, "deal", sort="amount", after=cursor)


def test_forged_cursor_with_wrong_value_types_raises_filter_error(sf, deals):
    with pytest.raises(FilterError):
        sf.records.list(sf.system, APP, "deal", sort="amount", after=encode_cursor(["x", 1]))


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_out_of_range_raises_filter_error(sf, limit):
    with pytest.raises(FilterError, match="limit"):
        sf.records.list(sf.system, APP, "deal", limit=limit)


# -- count -------------------------------------------------------------------------------------

def test_count_honours_filters_and_search(sf, deals):
    assert sf.records.count(sf.system, APP, "deal") == 7
    assert sf.records.count(sf.system, APP, "deal", where=cond("amount", "gte", 100)) == 3
    assert sf.records.count(sf.system, APP, "deal", search="done") == 2
    assert sf.records.count(sf.system, APP, "deal", where=cond("due", "is_empty"), search="done") == 1
    with pytest.raises(FilterError):
        sf.records.count(sf.system, APP, "deal", where=cond("nope", "eq", 1))


@pytest.mark.parametrize("sort", [["important"], ["-important"], ["important", "-amount"]],
                         ids=["important", "-important", "important,-amount"])
def test_keyset_pages_walk_a_boolean_sort(sf, sort):
    """SQL booleans have no '<': the cursor of a yes/no sort is compared as false < true."""
    for i in range(15):
        sf.records.create(sf.system, APP, "deal", {"title": f"Flag {i}", "important": [True, False, None][i % 3],
                                                   "amount": str(i % 4)})
    everything = sf.records.list(sf.system, APP, "deal", limit=500).items
    walked, pages = walk(sf, sort, limit=4)
    assert pages == 4
    assert walked == expected_order(everything, sort)
