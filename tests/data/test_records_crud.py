"""RecordService create/get/update/delete on the mini app (PL01, PL02): typed values, validation,
defaults, computed fields, references, child tables, files, and that a failed write leaves nothing."""
from __future__ import annotations

import pytest

from stageflow.data import RecordNotFound, RecordValidationError, UnknownApp, UnknownEntity
from stageflow.data import records as records_module
from stageflow.runtime import create_stageflow
from tests.bundle_edit import EditableBundle

from .support import START, count_rows, footprint, history, iso, outbox

APP = "mini"


def refused(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(RecordValidationError) as error:
        call(*args, **kwargs)
    return error.value.errors


# -- create / get / update / delete -----------------------------------------------------------

def test_pl01_create_parses_every_kind_and_get_returns_the_same(sf, clock):
    deal = sf.records.create(sf.system, APP, "deal", {
        "title": "  Roof repair ", "amount": "1 234,50", "important": "yes", "due": "01.04.2026",
        "meeting_at": "2026-03-10T10:30:00+03:00", "estimate": "1h 30m", "quantity": "3",
        "rate": "1.23456", "notes": "first line\nsecond line", "site": "https://example.com/x",
        "assignee": "boris", "department": "sales", "priority": "high", "tags": ["vip"],
    })
    assert deal["title"] == "Roof repair"
    assert deal["amount"] == "1234.50"
    assert deal["vat"] == "246.90"
    assert deal["important"] is True
    assert deal["due"] == "2026-04-01"
    assert deal["meeting_at"] == "2026-03-10T07:30:00Z"
    assert deal["estimate"] == 5400
    assert deal["quantity"] == 3
    assert deal["rate"] == "1.2346"
    assert deal["notes"] == "first line\nsecond line"
    assert (deal["assignee"], deal["department"], deal["priority"]) == ("boris", "sales", "high")
    assert deal["version"] == 1
    assert deal["created_by"] == deal["updated_by"] == "system"
    assert deal["created_at"] == deal["updated_at"] == iso(START)
    stored = sf.records.get(sf.system, APP, "deal", deal["id"])
    assert stored["creditors"] == []
    assert stored == deal


def test_create_and_noop_update_return_the_same_shape_as_get(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A"})
    unchanged = sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "A"})
    stored = sf.records.get(sf.system, APP, "deal", deal["id"])
    assert deal == stored and unchanged == stored


def test_update_changes_only_the_given_fields_and_stamps_who_and_when(sf, clock):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "notes": "keep", "quantity": 1})
    later = clock.advance(hours=2)
    boss = sf.actor("boss")
    updated = sf.records.update(boss, APP, "deal", deal["id"], {"quantity": 5})
    assert updated["quantity"] == 5
    assert (updated["title"], updated["notes"]) == ("A", "keep")
    assert updated["updated_by"] == "boss" and updated["updated_at"] == iso(later)
    assert updated["created_by"] == "system" and updated["created_at"] == iso(START)
    assert sf.records.get(sf.system, APP, "deal", deal["id"]) == updated


def test_delete_removes_the_record_and_its_child_rows(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "creditors": [{"creditor": "Bank"}]})
    sf.records.delete(sf.system, APP, "deal", deal["id"])
    with pytest.raises(RecordNotFound):
        sf.records.get(sf.system, APP, "deal", deal["id"])
    assert count_rows(sf, "mini__deal") == 0
    assert count_rows(sf, "mini__deal__creditors") == 0


def test_missing_record_is_not_found_for_get_update_and_delete(sf):
    with pytest.raises(RecordNotFound, match="deal #404"):
        sf.records.get(sf.system, APP, "deal", 404)
    with pytest.raises(RecordNotFound):
        sf.records.update(sf.system, APP, "deal", 404, {"title": "x"})
    with pytest.raises(RecordNotFound):
        sf.records.delete(sf.system, APP, "deal", 404)


def test_unknown_app_or_entity_is_refused(sf):
    with pytest.raises(UnknownApp):
        sf.records.create(sf.system, "nope", "deal", {"title": "x"})
    with pytest.raises(UnknownEntity):
        sf.records.create(sf.system, APP, "nope", {"title": "x"})


# -- validation --------------------------------------------------------------------------------

def test_pl01_typed_validation_collects_and_names_every_failing_field(sf):
    errors = refused(sf.records.create, sf.system, APP, "deal", {
        "title": "ok", "amount": "lots", "quantity": -1, "due": "someday", "site": "ftp://x",
        "priority": "urgent", "tags": ["vip", "enemy"], "important": "maybe", "estimate": "soon",
    })
    assert set(errors) == {"amount", "quantity", "due", "site", "priority", "tags", "important", "estimate"}
    assert errors["amount"] == "expected a number"
    assert errors["quantity"] == "must be at least 0"
    assert "urgent" in errors["priority"] and "enemy" in errors["tags"]
    assert count_rows(sf, "mini__deal") == 0


