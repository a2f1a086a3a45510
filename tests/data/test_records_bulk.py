"""Bulk changes through the RecordService: the same checks as single changes, all or nothing."""
from __future__ import annotations

import pytest

from stageflow.data import BulkRefused, RecordNotFound, RecordValidationError
from stageflow.data.bulk_updates import MAX_BULK, record_ids
from stageflow.security import AccessDenied

from .support import footprint, history, outbox

APP = "mini"


def make(sf, actor=None, **values):
    return sf.records.create(actor or sf.system, APP, "deal", {"title": "Deal", **values})


def stored(sf, deal):
    return sf.records.get(sf.system, APP, "deal", deal["id"])


def test_bulk_update_changes_every_record_once_with_history_and_an_event_each(sf):
    deals = [make(sf, amount=i, assignee="boris") for i in (1, 2, 3)]  # visible to anna's department
    ids = [d["id"] for d in deals]
    changed = sf.records.bulk_update(sf.actor("anna"), APP, "deal", ids + ids[:1], {"priority": "high", "amount": 7})
    assert [(c["id"], c["priority"], c["amount"], c["vat"], c["version"]) for c in changed] == [
        (i, "high", "7.00", "1.40", 2) for i in ids]
    for deal in deals:
        assert [r["field"] for r in history(sf, deal["id"])] == ["amount", "vat", "priority"]
        updated = outbox(sf, deal["id"])[-1]
        assert (updated["event"], updated["actor"]) == ("updated", "anna")
        assert set(updated["payload"]["changed"]) == {"amount", "vat", "priority"}


def test_invalid_values_are_refused_naming_the_first_record_and_the_field(sf):
    deals = [make(sf), make(sf)]
    before, events = footprint(sf), outbox(sf)
    with pytest.raises(BulkRefused) as refused:
        sf.records.bulk_update(sf.system, APP, "deal", [d["id"] for d in deals], {"quantity": -1, "priority": "x"})
    reason = refused.value.reason
    assert isinstance(reason, RecordValidationError) and set(reason.errors) == {"quantity", "priority"}
    assert refused.value.record_id == deals[0]["id"]
    assert str(refused.value).startswith(f"deal #{deals[0]['id']}: quantity: ")
    assert footprint(sf) == before and outbox(sf) == events


def test_seller_is_refused_a_read_only_field_and_a_record_he_cannot_see(sf):
    boris = sf.actor("boris")
    mine = [make(sf, boris, assignee="boris"), make(sf, boris, assignee="boris")]
    foreign = make(sf, assignee="carl")
    before = footprint(sf)
    with pytest.raises(BulkRefused) as read_only:
        sf.records.bulk_update(boris, APP, "deal", [d["id"] for d in mine], {"amount": 5})
    assert read_only.value.reason.errors == {"amount": "is read-only for you"}
    with pytest.raises(BulkRefused) as invisible:
        sf.records.bulk_update(boris, APP, "deal", [d["id"] for d in mine] + [foreign["id"]], {"notes": "x"})
    assert isinstance(invisible.value.reason, RecordNotFound)
    assert invisible.value.record_id == foreign["id"]
    assert str(invisible.value) == f"deal #{foreign['id']} does not exist; no record was changed"
    assert footprint(sf) == before
    changed = sf.records.bulk_update(boris, APP, "deal", [d["id"] for d in mine], {"notes": "x"})
    assert [c["notes"] for c in changed] == ["x", "x"]


def test_a_role_without_the_right_is_refused_before_any_record(sf):
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    with pytest.raises(AccessDenied, match="boris may not update records of mini.client"):
        sf.records.bulk_update(sf.actor("boris"), APP, "client", [client["id"]], {"full_name": "Petr"})
    with pytest.raises(AccessDenied, match="may not delete"):
        sf.records.bulk_delete(sf.actor("boris"), APP, "deal", [make(sf)["id"]])


@pytest.mark.parametrize("ids, message", [
    ([], "non-empty list"),
    ("1,2", "non-empty list"),
    ([1, "2"], "'2' is not a record id"),
    ([True], "True is not a record id"),
    ([0], "0 is not a record id"),
    ([2**63], "is not a record id"),
    (list(range(1, MAX_BULK + 2)), f"at most {MAX_BULK} records"),
])
def test_malformed_id_lists_are_refused_naming_ids(ids, message):
    with pytest.raises(RecordValidationError) as refused:
        record_ids("deal", ids)
    assert list(refused.value.errors) == ["ids"] and message in refused.value.errors["ids"]


def test_ids_are_taken_once_each_in_ascending_order():
    assert record_ids("deal", [5, 2, 5, 3]) == [2, 3, 5]


def test_malformed_ids_or_empty_values_are_refused_by_the_service_and_change_nothing(sf):
    deal = make(sf)
    before = footprint(sf)
    with pytest.raises(RecordValidationError) as no_ids:
        sf.records.bulk_update(sf.system, APP, "deal", [deal["id"], "x"], {"notes": "x"})
    assert list(no_ids.value.errors) == ["ids"]
    with pytest.raises(RecordValidationError) as no_values:
        sf.records.bulk_update(sf.system, APP, "deal", [deal["id"]], {})
    assert no_values.value.errors == {"values": "name at least one field to change"}
    assert footprint(sf) == before


def test_bulk_delete_removes_all_or_none(sf):
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    linked = make(sf, client=client["id"])
    other = sf.records.create(sf.system, APP, "client", {"full_name": "Olga"})
    before = footprint(sf)
    with pytest.raises(BulkRefused) as refused:
        sf.records.bulk_delete(sf.system, APP, "client", [other["id"], client["id"]])
    assert refused.value.record_id == client["id"] and "still used by deal records" in str(refused.value)
    assert footprint(sf) == before
    assert sf.records.get(sf.system, APP, "client", other["id"])["full_name"] == "Olga"

    assert sf.records.bulk_delete(sf.system, APP, "deal", [linked["id"]]) == [linked["id"]]
    assert sf.records.bulk_delete(sf.system, APP, "client", [client["id"], other["id"]]) == sorted(
        [client["id"], other["id"]])
    assert [e["event"] for e in outbox(sf, entity="client")] == ["created", "created", "deleted", "deleted"]


def test_after_commit_hooks_run_once_after_a_bulk_change_and_never_after_a_refusal(sf):
    rings = []
    sf.records.after_commit.append(lambda: rings.append(1))
    deals = [make(sf) for _ in range(3)]
    rings.clear()
    sf.records.bulk_update(sf.system, APP, "deal", [d["id"] for d in deals], {"notes": "x"})
    assert rings == [1]
    with pytest.raises(BulkRefused):
        sf.records.bulk_update(sf.system, APP, "deal", [d["id"] for d in deals], {"stage": "refused"})
    assert rings == [1]
