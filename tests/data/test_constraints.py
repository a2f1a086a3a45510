"""Record constraints: no_overlap keeps a resource from being booked twice (PR07)."""
from __future__ import annotations

import pytest

from stageflow.data import RecordValidationError
from stageflow.metadata import check_bundle
from stageflow.runtime import create_stageflow, default_kinds
from tests.bundle_edit import EditableBundle

BOOKING = {
    "schema_version": 1, "name": "booking", "label": "Booking",
    "fields": [{"name": "resource", "kind": "string", "required": True},
               {"name": "starts_at", "kind": "datetime", "required": True},
               {"name": "ends_at", "kind": "datetime", "required": True}],
    "constraints": [{"kind": "no_overlap", "start": "starts_at", "end": "ends_at", "per": ["resource"],
                     "message": {"en": "the resource is already booked then", "ru": "Ресурс уже занят"}}],
}


@pytest.fixture
def sf(db_url, mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    bundle.write("entities/booking.json", BOOKING)
    engine = create_stageflow(db_url, files_dir=tmp_path / "files")
    engine.install(bundle.root)
    yield engine
    engine.close()


def book(sf, resource, start, end, record_id=None):
    values = {"resource": resource, "starts_at": f"2026-12-01T{start}:00Z", "ends_at": f"2026-12-01T{end}:00Z"}
    if record_id:
        return sf.records.update(sf.system, "mini", "booking", record_id, values)
    return sf.records.create(sf.system, "mini", "booking", values)


def test_pr07_a_resource_cannot_be_booked_twice_for_overlapping_times(sf):
    first = book(sf, "crew-1", "09:00", "12:00")
    with pytest.raises(RecordValidationError) as refused:
        book(sf, "crew-1", "11:00", "13:00")
    assert refused.value.errors == {"starts_at": "the resource is already booked then"}
    book(sf, "crew-1", "12:00", "14:00")  # back to back is fine
    book(sf, "crew-2", "10:00", "11:00")  # another resource is fine
    book(sf, "crew-1", "08:00", "09:00", record_id=first["id"])  # moving a booking checks the others only
    with pytest.raises(RecordValidationError) as backwards:
        book(sf, "crew-3", "10:00", "09:00")
    assert "ends_at" in backwards.value.errors


def test_constraint_options_are_validated(mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    bad = {**BOOKING, "constraints": [{"kind": "no_overlap", "start": "resource", "end": "ends_at", "per": ["room"],
                                       "message": "x"}, {"kind": "no_such", "message": "x"}]}
    bundle.write("entities/booking.json", bad)
    problems = {(p.pointer, p.code.value) for p in check_bundle(bundle.root, default_kinds()).problems}
    assert problems == {("/constraints/0/start", "unknown_field"), ("/constraints/0/per/0", "unknown_field"),
                        ("/constraints/1/kind", "unknown_kind")}


def test_pr07_ignored_records_neither_take_a_slot_nor_are_checked(db_url, mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    fields = [*BOOKING["fields"], {"name": "status", "kind": "string"}]
    constraint = {**BOOKING["constraints"][0], "ignore": {"field": "status", "values": ["cancelled"]}}
    bundle.write("entities/booking.json", {**BOOKING, "fields": fields, "constraints": [constraint]})
    engine = create_stageflow(db_url, files_dir=tmp_path / "files")
    engine.install(bundle.root)
    try:
        first = book(engine, "crew-1", "09:00", "12:00")
        with pytest.raises(RecordValidationError):
            book(engine, "crew-1", "10:00", "11:00")
        engine.records.update(engine.system, "mini", "booking", first["id"], {"status": "cancelled"})
        second = book(engine, "crew-1", "10:00", "11:00")  # the cancelled booking freed its slot
        engine.records.update(engine.system, "mini", "booking", second["id"], {"status": "cancelled"})
        engine.records.update(engine.system, "mini", "booking", first["id"], {"status": None})
        # the first booking is back; a cancelled overlapping booking may still be edited
        engine.records.update(engine.system, "mini", "booking", second["id"], {"resource": "crew-1"})
        with pytest.raises(RecordValidationError):
            engine.records.update(engine.system, "mini", "booking", second["id"], {"status": "confirmed"})
    finally:
        engine.close()