def test_validation_error_message_names_the_entity_and_fields(sf):
    with pytest.raises(RecordValidationError) as error:
        sf.records.create(sf.system, APP, "deal", {"title": "ok", "amount": "lots"})
    assert error.value.entity == "deal"
    assert str(error.value) == "deal: amount: expected a number"


def test_validation_reports_bad_values_and_missing_required_fields_together(sf):
    errors = refused(sf.records.create, sf.system, APP, "deal", {"amount": "lots", "client": 999})
    assert set(errors) == {"amount", "title", "client"}


@pytest.mark.parametrize("title", [None, "", "   "])
def test_required_field_missing_or_blank_is_refused(sf, title):
    values = {} if title is None else {"title": title}
    assert refused(sf.records.create, sf.system, APP, "deal", values) == {"title": "is required"}


def test_required_field_cannot_be_cleared_on_update(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A"})
    assert refused(sf.records.update, sf.system, APP, "deal", deal["id"], {"title": ""}) == {"title": "is required"}
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["title"] == "A"


def test_defaults_fill_priority_and_checklist_but_given_values_win(sf):
    plain = sf.records.create(sf.system, APP, "deal", {"title": "A"})
    assert plain["priority"] == "normal"
    assert plain["documents"] == [{"text": "Passport", "done": False}, {"text": "Tax number", "done": False}]
    own = sf.records.create(sf.system, APP, "deal", {
        "title": "B", "priority": "low", "documents": [{"text": "Contract", "done": True}, "Receipt"]})
    assert own["priority"] == "low"
    assert own["documents"] == [{"text": "Contract", "done": True}, {"text": "Receipt", "done": False}]


def test_pl01_computed_vat_follows_amount_on_create_and_update(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A"})
    assert deal["vat"] is None
    deal = sf.records.update(sf.system, APP, "deal", deal["id"], {"amount": "100.05"})
    assert deal["vat"] == "20.01"
    deal = sf.records.update(sf.system, APP, "deal", deal["id"], {"amount": 1000})
    assert deal["vat"] == "200.00"
    deal = sf.records.update(sf.system, APP, "deal", deal["id"], {"amount": None})
    assert deal["vat"] is None
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["vat"] is None


def test_unknown_field_is_refused_and_named(sf):
    errors = refused(sf.records.create, sf.system, APP, "deal", {"title": "A", "colour": "red"})
    assert errors == {"colour": "deal has no field 'colour'"}


@pytest.mark.parametrize("field", ["created_at", "created_by", "updated_at", "updated_by", "stage_changed_at"])
def test_system_fields_are_refused_as_set_by_the_system(sf, field):
    assert refused(sf.records.create, sf.system, APP, "deal", {"title": "A", field: "x"}) == {
        field: "is set by the system"}
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A"})
    assert refused(sf.records.update, sf.system, APP, "deal", deal["id"], {field: "x"}) == {
        field: "is set by the system"}


def test_id_and_version_in_input_are_ignored(sf):
    first = sf.records.create(sf.system, APP, "deal", {"title": "A"})
    deal = sf.records.create(sf.system, APP, "deal", {"title": "B", "id": first["id"], "version": 7})
    assert deal["id"] != first["id"] and deal["version"] == 1


def test_computed_field_cannot_be_set(sf):
    errors = refused(sf.records.create, sf.system, APP, "deal", {"title": "A", "vat": "1.00"})
    assert errors == {"vat": "is computed and cannot be set"}


# -- references ------------------------------------------------------------------------------

def test_link_to_an_existing_record_is_kept_and_a_missing_one_refused(sf):
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "client": client["id"]})
    assert deal["client"] == client["id"]
    errors = refused(sf.records.create, sf.system, APP, "deal", {"title": "B", "client": 999})
    assert errors == {"client": "client #999 does not exist"}
    errors = refused(sf.records.update, sf.system, APP, "deal", deal["id"], {"client": 999})
    assert errors == {"client": "client #999 does not exist"}


def test_pl02_handbook_select_accepts_only_codes_of_the_handbook_rows(sf):
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan", "city": "msk"})
    assert client["city"] == "msk"
    errors = refused(sf.records.create, sf.system, APP, "client", {"full_name": "Olga", "city": "spb"})
    assert errors == {"city": "spb is not an item of handbook 'city'"}


def test_pl02_handbook_code_added_at_runtime_becomes_valid(sf):
    city = sf.records.create(sf.actor("boss"), APP, "city", {"code": "spb", "label": "St Petersburg"})
    assert (city["code"], city["label"], city["active"]) == ("spb", "St Petersburg", True)
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Olga", "city": "spb"})
    assert client["city"] == "spb"


