"""Domain events: their types and the shape of their payloads, for the writer and the reader alike.

The record service writes these payloads to ``sf_outbox`` as JSON; the automation engine reads
them back. Both go through the classes here, so a key is named once. The stored JSON must not
change (old rows are read by new code): ``to_json`` keeps the keys and their order as they have
always been written, and ``from_json`` reads a missing key as its default.

    >>> UpdatedPayload({"amount": ["1.00", "2.00"]}, automation=False).to_json()
    {'changed': {'amount': ['1.00', '2.00']}, 'automation': False}
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar


class EventType(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STAGE_CHANGED = "stage_changed"
    DELETED = "deleted"
    # A public form's answers landed in a record (PL19); answered by the form_submitted trigger.
    FORM_SUBMITTED = "form_submitted"
    # A button press; runs its rule directly, so no outbox row carries it.
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Cause:
    """The rule run that made a change; ``depth`` counts the runs in the chain (the loop guard)."""

    rule: str
    source: str
    depth: int

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "source": self.source, "depth": self.depth}

    @classmethod
    def depth_of(cls, cause: Mapping[str, Any] | None) -> int:
        """The depth of a stored cause; none means a change no rule made."""
        return int(cause.get("depth", 0)) if cause else 0


@dataclass(frozen=True, slots=True)
class StagePlace:
    """Where a record stands: a pipeline and a stage (either may be empty)."""

    pipeline: str | None
    stage: str | None

    def to_json(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "stage": self.stage}

    @classmethod
    def from_json(cls, place: Mapping[str, Any] | None) -> StagePlace | None:
        return cls(place.get("pipeline"), place.get("stage")) if place else None


_NOWHERE = StagePlace(None, None)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPayload:
    """What every payload carries. ``automation`` false: an import of old records (BK33), no rules
    run; ``cause``: the rule run that made the change (a stored :class:`Cause`), if any."""

    type: ClassVar[EventType | None] = None
    automation: bool = True
    cause: Mapping[str, Any] | None = None

    def _own_json(self) -> dict[str, Any]:
        return {}

    def to_json(self) -> dict[str, Any]:
        payload = self._own_json()
        payload["automation"] = self.automation
        if self.cause:
            payload["cause"] = dict(self.cause)
        return payload

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> EventPayload:
        return cls(**cls._common(payload))

    @staticmethod
    def _common(payload: Mapping[str, Any]) -> dict[str, Any]:
        return {"automation": payload.get("automation", True), "cause": payload.get("cause")}

    @property
    def depth(self) -> int:
        return Cause.depth_of(self.cause)

    def before(self) -> dict[str, Any]:
        """Field -> value before the change (JSON values)."""
        return {}

    def after(self) -> dict[str, Any]:
        """Field -> value the change wrote (JSON values)."""
        return {}


@dataclass(frozen=True, slots=True)
class _MappingPayload(EventPayload):
    """A payload whose own part is one mapping, stored under the name of its field (``key``)."""

    key: ClassVar[str]

    def _own_json(self):
        return {self.key: getattr(self, self.key)}

    @classmethod
    def from_json(cls, payload):
        return cls(payload.get(cls.key, {}), **cls._common(payload))


@dataclass(frozen=True, slots=True)
class CreatedPayload(_MappingPayload):
    type: ClassVar[EventType] = EventType.CREATED
    key: ClassVar[str] = "values"
    values: Mapping[str, Any]

    def after(self):
        return dict(self.values)

    @property
    def place(self) -> StagePlace:
        """The pipeline and stage the record was created in."""
        return StagePlace(self.values.get("pipeline"), self.values.get("stage"))


@dataclass(frozen=True, slots=True)
class UpdatedPayload(_MappingPayload):
    type: ClassVar[EventType] = EventType.UPDATED
    key: ClassVar[str] = "changed"
    # Field -> [old, new] (JSON values).
    changed: Mapping[str, list]

    def before(self):
        return {name: old for name, (old, _new) in self.changed.items()}

    def after(self):
        return {name: new for name, (_old, new) in self.changed.items()}


@dataclass(frozen=True, slots=True)
class StageChangedPayload(EventPayload):
    type: ClassVar[EventType] = EventType.STAGE_CHANGED
    origin: StagePlace | None  # stored as "from"
    target: StagePlace | None  # stored as "to"

    def _own_json(self):
        return {"from": (self.origin or _NOWHERE).to_json(), "to": (self.target or _NOWHERE).to_json()}

    @classmethod
    def from_json(cls, payload):
        return cls(StagePlace.from_json(payload.get("from")), StagePlace.from_json(payload.get("to")),
                   **cls._common(payload))

    def before(self):
        return self.origin.to_json() if self.origin else {}

    def after(self):
        return self.target.to_json() if self.target else {}


@dataclass(frozen=True, slots=True)
class DeletedPayload(_MappingPayload):
    type: ClassVar[EventType] = EventType.DELETED
    key: ClassVar[str] = "values"
    # The record as it was (JSON values).
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FormSubmittedPayload(EventPayload):
    type: ClassVar[EventType] = EventType.FORM_SUBMITTED
    form: str | None

    def _own_json(self):
        return {"form": self.form}

    @classmethod
    def from_json(cls, payload):
        return cls(payload.get("form"), **cls._common(payload))


_PAYLOADS: dict[str, type[EventPayload]] = {
    cls.type: cls for cls in (CreatedPayload, UpdatedPayload, StageChangedPayload, DeletedPayload, FormSubmittedPayload)}


def read_payload(event_type: str, payload: Mapping[str, Any]) -> EventPayload:
    """The typed payload of a stored event; a type without a shape of its own reads the common part."""
    return _PAYLOADS.get(event_type, EventPayload).from_json(payload)
