"""PL01 field kinds, kind by kind: what each accepts, how it normalises, what it refuses.

The contract every kind shares is in test_field_kinds.py.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from stageflow.core.fields import FieldValueError, Storage, default_field_kinds
from stageflow.metadata.build import field_spec

KINDS = default_field_kinds()


def field(kind: str, required: bool = False, **options):
    doc = {"name": "x", "kind": kind, "label": "X", "required": required}
    if options:
        doc["options"] = options
    return field_spec(doc)


def value(kind: str, raw, **options):
    return KINDS.get(kind).coerce(raw, field(kind, **options))


def refused(kind: str, raw, **options) -> str:
    with pytest.raises(FieldValueError) as error:
        value(kind, raw, **options)
    return str(error.value)


CHOICES = [{"value": "a"}, {"value": "b"}]


# --- string and text ----------------------------------------------------------------------------

def test_pl01_string_is_stripped_and_numbers_become_text():
    assert value("string", "  Иванов Иван ") == "Иванов Иван"
    assert value("string", 42) == "42"
    assert value("string", Decimal("12.50")) == "12.50"


def test_pl01_string_length_limit_defaults_to_255_and_follows_max_length():
    assert value("string", "я" * 255) == "я" * 255
    assert "255" in refused("string", "я" * 256)
    assert value("string", "abcde", max_length=5) == "abcde"
    assert "5 characters" in refused("string", "abcdef", max_length=5)
    assert KINDS.get("string").string_length(field("string", max_length=5)) == 5


def test_pl01_string_refuses_newlines_and_non_text():
    assert "one line" in refused("string", "first\nsecond")
    refused("string", True)
    refused("string", ["a"])


def test_pl01_text_keeps_newlines_and_refuses_non_text():
    assert value("text", "first\nsecond\n") == "first\nsecond\n"
    refused("text", 5)


# --- numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [(42, 42), ("42", 42), (" -7 ", -7), (42.0, 42),
                                               (Decimal("7"), 7), (2**63 - 1, 2**63 - 1)])
def test_pl01_integer_accepts_whole_numbers(raw, expected):
    assert value("integer", raw) == expected


@pytest.mark.parametrize("raw", [True, False, 42.5, "42.5", "1e3", "abc", 2**63, -(2**63)])
def test_pl01_integer_refuses_bools_fractions_and_out_of_range(raw):
    refused("integer", raw)


def test_pl01_integer_bounds():
    assert value("integer", 0, min=0, max=10) == 0
    assert value("integer", 10, min=0, max=10) == 10
    assert "at least 0" in refused("integer", -1, min=0)
    assert "at most 10" in refused("integer", 11, max=10)


@pytest.mark.parametrize("raw", [
    float("nan"), float("inf"),
    pytest.param(Decimal("NaN"), id="Decimal-NaN")])
def test_pl01_integer_refuses_nan_and_infinity_with_field_value_error(raw):
    refused("integer", raw)


def test_pl01_decimal_quantizes_to_scale_and_accepts_comma_and_spaces():
    assert value("decimal", "1234.5") == Decimal("1234.50")
    assert value("decimal", "1 234,5") == Decimal("1234.50")
    assert value("decimal", "1\u00a0234,567", scale=3) == Decimal("1234.567")
    assert value("decimal", 3) == Decimal("3.00")
    assert value("decimal", "0.125") == Decimal("0.12")  # banker's rounding of the half
    assert json.dumps(KINDS.get("decimal").to_json(value("decimal", "1.5"))) == '"1.50"'


def test_pl01_decimal_precision_counts_all_digits():
    assert value("decimal", "123.45", precision=5, scale=2) == Decimal("123.45")
    assert "5 digits" in refused("decimal", "1234.5", precision=5, scale=2)


@pytest.mark.parametrize("raw", [True, "abc", "NaN", "Infinity", "1,234.50", [1]])
def test_pl01_decimal_refuses_non_numbers(raw):
    refused("decimal", raw)


def test_pl01_decimal_bounds():
    assert "at least 0" in refused("decimal", "-0.01", min=0)
    assert value("decimal", "99.99", max=100) == Decimal("99.99")


@pytest.mark.parametrize(("raw", "options"), [("1e30", {}), ("1" * 30, {"precision": 38}),
                                              ("1" * 20, {"precision": 38, "scale": 12})])
def test_pl01_decimal_large_values_are_checked_not_crashed(raw, options):
    kind, spec = KINDS.get("decimal"), field("decimal", **options)
    try:
        kind.coerce(raw, spec)
    except FieldValueError:
        pass


def test_pl01_money_has_two_places_and_a_currency_option():
    assert value("money", "150 000,5") == Decimal("150000.50")
    assert value("money", "10.005", currency="EUR") == Decimal("10.00")
    assert KINDS.get("money").decimal_shape(field("money")) == (18, 2)
    refused("money", "ten")


# --- booleans -----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [True, 1, "true", "TRUE", "yes", "y", "on", "1", "да", " Да "])
def test_pl01_boolean_true_words(raw):
    assert value("boolean", raw) is True


@pytest.mark.parametrize("raw", [False, 0, "false", "no", "n", "off", "0", "нет", "НЕТ"])
def test_pl01_boolean_false_words(raw):
    assert value("boolean", raw) is False


@pytest.mark.parametrize("raw", [2, "maybe", "истина", 1.0, [True]])
def test_pl01_boolean_refuses_other_values(raw):
    refused("boolean", raw)


# --- time ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["2026-11-23", "23.11.2026", " 2026-11-23 ", dt.date(2026, 11, 23),
                                 dt.datetime(2026, 11, 23, 23, 59)])
def test_pl01_date_accepts_iso_and_russian_formats(raw):
    assert value("date", raw) == dt.date(2026, 11, 23)


@pytest.mark.parametrize("raw", ["2026/11/23", "31.02.2026", "2026-13-01", "tomorrow", 20261123])
def test_pl01_date_refuses_other_text(raw):
    assert "2026-11-23" in refused("date", raw)


def test_pl01_date_json_is_iso():
    assert KINDS.get("date").to_json(dt.date(2026, 1, 5)) == "2026-01-05"


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-11-23T10:30:00+03:00", dt.datetime(2026, 11, 23, 7, 30)),
    ("2026-11-23T10:30:00Z", dt.datetime(2026, 11, 23, 10, 30)),
    ("2026-11-23T10:30:00", dt.datetime(2026, 11, 23, 10, 30)),  # no zone: taken as UTC
    ("2026-11-23T01:00:00+05:00", dt.datetime(2026, 11, 22, 20, 0)),  # crosses midnight
    ("2026-11-23T10:30:00.987654Z", dt.datetime(2026, 11, 23, 10, 30)),
    (dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2))), dt.datetime(2026, 11, 23, 12, 30)),
])
def test_pl01_datetime_is_stored_as_naive_utc(raw, expected):
    stored = value("datetime", raw)
    assert stored == expected and stored.tzinfo is None


def test_pl01_datetime_json_marks_utc_and_refuses_junk():
    assert KINDS.get("datetime").to_json(dt.datetime(2026, 11, 23, 7, 30)) == "2026-11-23T07:30:00Z"
    refused("datetime", "23.11.2026 10:30")
    refused("datetime", dt.date(2026, 11, 23))


@pytest.mark.parametrize(("raw", "seconds"), [
    ("1h 30m", 5400), ("1h30m", 5400), ("PT1H30M", 5400), (5400, 5400), ("5400", 5400),
    ("2d", 172800), ("1w 1s", 604801), ("P1DT2H", 93600), ("pt45s", 45), (dt.timedelta(minutes=3), 180), (0, 0),
])
def test_pl01_duration_accepts_human_iso_and_seconds(raw, seconds):
    assert value("duration", raw) == seconds


@pytest.mark.parametrize("raw", ["1.5h", "P", "PT", "90 minutes", -1, True, 5400.0, 2**40])
def test_pl01_duration_refuses_other_input(raw):
    refused("duration", raw)


# --- choices ------------------------------------------------------------------------------------

def test_pl01_select_accepts_only_its_choices():
    assert value("select", " a ", choices=CHOICES) == "a"
    message = refused("select", "c", choices=CHOICES)
    assert "'c'" in message and "a, b" in message
    refused("select", True, choices=CHOICES)


def test_pl01_select_from_a_handbook_leaves_the_code_check_to_the_record_service():
    assert value("select", "msk", handbook="city") == "msk"


def test_pl01_multiselect_splits_text_and_drops_duplicates():
    assert value("multiselect", "a|b", choices=CHOICES) == ["a", "b"]
    assert value("multiselect", "b, a", choices=CHOICES) == ["b", "a"]
    assert value("multiselect", ["a", "a", "b", "a"], choices=CHOICES) == ["a", "b"]
    assert value("multiselect", [], choices=CHOICES) is None
    assert "'c'" in refused("multiselect", "a|c", choices=CHOICES)
    refused("multiselect", 5, choices=CHOICES)


# --- references ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [(5, 5), ("5", 5), ({"id": 7, "title": "x"}, 7)])
def test_pl01_link_holds_a_positive_record_id(raw, expected):
    assert value("link", raw, entity="client") == expected


@pytest.mark.parametrize("raw", [0, -3, "abc", True, {"title": "x"}, [1]])
def test_pl01_link_refuses_non_ids(raw):
    assert "record id" in refused("link", raw, entity="client")


def test_pl01_link_refuses_a_fractional_id():
    refused("link", 2.5, entity="client")


def test_pl01_user_and_department_are_stripped_names():
    assert value("user", " ivanova ") == "ivanova"
    assert value("department", "sales") == "sales"
    refused("user", "x" * 151)
    refused("department", 5)


def test_pl01_file_holds_a_list_of_ids_and_one_unless_multiple():
    assert value("file", 3) == [3]
    assert value("file", [1, "1"]) == [1]
    assert value("file", [2, 1, 2], multiple=True) == [2, 1]
    assert value("file", [], multiple=True) is None
    assert "one file" in refused("file", [1, 2])
    refused("file", ["x"], multiple=True)


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("email", "client@example.com", "client@example"),
    ("phone", "+7 (912) 345-67-89", "call me"),
    ("url", "https://example.com/case/1", "javascript:alert(1)"),
])
def test_pl01_contact_kinds_check_their_pattern(kind, good, bad):
    assert value(kind, f" {good} ") == good
    refused(kind, bad)
    refused(kind, 5)


# --- structured ---------------------------------------------------------------------------------

def test_pl01_checklist_turns_strings_into_unticked_items():
    assert value("checklist", ["Паспорт", " СНИЛС "]) == [
        {"text": "Паспорт", "done": False}, {"text": "СНИЛС", "done": False}]
    assert value("checklist", "Паспорт\n\nСНИЛС") == [
        {"text": "Паспорт", "done": False}, {"text": "СНИЛС", "done": False}]
    assert value("checklist", [{"text": "a", "done": True}]) == [{"text": "a", "done": True}]
    assert value("checklist", []) is None


def test_pl01_checklist_refuses_items_without_text():
    assert "item 2" in refused("checklist", ["a", {"done": True}])
    refused("checklist", [{"text": "  "}])
    refused("checklist", ["x" * 501])
    refused("checklist", 5)


def test_pl01_checklist_done_false_text_stays_false():
    assert value("checklist", [{"text": "a", "done": "false"}]) == [{"text": "a", "done": False}]


def creditors_field():
    return field("child_table", fields=[
        {"name": "creditor", "kind": "string", "required": True},
        {"name": "debt", "kind": "money"},
        {"name": "since", "kind": "date"}])


def test_pl01_child_table_rows_are_parsed_by_their_column_kinds():
    rows = KINDS.get("child_table").coerce(
        [{"creditor": " Bank ", "debt": "1 000,5", "since": "01.02.2026"}, {"creditor": "Shop"}], creditors_field())
    assert rows == [{"creditor": "Bank", "debt": Decimal("1000.50"), "since": dt.date(2026, 2, 1)},
                    {"creditor": "Shop", "debt": None, "since": None}]


def test_pl01_child_table_refuses_unknown_columns_missing_required_and_bad_cells():
    table, spec = KINDS.get("child_table"), creditors_field()
    for rows, message in [([{"creditor": "Bank", "colour": "red"}], "row 1: unknown column 'colour'"),
                          ([{"creditor": "Bank"}, {"debt": "5"}], "row 2, creditor: is required"),
                          ([{"creditor": "Bank", "debt": "lots"}], "row 1, debt: expected a number"),
                          (["Bank"], "row 1 is not an object")]:
        with pytest.raises(FieldValueError, match=message):
            table.coerce(rows, spec)


def test_pl01_child_table_accepts_an_id_column():
    assert KINDS.get("child_table").coerce([{"id": 4, "creditor": "Bank"}], creditors_field())[0]["creditor"] == "Bank"


def test_pl01_child_table_has_no_column_of_its_own():
    assert KINDS.get("child_table").storage_of(creditors_field()) is Storage.NONE


def test_pl01_child_table_json_is_serialisable_for_money_and_date_columns():
    table, spec = KINDS.get("child_table"), creditors_field()
    rows = table.coerce([{"creditor": "Bank", "debt": "5", "since": "2026-02-01"}], spec)
    assert json.loads(json.dumps(table.to_json(rows))) == [{"creditor": "Bank", "debt": "5.00", "since": "2026-02-01"}]


def computed(result_type: str):
    return field("computed", formula="a", type=result_type)


@pytest.mark.parametrize(("result_type", "raw", "stored", "as_json"), [
    ("decimal", Decimal("12.34"), Decimal("12.34"), "12.34"),
    ("decimal", 0.5, Decimal("0.50"), "0.50"),
    ("date", dt.date(2026, 1, 31), dt.date(2026, 1, 31), "2026-01-31"),
    ("boolean", True, True, True),
    ("integer", 7, 7, 7),
    ("string", Decimal("1.50"), "1.50", "1.50"),
])
def test_pl01_computed_results_are_stored_as_their_type(result_type, raw, stored, as_json):
    kind = KINDS.get("computed")
    assert kind.coerce(raw, computed(result_type)) == stored
    assert kind.to_json(kind.coerce(raw, computed(result_type))) == as_json


@pytest.mark.parametrize(("raw", "stored"), [("x" * 300, "x" * 300), ("x" * 1500, "x" * 1000),
                                             ("line one\nline two", "line one\nline two")])
def test_pl01_computed_string_holds_what_its_column_holds(raw, stored):
    assert KINDS.get("computed").coerce(raw, computed("string")) == stored


def test_pl01_computed_integer_accepts_a_whole_float_result():
    assert KINDS.get("computed").coerce(2.0, computed("integer")) == 2


def test_pl01_computed_decimal_is_quantized_to_the_scale_of_its_column():
    kind, spec = KINDS.get("computed"), computed("decimal")
    _, scale = kind.decimal_shape(spec)
    assert kind.coerce(Decimal("0.1234"), spec) == Decimal("0.1234").quantize(Decimal(1).scaleb(-scale))