def test_duplicate_handbook_code_is_a_validation_error(sf):
    errors = refused(sf.records.create, sf.system, APP, "city", {"code": "msk", "label": "Moscow again"})
    assert set(errors) == {"code"}


def test_user_and_department_fields_must_exist(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "assignee": "carl", "department": "support"})
    assert (deal["assignee"], deal["department"]) == ("carl", "support")
    errors = refused(sf.records.create, sf.system, APP, "deal",
                     {"title": "B", "assignee": "ghost", "department": "marketing"})
    assert errors == {"assignee": "user 'ghost' does not exist",
                      "department": "department 'marketing' does not exist in mini"}


# -- list-like values ------------------------------------------------------------------------

def test_pl01_multiselect_is_stored_and_returned_as_a_list(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "tags": ["partner", "vip", "partner"]})
    assert deal["tags"] == ["partner", "vip"]
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["tags"] == ["partner", "vip"]
    from_text = sf.records.create(sf.system, APP, "deal", {"title": "B", "tags": "vip|partner"})
    assert from_text["tags"] == ["vip", "partner"]
    updated = sf.records.update(sf.system, APP, "deal", deal["id"], {"tags": ["vip"]})
    assert updated["tags"] == ["vip"]
    assert sf.records.list(sf.system, APP, "deal", where={"field": "id", "op": "eq", "value": deal["id"]}
                           ).items[0]["tags"] == ["vip"]


def test_pl01_child_table_rows_are_created_replaced_and_returned_in_order(sf):
    rows = [{"creditor": "Bank C", "debt": "300"}, {"creditor": "Bank A"}, {"creditor": "Bank B", "debt": 1}]
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "creditors": rows})
    assert [(r["creditor"], r["debt"]) for r in deal["creditors"]] == [
        ("Bank C", "300.00"), ("Bank A", None), ("Bank B", "1.00")]
    assert all(isinstance(r["id"], int) for r in deal["creditors"])
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["creditors"] == deal["creditors"]

    replaced = sf.records.update(sf.system, APP, "deal", deal["id"], {
        "creditors": [{"creditor": "Bank B", "debt": 2}, {"creditor": "Bank Z"}]})
    assert [(r["creditor"], r["debt"]) for r in replaced["creditors"]] == [("Bank B", "2.00"), ("Bank Z", None)]
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["creditors"] == replaced["creditors"]
    assert count_rows(sf, "mini__deal__creditors") == 2

    cleared = sf.records.update(sf.system, APP, "deal", deal["id"], {"creditors": []})
    assert cleared["creditors"] == []
    assert count_rows(sf, "mini__deal__creditors") == 0


def test_child_table_update_without_the_field_keeps_the_rows(sf):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "creditors": [{"creditor": "Bank"}]})
    updated = sf.records.update(sf.system, APP, "deal", deal["id"], {"title": "B"})
    assert [r["creditor"] for r in updated["creditors"]] == ["Bank"]


@pytest.mark.parametrize("rows, message", [
    ([{"creditor": "Bank"}, {"debt": 5}], "row 2, creditor: is required"),
    ([{"creditor": "Bank", "debt": "a lot"}], "row 1, debt: expected a number"),
    ([{"creditor": "Bank", "rate": 5}], "row 1: unknown column 'rate'"),
    (["Bank"], "row 1 is not an object"),
    ("Bank", "expected a list of rows"),
])
def test_child_table_rows_are_validated(sf, rows, message):
    assert refused(sf.records.create, sf.system, APP, "deal", {"title": "A", "creditors": rows}) == {
        "creditors": message}
    assert count_rows(sf, "mini__deal__creditors") == 0


def test_file_field_takes_ids_from_the_file_store_and_refuses_missing_ones(sf):
    first = sf.files.put("scan 1.pdf", "application/pdf", b"%PDF-1 one", "boss")
    second = sf.files.put("scan 2.pdf", "application/pdf", b"%PDF-1 two", "boss")
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "scans": [first.id, second.id]})
    assert deal["scans"] == [first.id, second.id]
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["scans"] == [first.id, second.id]
    assert sf.files.read(first.id)[1] == b"%PDF-1 one"
    missing = second.id + 100
    errors = refused(sf.records.update, sf.system, APP, "deal", deal["id"], {"scans": [first.id, missing]})
    assert errors == {"scans": f"file #{missing} does not exist"}
    assert sf.records.get(sf.system, APP, "deal", deal["id"])["scans"] == [first.id, second.id]


# -- delete and links --------------------------------------------------------------------------

