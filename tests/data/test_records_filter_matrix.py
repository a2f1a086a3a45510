"""Every filter operator and sort per field kind of the mini app, on SQLite and PostgreSQL.

One data set per backend (built once for the module): the records' stored values are written
down here as Python values, and each case's expected ids are computed from them in Python with
the operators' documented meaning, then compared with what ``RecordService.list`` returns.
Operators that do not apply to a kind are refused with a ``FilterError`` naming the field.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from stageflow.data import FilterError
from stageflow.runtime import create_stageflow
from tests.conftest import _fresh_pg_database

APP = "mini"
D, T = dt.date, dt.datetime

# -- the data set ------------------------------------------------------------------------------

CLIENTS = {
    "ivan": {"full_name": "ivan", "phone": "+7 900 111-22-33", "email": "ivan@example.com", "city": "msk"},
    "olga": {"full_name": "olga", "phone": "+7 901 222-33-44", "email": "olga@mail.example.org", "city": "kzn"},
    "petr": {"full_name": "petr", "phone": None, "email": None, "city": None},
    "sergey": {"full_name": "sergey", "phone": "+7 902 333-44-55", "email": "sergey@example.com", "city": "msk"},
}
PASSPORT, TAX = {"text": "Passport", "done": False}, {"text": "Tax number", "done": False}
# Stored values of each deal; "client" names a client above, "scans" numbers stored files.
DEALS = {
    "alpha": dict(client="ivan", amount=Decimal("100.00"), vat=Decimal("20.00"), assignee="boris",
                  department="sales", priority="high", tags=["vip"], important=True, due=D(2026, 3, 1),
                  meeting_at=T(2026, 3, 1, 9), estimate=5400, quantity=1, rate=Decimal("0.5000"),
                  notes="call the bank", site="https://alpha.example.com", scans=[1], documents=[PASSPORT, TAX]),
    "bravo": dict(client="olga", amount=Decimal("250.50"), vat=Decimal("50.10"), assignee="anna",
                  department="sales", priority="low", tags=["vip", "partner"], important=False,
                  due=D(2026, 3, 15), meeting_at=T(2026, 3, 15, 23, 59, 59), estimate=3600, quantity=5,
                  rate=Decimal("1.2345"), notes="Позвонить в БАНК", site="https://bravo.example.org",
                  scans=[1, 2], documents=None),
    "charlie": dict(client=None, amount=None, vat=None, assignee="carl", department="support",
                    priority="normal", tags=["partner"], important=None, due=None, meeting_at=T(2026, 3, 16),
                    estimate=None, quantity=0, rate=None, notes=None, site=None, scans=None,
                    documents=[{"text": "Passport", "done": True}]),
    "delta": dict(client="ivan", amount=Decimal("0.00"), vat=Decimal("0.00"), assignee=None, department=None,
                  priority=None, tags=None, important=True, due=D(2026, 2, 28), meeting_at=None, estimate=0,
                  quantity=None, rate=Decimal("0.0001"), notes="Bank", site=None, scans=[2],
                  documents=[PASSPORT, TAX]),
    "echo": dict(client="petr", amount=Decimal("1000.00"), vat=Decimal("200.00"), assignee="boris",
                 department="head_office", priority="high", tags=None, important=False, due=D(2026, 4, 1),
                 meeting_at=T(2026, 4, 1, 12), estimate=86400, quantity=100, rate=Decimal("99.9999"), notes=None,
                 site="https://echo.example.net", scans=None, documents=None),
    "foxtrot": dict(client=None, amount=Decimal("12.50"), vat=Decimal("2.50"), assignee="anna",
                    department="sales", priority="normal", tags=["vip"], important=None, due=D(2026, 3, 15),
                    meeting_at=T(2026, 3, 15, 10), estimate=1800, quantity=5, rate=Decimal("1.2345"),
                    notes="no calls", site=None, scans=None, documents=[PASSPORT, TAX]),
}


def as_input(value: Any) -> Any:
    """A stored value as a client sends it (JSON)."""
    if isinstance(value, T):
        return value.isoformat() + "Z"
    if isinstance(value, (D, Decimal)):
        return str(value)
    return value


@dataclass
class DataSet:
    sf: Any
    ids: dict[str, dict[str, int]]  # entity -> title -> id
    rows: dict[str, dict[int, dict[str, Any]]]  # entity -> id -> stored values (Python)
    files: dict[int, int]  # file number in DEALS -> stored file id


def _build(sf) -> DataSet:
    system = sf.system
    files = {n: sf.files.put(f"scan{n}.pdf", "application/pdf", f"%PDF {n}".encode(), "system").id for n in (1, 2)}
    ids: dict[str, dict[str, int]] = {"client": {}, "deal": {}}
    rows: dict[str, dict[int, dict[str, Any]]] = {"client": {}, "deal": {}}
    for name, values in CLIENTS.items():
        record = sf.records.create(system, APP, "client", values)
        ids["client"][name], rows["client"][record["id"]] = record["id"], dict(values)
    for title, values in DEALS.items():
        stored = dict(values, title=title)
        stored["client"] = ids["client"][values["client"]] if values["client"] else None
        stored["scans"] = [files[n] for n in values["scans"]] if values["scans"] else None
        sent = {k: as_input(v) for k, v in stored.items() if k != "vat"}
        record = sf.records.create(system, APP, "deal", sent)
        assert {k: record[k] for k in stored} == {k: as_input(v) for k, v in stored.items()}, title
        ids["deal"][title], rows["deal"][record["id"]] = record["id"], stored
    return DataSet(sf, ids, rows, files)


BACKENDS = [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def data(request, tmp_path_factory, mini_bundle):
    folder = tmp_path_factory.mktemp("filter_matrix")
    database = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder}/stageflow.db"
    else:
        database = _fresh_pg_database(request.getfixturevalue("_pg_admin_engine"),
                                      request.getfixturevalue("pg_admin_url"))
        url = next(database)
    sf = create_stageflow(url, files_dir=folder / "files")
    try:
        sf.install(mini_bundle)
        yield _build(sf)
    finally:
        sf.close()
        if database is not None:
            database.close()  # drops the database


def listed(data: DataSet, entity: str, **kwargs) -> list[int]:
    page = data.sf.records.list(data.sf.system, APP, entity, limit=500, **kwargs)
    assert page.next_cursor is None
    return [item["id"] for item in page.items]


# -- what each operator means, in Python ----------------------------------------------------------

def empty(v):
    return v is None or v == []


def between(v, low, high):
    return v is not None and (low is None or v >= low) and (high is None or v <= high)


MEANING = {
    "eq": lambda v, x: v is not None and v == x,
    "ne": lambda v, x: v != x,
    "lt": lambda v, x: v is not None and v < x,
    "lte": lambda v, x: v is not None and v <= x,
    "gt": lambda v, x: v is not None and v > x,
    "gte": lambda v, x: v is not None and v >= x,
    "in": lambda v, xs: v is not None and v in xs,
    "not_in": lambda v, xs: v not in xs,
    "contains": lambda v, x: v is not None and (x in v if isinstance(v, list) else x.lower() in v.lower()),
    "is_empty": lambda v, x: empty(v),
    "is_not_empty": lambda v, x: not empty(v),
    "between": lambda v, x: between(v, *x),
}

# (entity, field, op, value sent, value in Python terms when it differs from what is sent)
ACCEPTED = [
    # boolean
    ("deal", "important", "eq", True, None), ("deal", "important", "eq", "no", False),
    ("deal", "important", "ne", True, None), ("deal", "important", "in", [False], None),
    ("deal", "important", "is_empty", None, None), ("deal", "important", "is_not_empty", None, None),
    # link
    ("deal", "client", "eq", "@ivan", None), ("deal", "client", "ne", "@ivan", None),
    ("deal", "client", "in", ["@olga", "@petr"], None), ("deal", "client", "not_in", ["@ivan"], None),
    ("deal", "client", "is_empty", None, None),
    # user and department
    ("deal", "assignee", "eq", "boris", None), ("deal", "assignee", "ne", "boris", None),
    ("deal", "assignee", "in", ["anna", "carl"], None), ("deal", "assignee", "not_in", ["anna"], None),
    ("deal", "assignee", "contains", "OR", "or"), ("deal", "assignee", "is_empty", None, None),
    ("deal", "department", "eq", "sales", None), ("deal", "department", "ne", "sales", None),
    ("deal", "department", "in", ["support", "head_office"], None), ("deal", "department", "is_not_empty", None, None),
    # integer
    ("deal", "quantity", "eq", "5", 5), ("deal", "quantity", "ne", 5, None), ("deal", "quantity", "lt", 5, None),
    ("deal", "quantity", "lte", 5, None), ("deal", "quantity", "gt", 0, None), ("deal", "quantity", "gte", "1", 1),
    ("deal", "quantity", "in", [0, 100], None), ("deal", "quantity", "between", [1, 5], None),
    ("deal", "quantity", "is_empty", None, None),
    # decimal and money (and a computed decimal)
    ("deal", "rate", "eq", "1.2345", Decimal("1.2345")), ("deal", "rate", "lt", "1", Decimal(1)),
    ("deal", "rate", "gte", "1,2345", Decimal("1.2345")), ("deal", "rate", "in", ["0.5", "0.0001"], [Decimal("0.5"), Decimal("0.0001")]),
    ("deal", "rate", "between", ["0.0001", "1.2345"], [Decimal("0.0001"), Decimal("1.2345")]),
    ("deal", "amount", "eq", 100, Decimal(100)), ("deal", "amount", "ne", "0", Decimal(0)),
    ("deal", "amount", "lt", "100", Decimal(100)), ("deal", "amount", "gt", "12.5", Decimal("12.5")),
    ("deal", "amount", "between", [None, "250.50"], [None, Decimal("250.50")]),
    ("deal", "amount", "is_empty", None, None),
    ("deal", "vat", "eq", "50.1", Decimal("50.10")), ("deal", "vat", "gt", 20, Decimal(20)),
    ("deal", "vat", "between", ["2.5", "50.10"], [Decimal("2.5"), Decimal("50.10")]), ("deal", "vat", "is_empty", None, None),
    # duration
    ("deal", "estimate", "eq", "1h 30m", 5400), ("deal", "estimate", "lt", "PT1H", 3600),
    ("deal", "estimate", "gte", 3600, None), ("deal", "estimate", "between", ["30m", "1d"], [1800, 86400]),
    ("deal", "estimate", "is_empty", None, None),
    # date and datetime, with open and closed ranges
    ("deal", "due", "eq", "15.03.2026", D(2026, 3, 15)), ("deal", "due", "ne", "2026-03-15", D(2026, 3, 15)),
    ("deal", "due", "lt", "2026-03-15", D(2026, 3, 15)), ("deal", "due", "gte", "2026-03-15", D(2026, 3, 15)),
    ("deal", "due", "between", ["2026-03-01", "2026-03-31"], [D(2026, 3, 1), D(2026, 3, 31)]),
    ("deal", "due", "between", [None, "2026-03-01"], [None, D(2026, 3, 1)]),
    ("deal", "due", "between", ["2026-03-02", None], [D(2026, 3, 2), None]),
    ("deal", "due", "is_empty", None, None),
    ("deal", "meeting_at", "eq", "2026-03-01T12:00:00+03:00", T(2026, 3, 1, 9)),
    ("deal", "meeting_at", "lt", "2026-03-16T00:00:00Z", T(2026, 3, 16)),
    ("deal", "meeting_at", "gt", "2026-03-15T23:59:59Z", T(2026, 3, 15, 23, 59, 59)),
    ("deal", "meeting_at", "between", ["2026-03-15T00:00:00Z", "2026-03-16T00:00:00Z"], [T(2026, 3, 15), T(2026, 3, 16)]),
    ("deal", "meeting_at", "between", ["2026-03-16T02:00:00+03:00", None], [T(2026, 3, 15, 23), None]),
    ("deal", "meeting_at", "is_not_empty", None, None),
    # select (inline choices and a handbook) and multiselect
    ("deal", "priority", "eq", "high", None), ("deal", "priority", "ne", "high", None),
    ("deal", "priority", "in", ["low", "normal"], None), ("deal", "priority", "not_in", ["normal"], None),
    ("deal", "priority", "is_empty", None, None),
    ("client", "city", "eq", "msk", None), ("client", "city", "in", ["kzn"], None),
    ("client", "city", "ne", "msk", None), ("client", "city", "is_empty", None, None),
    ("deal", "tags", "contains", "vip", None), ("deal", "tags", "contains", "partner", None),
    ("deal", "tags", "is_empty", None, None), ("deal", "tags", "is_not_empty", None, None),
    # files and checklists: lists too
    ("deal", "scans", "contains", "#1", None), ("deal", "scans", "contains", "#2", None),
    ("deal", "scans", "is_empty", None, None), ("deal", "documents", "is_empty", None, None),
    ("deal", "documents", "is_not_empty", None, None),
    # string, text, e-mail, phone and URL
    ("deal", "title", "eq", "bravo", None), ("deal", "title", "ne", "bravo", None),
    ("deal", "title", "in", ["alpha", "echo", "zulu"], None), ("deal", "title", "contains", "A", "a"),
    ("deal", "notes", "contains", "bank", None), ("deal", "notes", "contains", "банк", None),
    ("deal", "notes", "eq", "Bank", None), ("deal", "notes", "is_empty", None, None),
    ("client", "email", "eq", "ivan@example.com", None), ("client", "email", "contains", "EXAMPLE.COM", "example.com"),
    ("client", "email", "in", ["olga@mail.example.org", "nobody@example.com"], None),
    ("client", "email", "is_empty", None, None),
    ("client", "phone", "eq", "+7 901 222-33-44", None), ("client", "phone", "contains", "111", None),
    ("client", "phone", "is_not_empty", None, None),
    ("deal", "site", "contains", ".example.org", None), ("deal", "site", "eq", "https://echo.example.net", None),
    ("deal", "site", "is_empty", None, None),
]


def _resolve(data: DataSet, value: Any) -> Any:
    """"@ivan" is client ivan's id and "#1" stored file 1's id, in sent and expected values alike."""
    if isinstance(value, list):
        return [_resolve(data, v) for v in value]
    if isinstance(value, str) and value.startswith("@"):
        return data.ids["client"][value[1:]]
    if isinstance(value, str) and value.startswith("#"):
        return data.files[int(value[1:])]
    return value


@pytest.mark.parametrize("entity, field, op, sent, meant", ACCEPTED,
                         ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(ACCEPTED)])
def test_pl09_operator_on_each_kind_returns_exactly_the_matching_records(data, entity, field, op, sent, meant):
    sent = _resolve(data, sent)
    meant = sent if meant is None else _resolve(data, meant)
    expected = {i for i, row in data.rows[entity].items() if MEANING[op](row[field], meant)}
    assert set(listed(data, entity, where={"field": field, "op": op, "value": sent})) == expected


def test_the_cases_are_discriminating(data):
    """Most cases match some records and miss others, so a wrong answer cannot pass by luck."""
    trivial = []
    for entity, field, op, sent, meant in ACCEPTED:
        meant = _resolve(data, sent if meant is None else meant)
        hits = sum(MEANING[op](row[field], meant) for row in data.rows[entity].values())
        if hits in (0, len(data.rows[entity])):
            trivial.append((field, op))
    assert trivial == []


# -- refused operators -------------------------------------------------------------------------

REFUSED = [
    ("important", "lt", True, "'lt' does not apply to yes/no fields"),
    ("important", "between", [False, True], "'between' does not apply to yes/no fields"),
    ("important", "contains", "t", "'contains' applies to text and list fields"),
    ("client", "contains", 1, "'contains' applies to text and list fields"),
    ("quantity", "contains", "1", "'contains' applies to text and list fields"),
    ("rate", "contains", "1", "'contains' applies to text and list fields"),
    ("amount", "contains", "1", "'contains' applies to text and list fields"),
    ("vat", "contains", "1", "'contains' applies to text and list fields"),
    ("estimate", "contains", "1h", "'contains' applies to text and list fields"),
    ("due", "contains", "2026", "'contains' applies to text and list fields"),
    ("meeting_at", "contains", "2026", "'contains' applies to text and list fields"),
    ("tags", "eq", "vip", "operator 'eq' does not apply to list fields; use contains"),
    ("tags", "in", ["vip"], "operator 'in' does not apply to list fields; use contains"),
    ("tags", "contains", "gold", "'gold' is not one of vip, partner"),
    ("scans", "gt", 1, "operator 'gt' does not apply to list fields; use contains"),
    ("scans", "contains", "scan1.pdf", "expected a record id"),
    ("documents", "contains", "Passport", "'contains' does not apply to checklist fields"),
    ("documents", "eq", "Passport", "operator 'eq' does not apply to list fields; use contains"),
    ("creditors", "is_empty", None, "deal has no field 'creditors'"),
    ("priority", "eq", "urgent", "'urgent' is not one of low, normal, high"),
    ("quantity", "lt", "many", "expected a whole number"),
    ("due", "between", "2026-03-01", "'between' takes [from, to]"),
    ("assignee", "in", "boris", "'in' takes a list of values"),
]


@pytest.mark.parametrize("field, op, value, message", REFUSED, ids=[f"{c[0]}-{c[1]}" for c in REFUSED])
def test_an_operator_that_does_not_apply_is_refused_naming_the_field(data, field, op, value, message):
    with pytest.raises(FilterError) as refused:
        listed(data, "deal", where={"field": field, "op": op, "value": value})
    assert message in str(refused.value)
    assert field in str(refused.value)


# -- sort ----------------------------------------------------------------------------------------

SORTABLE = {"deal": ["title", "client", "amount", "vat", "assignee", "department", "priority", "important",
                     "due", "meeting_at", "estimate", "quantity", "rate", "notes", "site"],
            "client": ["full_name", "phone", "email", "city"]}


def expected_order(rows: dict[int, dict[str, Any]], field: str, descending: bool) -> list[int]:
    """Empty values last ascending and first descending; equal values by id."""
    def compare(a, b):
        x, y = rows[a][field], rows[b][field]
        if x != y:
            if x is None or y is None:
                return (1 if x is None else -1) * (-1 if descending else 1)
            return (-1 if x < y else 1) * (-1 if descending else 1)
        return a - b
    return sorted(rows, key=functools.cmp_to_key(compare))


@pytest.mark.parametrize("entity, field", [(e, f) for e, fields in SORTABLE.items() for f in fields],
                         ids=[f for fields in SORTABLE.values() for f in fields])
def test_sort_on_each_sortable_kind_both_ways(data, entity, field):
    for descending in (False, True):
        sort = ("-" if descending else "") + field
        assert listed(data, entity, sort=sort) == expected_order(data.rows[entity], field, descending), sort


@pytest.mark.parametrize("field", ["tags", "scans", "documents", "creditors"])
def test_sort_on_a_list_field_is_refused(data, field):
    with pytest.raises(FilterError, match=f"'{field}'"):
        listed(data, "deal", sort=field)
