"""What names a record: the title field, else the first text field, else ``#id``; 0 is a title."""
from __future__ import annotations

import pytest

from stageflow.core.record_title import record_title, title_field, title_value
from stageflow.core.specs import EntitySpec, FieldSpec


def entity(*fields: tuple[str, str], title: str | None = None) -> EntitySpec:
    return EntitySpec(app="a", name="e", label="E", title_field=title,
                      fields=tuple(FieldSpec(name=n, kind=k, label=n) for n, k in fields))


def test_the_title_field_names_the_record():
    deal = entity(("amount", "money"), ("number", "integer"), ("title", "string"), title="number")
    assert title_field(deal).name == "number"
    assert record_title(deal, {"id": 5, "number": 17, "title": "x"}) == "17"


@pytest.mark.parametrize("value", [0, False, "0", 0.0])
def test_a_title_of_zero_or_false_is_a_title(value):
    deal = entity(("number", "integer"), title="number")
    assert record_title(deal, {"id": 5, "number": value}) == str(value)


@pytest.mark.parametrize("record", [{"id": 5}, {"id": 5, "number": None}, {"id": 5, "number": ""}])
def test_a_missing_or_empty_title_is_the_records_number(record):
    deal = entity(("number", "string"), title="number")
    assert title_value(deal, record) is None
    assert record_title(deal, record) == "#5"


def test_without_a_title_field_the_first_text_field_names_the_record():
    task = entity(("due", "date"), ("owner", "user"), ("subject", "email"), ("notes", "text"))
    assert title_field(task).name == "subject"
    assert record_title(task, {"id": 2, "subject": "a@example.com"}) == "a@example.com"
    assert record_title(entity(("due", "date")), {"id": 3, "due": "2026-01-01"}) == "#3"


def test_a_title_field_the_entity_lacks_falls_back_to_the_first_text_field():
    assert title_field(entity(("name", "string"), title="gone")).name == "name"
