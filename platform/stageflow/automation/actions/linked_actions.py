"""An action that changes records linked to the one the rule runs on (PL05: a sub-process moves
its parent, a finished task releases the tasks it blocked)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select

from ...core.specs import AppSpec, EntitySpec
from ...security import SYSTEM
from .base import ActionKind, ActionRun, check_value_specs

# One rule run changes at most this many linked records: the run is one transaction.
MAX_LINKED_RECORDS = 500


def _condition_fields(tree: Any) -> Iterator[str]:
    """Every field a condition tree names (its ``field`` keys, at any depth)."""
    if isinstance(tree, Mapping):
        if isinstance(tree.get("field"), str):
            yield tree["field"]
        for value in tree.values():
            yield from _condition_fields(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _condition_fields(item)


def _settable(entity: EntitySpec, values: Mapping[str, Any], at: str) -> Iterator[tuple[str, str]]:
    for name in values:
        if name in ("stage", "pipeline"):
            if not entity.pipelines:
                yield f"{at}/{name}", f"{entity.name!r} has no pipelines"
        elif not entity.has_field(name):
            yield f"{at}/{name}", f"{name!r} is not a field of {entity.name!r}"
        elif entity.field(name).kind == "computed":
            yield f"{at}/{name}", f"{name!r} of {entity.name!r} is computed and cannot be set"


class UpdateLinked(ActionKind):
    """Set fields of, or move, records linked to this one. Either the record a link field of
    this one points at::

        {"kind": "update_linked", "link": "client", "values": {"contract_status": "active"}}

    or the records whose link field points at this one, optionally only those a condition holds for::

        {"kind": "update_linked", "linked_from": {"entity": "task", "field": "blocked_by"},
         "where": {"field": "stage", "op": "eq", "value": "blocked"}, "values": {"stage": "new"}}

    Values are computed in this record's scope (literals, ``formula``, ``template``, ``ref``).
    A ``stage`` value moves the linked record and its gates apply. Writes go through the
    RecordService, so the linked records' own rules fire on them in turn."""

    kind = "update_linked"
    options_schema = {
        "type": "object", "additionalProperties": False, "required": ["values"],
        "oneOf": [{"required": ["link"]}, {"required": ["linked_from"]}],
        "properties": {
            "kind": {}, "link": {"type": "string"},
            "linked_from": {"type": "object", "additionalProperties": False, "required": ["entity", "field"],
                            "properties": {"entity": {"type": "string"}, "field": {"type": "string"}}},
            "where": {"type": "object"},
            "values": {"type": "object", "minProperties": 1},
        },
    }

    def target_entity(self, action: Mapping[str, Any], entity: EntitySpec, app: AppSpec) -> EntitySpec | None:
        if "link" in action:
            if not entity.has_field(action["link"]):
                return None
            return app.entities.get(entity.field(action["link"]).options.get("entity"))
        return app.entities.get(action["linked_from"]["entity"])

    def check(self, action, entity, app):
        if "link" in action:
            name = action["link"]
            if not entity.has_field(name) or entity.field(name).kind != "link":
                yield "link", f"{name!r} is not a link field of {entity.name!r}"
                return
        else:
            source = action["linked_from"]
            other = app.entities.get(source["entity"])
            if other is None:
                yield "linked_from/entity", f"{source['entity']!r} is not an entity of this app"
                return
            field = source["field"]
            if (not other.has_field(field) or other.field(field).kind != "link"
                    or other.field(field).options.get("entity") != entity.name):
                yield "linked_from/field", f"{field!r} is not a link from {other.name!r} to {entity.name!r}"
                return
        target = self.target_entity(action, entity, app)
        yield from _settable(target, action["values"], "values")
        yield from check_value_specs(action["values"], "values")
        for name in _condition_fields(action.get("where")):
            if name not in ("stage", "pipeline") and not target.has_field(name):
                yield "where", f"{name!r} is not a field of {target.name!r}"

    def run(self, action, run: ActionRun) -> str:
        target = self.target_entity(action, run.entity, run.app)
        ids = self._targets(action, run, target)
        if not ids:
            return f"no linked {target.name}"
        values = {name: run.value(spec) for name, spec in action["values"].items()}
        for record_id in ids:
            run.records.update(SYSTEM, run.app.name, target.name, record_id, values, conn=run.conn, cause=run.cause)
        return f"updated {target.name} " + ", ".join(f"#{i}" for i in ids)

    def _targets(self, action, run: ActionRun, target: EntitySpec) -> list[int]:
        ctx = run.records.catalog.context(run.app.name, target.name)
        table = ctx.table
        if "link" in action:
            linked = run.seen.get(action["link"])
            if linked is None:
                return []
            query = select(table.c.id).where(table.c.id == int(linked))
        else:
            query = select(table.c.id).where(table.c[action["linked_from"]["field"]] == run.record_id)
        if action.get("where"):
            query = query.where(ctx.filters(set()).compile(action["where"]))
        return list(run.conn.execute(query.order_by(table.c.id).limit(MAX_LINKED_RECORDS)).scalars())
