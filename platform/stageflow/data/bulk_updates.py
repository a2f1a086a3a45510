"""Changing or deleting many records at once, all or nothing.

Every record goes through the single-record path of the RecordService (rights, record rules,
read-only fields, typed values, stage gates, field history and outbox events), all inside one
transaction: the first record refused rolls the whole change back, and the error names that
record and the reason. Records are taken in ascending id order, so two bulk changes over
overlapping records lock them in the same order instead of deadlocking.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core.fields import MAX_RECORD_ID
from ..core.specs import Right
from ..security import AccessDenied, Actor
from .record_context import RecordConflict, RecordNotFound
from .record_values import RecordValidationError
from .stages import StageMoveRefused

if TYPE_CHECKING:
    from .records import RecordService

# One bulk change touches at most this many records (a screen selects from pages of up to 500).
MAX_BULK = 500
# What a single record may be refused for; anything else is a fault, not a refusal.
REFUSALS = (RecordValidationError, StageMoveRefused, RecordConflict, RecordNotFound, AccessDenied)


class BulkRefused(Exception):
    """One record of a bulk change was refused, so no record was changed.

    ``reason`` is the refusal the single-record call raised (a stage gate's
    :class:`StageMoveRefused`, a :class:`RecordValidationError` naming the fields...).
    """

    def __init__(self, entity: str, record_id: int, reason: Exception):
        self.entity, self.record_id, self.reason = entity, record_id, reason
        super().__init__(f"{_describe(entity, record_id, reason)}; no record was changed")


def _describe(entity: str, record_id: int, reason: Exception) -> str:
    if isinstance(reason, RecordValidationError):
        detail = "; ".join(f"{name}: {message}" for name, message in reason.errors.items())
    else:
        detail = str(reason)
    named = f"{entity} #{record_id}"
    return detail if detail.startswith(named) else f"{named}: {detail}"


def record_ids(entity: str, ids: Any) -> list[int]:
    """The distinct record ids of a bulk change, ascending; a malformed list is refused whole."""
    if not isinstance(ids, (list, tuple)) or not ids:
        raise RecordValidationError(entity, {"ids": "give a non-empty list of record ids"})
    if len(ids) > MAX_BULK:
        raise RecordValidationError(entity, {"ids": f"at most {MAX_BULK} records at once, {len(ids)} given"})
    for value in ids:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_RECORD_ID:
            raise RecordValidationError(entity, {"ids": f"{value!r} is not a record id"})
    return sorted(set(ids))


def bulk_update(service: RecordService, actor: Actor, app: str, entity: str, ids: Any,
                values: Mapping[str, Any], *, automation: bool = True, conn=None) -> list[dict[str, Any]]:
    """Apply ``values`` to every listed record; returns the records as changed, by ascending id."""
    service.catalog.context(app, entity).policy(actor).require(Right.UPDATE)
    wanted = record_ids(entity, ids)
    if not isinstance(values, Mapping) or not values:
        raise RecordValidationError(entity, {"values": "name at least one field to change"})
    changed = []
    with service.transaction(conn) as tx:
        for record_id in wanted:
            try:
                changed.append(service.update(actor, app, entity, record_id, values,
                                              automation=automation, conn=tx))
            except REFUSALS as refusal:
                raise BulkRefused(entity, record_id, refusal) from refusal
    return changed


def bulk_delete(service: RecordService, actor: Actor, app: str, entity: str, ids: Any, *,
                automation: bool = True, conn=None) -> list[int]:
    """Delete every listed record; returns their ids, ascending."""
    service.catalog.context(app, entity).policy(actor).require(Right.DELETE)
    wanted = record_ids(entity, ids)
    with service.transaction(conn) as tx:
        for record_id in wanted:
            try:
                service.delete(actor, app, entity, record_id, automation=automation, conn=tx)
            except REFUSALS as refusal:
                raise BulkRefused(entity, record_id, refusal) from refusal
    return wanted