def test_delete_is_refused_while_linked_and_allowed_after_unlinking(sf):
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "client": client["id"]})
    errors = refused(sf.records.delete, sf.system, APP, "client", client["id"])
    assert list(errors) == ["id"]
    # The linking record is not named: the caller may not be allowed to see it.
    assert errors["id"] == f"#{client['id']} is still used by deal records (client); change them first"
    assert sf.records.get(sf.system, APP, "client", client["id"])["full_name"] == "Ivan"

    sf.records.update(sf.system, APP, "deal", deal["id"], {"client": None})
    sf.records.delete(sf.system, APP, "client", client["id"])
    with pytest.raises(RecordNotFound):
        sf.records.get(sf.system, APP, "client", client["id"])


@pytest.fixture
def bank_sf(db_url, tmp_path, mini_bundle):
    """The mini app whose creditor rows also link to a client (the bank)."""
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.edit("entities/deal.json", lambda doc: next(f for f in doc["fields"] if f["name"] == "creditors")[
        "options"]["fields"].append({"name": "bank", "kind": "link", "label": "Bank", "options": {"entity": "client"}}))
    engine = create_stageflow(db_url, files_dir=tmp_path / "files")
    engine.install(bundle.root)
    yield engine
    engine.close()


def test_links_inside_child_table_rows_are_checked(bank_sf):
    sf = bank_sf
    errors = refused(sf.records.create, sf.system, APP, "deal",
                     {"title": "A", "creditors": [{"creditor": "x", "bank": 9}]})
    assert errors == {"creditors": "row 1, bank: client #9 does not exist"}


def test_delete_is_refused_while_a_child_table_row_links_to_the_record(bank_sf):
    sf = bank_sf
    bank = sf.records.create(sf.system, APP, "client", {"full_name": "Bank"})
    sf.records.create(sf.system, APP, "deal", {"title": "A", "creditors": [{"creditor": "x", "bank": bank["id"]}]})
    refused(sf.records.delete, sf.system, APP, "client", bank["id"])


# -- a failed write leaves nothing behind -----------------------------------------------------

def test_refused_create_leaves_no_row_event_or_history(sf):
    before = footprint(sf)
    refused(sf.records.create, sf.system, APP, "deal", {
        "title": "A", "client": 999, "creditors": [{"creditor": "Bank"}]})
    refused(sf.records.create, sf.system, APP, "deal", {"title": "A", "amount": "lots"})
    assert footprint(sf) == before


def test_create_failing_after_the_insert_rolls_everything_back(sf, monkeypatch):
    before = footprint(sf)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(records_module, "append_event", broken)
    with pytest.raises(RuntimeError):
        sf.records.create(sf.system, APP, "deal", {"title": "A", "creditors": [{"creditor": "Bank"}]})
    assert footprint(sf) == before


def test_update_failing_after_the_write_rolls_everything_back(sf, monkeypatch):
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "creditors": [{"creditor": "Bank"}]})
    before, events = footprint(sf), outbox(sf)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(records_module, "append_event", broken)
    with pytest.raises(RuntimeError):
        sf.records.update(sf.system, APP, "deal", deal["id"], {
            "title": "B", "creditors": [{"creditor": "Other"}], "stage": "won"})
    monkeypatch.undo()
    assert sf.records.get(sf.system, APP, "deal", deal["id"]) == deal
    assert footprint(sf) == before and outbox(sf) == events
    assert history(sf, deal["id"]) == []


def test_refused_update_or_delete_changes_nothing(sf):
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    deal = sf.records.create(sf.system, APP, "deal", {"title": "A", "client": client["id"]})
    deal = sf.records.get(sf.system, APP, "deal", deal["id"])
    before = footprint(sf)
    refused(sf.records.update, sf.system, APP, "deal", deal["id"], {"title": "B", "assignee": "ghost"})
    refused(sf.records.delete, sf.system, APP, "client", client["id"])
    assert footprint(sf) == before
    assert sf.records.get(sf.system, APP, "deal", deal["id"]) == deal


def test_pl02_a_handbook_item_in_use_cannot_be_deleted(sf):
    kazan = sf.records.list(sf.system, APP, "city", where={"field": "code", "op": "eq", "value": "kzn"}).items[0]
    client = sf.records.create(sf.system, APP, "client", {"full_name": "A", "city": "kzn"})
    with pytest.raises(RecordValidationError) as refused:
        sf.records.delete(sf.system, APP, "city", kazan["id"])
    assert refused.value.errors == {"id": f"#{kazan['id']} is still used by client records (city); change them first"}
    sf.records.update(sf.system, APP, "client", client["id"], {"city": "msk"})
    sf.records.delete(sf.system, APP, "city", kazan["id"])
    assert [c["code"] for c in sf.records.list(sf.system, APP, "city").items] == ["msk"]
