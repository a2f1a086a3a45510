"""Record constraints: rules over a whole record (or several records) checked on every write.

One registered class per kind, like field kinds; an entity lists them under ``constraints``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from sqlalchemy import Connection, Table, and_, func, or_, select

from ..core.registry import Registry
from ..core.specs import EntitySpec, label_text


class ConstraintKind:
    kind: ClassVar[str]
    options_schema: ClassVar[dict]

    def check_options(self, options: Mapping[str, Any], entity_fields: Mapping[str, str]) -> Iterator[tuple[str, str]]:
        """Meaning problems: (option key, message); ``entity_fields`` maps field name -> kind."""
        return iter(())

    def violation(self, conn: Connection, table: Table, options: Mapping[str, Any],
                  record: Mapping[str, Any], record_id: int | None) -> str | None:
        """The field the record violates the constraint on, or None."""
        raise NotImplementedError


class NoOverlap(ConstraintKind):
    """No two records with the same ``per`` values may have overlapping ``[start, end)`` ranges
    (PR07: a crew or vehicle booked twice for the same time):
    ``{"kind": "no_overlap", "start": "starts_at", "end": "ends_at", "per": ["resource"],
    "ignore": {"field": "status", "values": ["cancelled"]}, "message": {"ru": "Ресурс уже занят в это время"}}``;
    a record whose ``ignore`` field holds one of those values neither takes its slot nor is checked."""

    kind = "no_overlap"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["kind", "start", "end", "message"],
                      "properties": {"kind": {}, "message": {}, "start": {"type": "string"}, "end": {"type": "string"},
                                     "per": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                                     "ignore": {"type": "object", "additionalProperties": False,
                                                "required": ["field", "values"],
                                                "properties": {"field": {"type": "string"},
                                                               "values": {"type": "array", "minItems": 1}}}}}

    def check_options(self, options, entity_fields):
        for key in ("start", "end"):
            if entity_fields.get(options[key]) not in ("date", "datetime"):
                yield key, f"{options[key]!r} is not a date or datetime field"
        for i, name in enumerate(options.get("per", ())):
            if name not in entity_fields:
                yield f"per/{i}", f"{name!r} is not a field"
        if "ignore" in options and options["ignore"]["field"] not in entity_fields:
            yield "ignore/field", f"{options['ignore']['field']!r} is not a field"

    def violation(self, conn, table, options, record, record_id):
        start, end = record.get(options["start"]), record.get(options["end"])
        if start is None or end is None:
            return None
        if end <= start:
            return options["end"]
        same = [table.c[name] == record.get(name) for name in options.get("per", ())]
        if any(record.get(name) is None for name in options.get("per", ())):
            return None
        ignore = options.get("ignore")
        if ignore is not None and record.get(ignore["field"]) in ignore["values"]:
            return None
        if conn.dialect.name == "postgresql":
            # Two bookings of one resource at once: the second waits for the first to commit.
            key = f"{table.name}:" + ":".join(str(record.get(n)) for n in options.get("per", ()))
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
        query = select(table.c.id).where(and_(*same), table.c[options["start"]] < end,
                                         table.c[options["end"]] > start)
        if record_id is not None:
            query = query.where(table.c.id != record_id)
        if ignore is not None:
            column = table.c[ignore["field"]]
            query = query.where(or_(column.is_(None), column.not_in(ignore["values"])))
        return options["start"] if conn.execute(query.limit(1)).first() else None


def default_constraints() -> Registry[ConstraintKind]:
    registry: Registry[ConstraintKind] = Registry("constraint kind")
    registry.register(NoOverlap())
    return registry


def constraint_errors(conn, table: Table, entity: EntitySpec, registry: Registry[ConstraintKind],
                      record: Mapping[str, Any], record_id: int | None, locale: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for options in entity.constraints:
        field = registry.get(options["kind"]).violation(conn, table, options, record, record_id)
        if field is not None:
            errors.setdefault(field, label_text(options["message"], locale))
    return errors
