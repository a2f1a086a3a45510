"""Trigger kinds: when a rule is considered (PL07). One registered class per kind.

A trigger either answers to domain events (``fires``) or schedules a durable timer
(``due_at``) that the sweeper fires later.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ..core.events import CreatedPayload, EventType, FormSubmittedPayload, StageChangedPayload, StagePlace
from ..core.registry import Registry
from ..core.specs import AppSpec, EntitySpec
from ..core.system_fields import queryable_fields
from .events import Event

UNITS = ("minutes", "hours", "days", "weeks", "months")
_STAGES = {"type": "array", "items": {"$ref": "common.schema.json#/$defs/name"}, "uniqueItems": True}


def _stage_names(entity: EntitySpec) -> set[str]:
    return {s.name for p in entity.pipelines for s in p.stages}


class TriggerKind:
    kind: ClassVar[str]
    options_schema: ClassVar[dict] = {"type": "object", "properties": {"kind": {}}, "additionalProperties": False}
    # Outbox events this trigger answers to.
    event_types: ClassVar[frozenset[EventType]] = frozenset()
    # Timed triggers keep a timer per record instead of firing on events.
    timed: ClassVar[bool] = False

    def check(self, trigger: Mapping[str, Any], entity: EntitySpec, app: AppSpec) -> Iterator[tuple[str, str]]:
        """Meaning problems: (option key, message)."""
        return iter(())

    def fires(self, trigger: Mapping[str, Any], event: Event) -> bool:
        return event.type in self.event_types

    def due_at(self, trigger: Mapping[str, Any], record: Mapping[str, Any], scope_values: Mapping[str, Any]) -> dt.datetime | None:
        return None


class RecordCreated(TriggerKind):
    """``{"kind": "record_created"}``: a record was created (by hand, API, import or robot)."""

    kind = "record_created"
    event_types = frozenset({EventType.CREATED})


class FieldChanged(TriggerKind):
    """``{"kind": "field_changed", "fields": ["assignee"]}``: one of the watched fields changed.

    With ``"before"`` (a condition on the values before the change) the rule fires only on the
    edge where that held before and the rule's condition holds now (Odoo's before/after filter).
    """

    kind = "field_changed"
    event_types = frozenset({EventType.UPDATED})
    options_schema = {"type": "object", "additionalProperties": False, "required": ["fields"], "properties": {
        "kind": {}, "fields": {"type": "array", "minItems": 1, "items": {"type": "string"}, "uniqueItems": True},
        "before": {"$ref": "common.schema.json#/$defs/condition"}}}

    def check(self, trigger, entity, app):

        known = queryable_fields(entity)
        for i, name in enumerate(trigger["fields"]):
            if name not in known and not entity.has_field(name):
                yield f"fields/{i}", f"{name!r} is not a field of {entity.name!r}"

    def fires(self, trigger, event):
        return event.type == EventType.UPDATED and any(f in event.changed for f in trigger["fields"])


class StageEntered(TriggerKind):
    """``{"kind": "stage_entered", "stages": ["contract"]}``: the record entered one of the stages
    (absent: any stage); ``"pipeline"`` narrows it to moves into one pipeline."""

    kind = "stage_entered"
    event_types = frozenset({EventType.STAGE_CHANGED, EventType.CREATED})
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "kind": {}, "stages": _STAGES, "pipeline": {"$ref": "common.schema.json#/$defs/name"}}}

    def check(self, trigger, entity, app):
        if not entity.has_pipelines:
            yield "kind", f"{entity.name!r} has no pipelines"
            return
        stages = _stage_names(entity)
        for i, name in enumerate(trigger.get("stages", ())):
            if name not in stages:
                yield f"stages/{i}", f"{name!r} is not a stage of {entity.name!r}"
        if "pipeline" in trigger and trigger["pipeline"] not in {p.name for p in entity.pipelines}:
            yield "pipeline", f"{trigger['pipeline']!r} is not a pipeline of {entity.name!r}"

    def _place(self, event: Event) -> StagePlace | None:
        """The pipeline and stage the record entered."""
        if isinstance(event.payload, CreatedPayload):
            return event.payload.place
        return event.payload.target if isinstance(event.payload, StageChangedPayload) else None

    def fires(self, trigger, event):
        if event.type not in self.event_types:
            return False
        place = self._place(event)
        if place is None or place.stage is None:
            return False
        return (not trigger.get("stages") or place.stage in trigger["stages"]) and \
            trigger.get("pipeline", place.pipeline) == place.pipeline


class StageLeft(StageEntered):
    """``{"kind": "stage_left", "stages": ["new"]}``: the record left one of the stages."""

    kind = "stage_left"
    event_types = frozenset({EventType.STAGE_CHANGED})

    def _place(self, event):
        """The pipeline and stage the record left."""
        return event.payload.origin if isinstance(event.payload, StageChangedPayload) else None


def add_offset(moment: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit == "months":
        month = moment.month - 1 + amount
        year, month = moment.year + month // 12, month % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    return moment + dt.timedelta(**{unit: amount})


class TimeRelative(TriggerKind):
    """Fire at a time relative to a date field or to the stage entry, before or after
    (negative offsets are "before"), minutes to months:

    ``{"kind": "time", "field": "first_payment_date", "offset": 60, "unit": "days"}`` (BK21),
    ``{"kind": "time", "field": "stage_changed_at", "offset": 15, "unit": "minutes"}`` (BK02).
    Recomputed whenever the record changes; cancelled when the rule's condition stops holding.
    """

    kind = "time"
    timed = True
    event_types = frozenset({EventType.CREATED, EventType.UPDATED, EventType.STAGE_CHANGED})
    options_schema = {"type": "object", "additionalProperties": False, "required": ["field", "offset", "unit"],
                      "properties": {"kind": {}, "field": {"type": "string"}, "offset": {"type": "integer"},
                                     "unit": {"enum": list(UNITS)}, "at": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}}}

    def check(self, trigger, entity, app):

        spec = queryable_fields(entity).get(trigger["field"])
        if spec is None:
            yield "field", f"{trigger['field']!r} is not a field of {entity.name!r}"
        elif spec.kind not in ("date", "datetime"):
            yield "field", f"{trigger['field']!r} is a {spec.kind} field; a time trigger needs a date or datetime"

    def due_at(self, trigger, record, scope_values):
        base = scope_values.get(trigger["field"])
        if base is None:
            return None
        if not isinstance(base, dt.datetime):
            hour, minute = (int(x) for x in trigger.get("at", "09:00").split(":"))
            base = dt.datetime.combine(base, dt.time(hour, minute))
        return add_offset(base, trigger["offset"], trigger["unit"])


class Manual(TriggerKind):
    """A button on the card: ``{"kind": "manual", "button": {"ru": "Вернуть продажнику"}}``
    (BK11, BK34). Runs when a user who may edit the record presses it."""

    kind = "manual"
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "kind": {}, "button": {"$ref": "common.schema.json#/$defs/label"},
        "roles": {"type": "array", "items": {"$ref": "common.schema.json#/$defs/name"}}}}

    def fires(self, trigger, event):
        return event.type == EventType.MANUAL and event.extra.get("rule") == trigger.get("_rule")


class Schedule(TriggerKind):
    """A cron schedule: ``{"kind": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Moscow"}``.

    With ``"for_each": true`` the actions run for every record meeting the rule's condition
    (plain field conditions only); otherwise once, with no record (e.g. a digest notification).
    """

    kind = "schedule"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["cron"], "properties": {
        "kind": {}, "cron": {"type": "string", "minLength": 9, "maxLength": 100},
        "timezone": {"type": "string"}, "for_each": {"type": "boolean"}}}

    def check(self, trigger, entity, app):
        try:
            next_run(trigger, dt.datetime(2026, 1, 1))
        except (ValueError, KeyError) as exc:
            yield "cron", f"{trigger['cron']!r} is not a valid schedule: {exc}"


def next_run(trigger: Mapping[str, Any], after: dt.datetime) -> dt.datetime:
    """The next time a schedule fires after ``after`` (naive UTC in, naive UTC out)."""
    from zoneinfo import ZoneInfo

    from croniter import croniter

    zone = ZoneInfo(trigger.get("timezone", "UTC"))
    local = after.replace(tzinfo=dt.UTC).astimezone(zone)
    if not croniter.is_valid(trigger["cron"]):
        raise ValueError("expected five fields: minute hour day month weekday")
    moment = croniter(trigger["cron"], local).get_next(dt.datetime)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


class Webhook(TriggerKind):
    """An inbound webhook (telephony BK20, e-mail in PR02, payments): the rule gets a secret URL
    ``/api/v1/hooks/<app>/<rule>/<token>``; the JSON body is ``payload.<key>`` to the condition
    and the actions. With ``"match": {"field": "phone", "payload": "phone"}`` the rule runs on
    the record whose field equals the payload value (none found: no record, so actions like
    ``create_record`` still run and a condition ``{"field": "id", "op": "is_empty"}`` tells)."""

    kind = "webhook"
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "kind": {}, "match": {"type": "object", "required": ["field", "payload"], "additionalProperties": False,
                              "properties": {"field": {"type": "string"}, "payload": {"type": "string"}}}}}

    def check(self, trigger, entity, app):
        if "match" in trigger and not entity.has_field(trigger["match"]["field"]):
            yield "match/field", f"{trigger['match']['field']!r} is not a field of {entity.name!r}"


class FormSubmitted(TriggerKind):
    """``{"kind": "form_submitted", "form": "questionnaire"}``: a public form's answers landed in
    the record (PL19, BK23, IT07)."""

    kind = "form_submitted"
    event_types = frozenset({EventType.FORM_SUBMITTED})
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "kind": {}, "form": {"$ref": "common.schema.json#/$defs/name"}}}

    def fires(self, trigger, event):
        if not isinstance(event.payload, FormSubmittedPayload):
            return False
        return trigger.get("form", event.payload.form) == event.payload.form


def default_triggers() -> Registry[TriggerKind]:
    registry: Registry[TriggerKind] = Registry("trigger kind")
    for cls in (RecordCreated, FieldChanged, StageEntered, StageLeft, TimeRelative, Manual, Schedule, Webhook,
                FormSubmitted):
        registry.register(cls())
    return registry
