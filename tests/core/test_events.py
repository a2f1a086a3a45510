"""Event payloads: the stored JSON keeps its keys and their order, and old rows read back."""
from __future__ import annotations

import json

import pytest

from stageflow.core.events import (
    Cause,
    CreatedPayload,
    DeletedPayload,
    EventPayload,
    EventType,
    FormSubmittedPayload,
    StageChangedPayload,
    StagePlace,
    UpdatedPayload,
    read_payload,
)

CAUSE = Cause("assign", "event:7", 2).to_json()


@pytest.mark.parametrize(("payload", "stored"), [
    (CreatedPayload({"title": "Deal", "stage": "new"}),
     '{"values":{"title":"Deal","stage":"new"},"automation":true}'),
    (UpdatedPayload({"amount": ["1.00", "2.00"]}, automation=False, cause=CAUSE),
     '{"changed":{"amount":["1.00","2.00"]},"automation":false,'
     '"cause":{"rule":"assign","source":"event:7","depth":2}}'),
    (StageChangedPayload(StagePlace("sales", "new"), StagePlace("sales", "won")),
     '{"from":{"pipeline":"sales","stage":"new"},"to":{"pipeline":"sales","stage":"won"},"automation":true}'),
    (DeletedPayload({"title": "Deal"}, automation=False),
     '{"values":{"title":"Deal"},"automation":false}'),
])
def test_a_payload_is_stored_as_it_always_was_and_reads_back_the_same(payload, stored):
    assert json.dumps(payload.to_json(), separators=(",", ":")) == stored
    assert read_payload(payload.type, json.loads(stored)) == payload


def test_the_types_keep_their_stored_names():
    assert [t.value for t in EventType] == ["created", "updated", "stage_changed", "deleted", "form_submitted",
                                            "manual"]


def test_what_a_change_wrote_and_what_it_replaced():
    update = read_payload("updated", {"changed": {"amount": ["1", "2"], "title": [None, "A"]}})
    assert update.before() == {"amount": "1", "title": None}
    assert update.after() == {"amount": "2", "title": "A"}
    move = read_payload("stage_changed", {"from": {"pipeline": "sales", "stage": "new"},
                                          "to": {"pipeline": "legal", "stage": "intake"}})
    assert move.before() == {"pipeline": "sales", "stage": "new"}
    assert move.after() == {"pipeline": "legal", "stage": "intake"}
    created = read_payload("created", {"values": {"stage": "new", "pipeline": "sales"}})
    assert created.after() == {"stage": "new", "pipeline": "sales"} and created.before() == {}
    assert created.place == StagePlace("sales", "new")


def test_missing_keys_read_as_their_defaults():
    assert read_payload("created", {}) == CreatedPayload({})
    assert read_payload("stage_changed", {}).after() == {}
    assert read_payload("form_submitted", {"form": "survey"}) == FormSubmittedPayload("survey")
    other = read_payload("something_new", {"automation": False})
    assert type(other) is EventPayload and not other.automation


def test_depth_counts_the_rule_runs_of_a_chain():
    assert read_payload("updated", {"changed": {}, "cause": CAUSE}).depth == 2
    assert read_payload("updated", {"changed": {}}).depth == 0
