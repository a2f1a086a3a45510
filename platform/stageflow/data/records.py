"""RecordService: the only write path for records (screens, API, import and robots alike).

Every call checks the actor's rights and record rules, validates typed values, runs stage
gates, writes field history and appends domain events to the outbox, all in one transaction.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select
from sqlalchemy.exc import IntegrityError

from ..core.events import CreatedPayload, DeletedPayload, StageChangedPayload, StagePlace, UpdatedPayload
from ..core.registry import Registry
from ..core.specs import Right, label_text
from ..security import AccessDenied, Actor
from ..security.permissions import RecordRelation
from ..storage import platform_tables as st
from ..storage.database import read_connection, write_transaction
from . import bulk_updates
from .catalog import AppCatalog
from .constraints import constraint_errors
from .events import append_event, append_history
from .filters import FilterError
from .paging import Keyset, encode_cursor, parse_sort
from .record_context import EntityContext, RecordConflict, RecordNotFound
from .record_values import KnownValues, RecordValidationError, ReferenceChecker, is_empty
from .stages import StageGate, StageMove, resolve_stage, run_gates

MAX_PAGE = 500


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _merge(errors: dict[str, str], more: Mapping[str, str]) -> None:
    """Add problems of fields that have none yet: the first thing wrong with a field is named."""
    for name, message in more.items():
        errors.setdefault(name, message)


def _resolve_record_refs(tree: Mapping[str, Any], record: Mapping[str, Any]) -> Any:
    """Replace ``{"ref": "record.<field>"}`` values with the moving record's values."""
    if isinstance(tree, Mapping):
        if set(tree) == {"ref"} and str(tree["ref"]).startswith("record."):
            return record.get(tree["ref"][len("record."):])
        return {k: _resolve_record_refs(v, record) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_resolve_record_refs(v, record) for v in tree]
    return tree


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class RecordService:
    def __init__(self, db: Engine, catalog: AppCatalog, gates: Registry[StageGate],
                 clock: Callable[[], dt.datetime] = utcnow):
        self.db, self.catalog, self.gates, self.clock = db, catalog, gates, clock
        self.known = KnownValues()
        # Called after each write this service commits itself (not inside a caller's transaction).
        self.after_commit: list[Callable[[], None]] = []

    @contextmanager
    def transaction(self, conn: Connection | None = None) -> Iterator[Connection]:
        """The caller's transaction, or a write transaction of our own, committed at the end of
        the block and followed by the ``after_commit`` hooks."""
        if conn is not None:
            yield conn
            return
        with write_transaction(self.db) as own:
            yield own
        for hook in self.after_commit:  # e.g. ring the automation worker's doorbell
            hook()

    def _visible(self, ctx: EntityContext, actor: Actor):
        return ctx.visibility(actor)

    def _load_row(self, conn, ctx, actor, record_id, lock=False):
        policy, clause = self._visible(ctx, actor)
        query = select(ctx.table).where(ctx.table.c.id == record_id)
        if clause is not None:
            query = query.where(clause)
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            raise RecordNotFound(f"{ctx.entity.name} #{record_id} does not exist")
        return policy, dict(row)

    def _children(self, conn, ctx, record_id) -> dict[str, list[dict]]:
        result = {}
        for name, table in ctx.children.items():
            rows = conn.execute(select(table).where(table.c.parent_id == record_id)
                                .order_by(table.c.position)).mappings().all()
            result[name] = [dict(r) for r in rows]
        return result

    def _write_children(self, conn, ctx, record_id, values: Mapping[str, Any]) -> None:
        for name, table in ctx.children.items():
            if name not in values:
                continue
            conn.execute(table.delete().where(table.c.parent_id == record_id))
            rows = [{**row, "parent_id": record_id, "position": i} for i, row in enumerate(values[name] or [])]
            if rows:
                conn.execute(table.insert(), rows)

    def _json(self, ctx, policy, row, children=None) -> dict[str, Any]:
        hidden = policy.hidden_fields(row) if policy.has_field_rules else set()
        data = ctx.to_json(row, hidden)
        for name, rows in (children or {}).items():
            if name not in hidden:
                data[name] = ctx.child_to_json(name, rows)
        return data

    # -- create ----------------------------------------------------------------------------
    def create(self, actor: Actor, app: str, entity: str, values: Mapping[str, Any], *,
               automation: bool = True, historical: bool = False,
               conn: Connection | None = None, cause: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Create a record. Every problem with the input is reported at once. ``historical`` (an
        import of old records, BK33) places the record on its stage without running the stage
        gates; only the engine itself may ask for it."""
        ctx = self.catalog.context(app, entity)
        policy = ctx.policy(actor)
        policy.require(Right.CREATE)
        parsed, errors = ctx.values.parse_collecting(values)
        defaults = ctx.values.defaults()
        record = {**defaults, **parsed}
        # Sending the value a new record has anyway (empty, or the default) is not a change.
        blocked = {f for f in policy.read_only_fields(record) & set(parsed) if parsed[f] != defaults.get(f)}
        _merge(errors, {f: "is read-only for you" for f in blocked})
        _merge(errors, ctx.values.compute(record))
        _merge(errors, ctx.values.missing_required(record))
        now = self.clock()
        children = ctx.children
        child_values = {k: record.pop(k) for k in list(record) if k in children} if children else {}
        with self.transaction(conn) as tx:
            checker = ReferenceChecker(tx, ctx.app, ctx.tables, self.known)
            _merge(errors, checker.problems(ctx.values, {**record, **child_values}))
            _merge(errors, checker.duplicates(ctx.values, ctx.table, record))
            if ctx.entity.constraints and not errors:
                _merge(errors, constraint_errors(tx, ctx.table, ctx.entity, ctx.kinds.constraints, record, None,
                                                 ctx.app.default_locale))
            if errors:
                raise RecordValidationError(entity, errors)
            if ctx.entity.has_pipelines:
                pipeline, stage = resolve_stage(ctx.entity, record.get("pipeline"), record.get("stage"))
                if not (historical and actor.is_system):
                    run_gates(self.gates, self._move(tx, ctx, pipeline, stage, None, None, {**record, **child_values},
                                                     by_engine=actor.is_system))
                record.update(pipeline=pipeline.name, stage=stage.name, stage_changed_at=now)
            row = {**record, "version": 1, "created_at": now, "created_by": actor.username,
                   "updated_at": now, "updated_by": actor.username}
            # Values as parameters, not .values(): the statement stays cacheable across calls.
            record_id = self._write(tx, ctx, ctx.insert, row).inserted_primary_key[0]
            row["id"] = record_id
            self._write_children(tx, ctx, record_id, child_values)
            full = {name: row.get(name) for name, _ in ctx.outputs}
            children = self._children(tx, ctx, record_id) if ctx.children else {}
            values_json = ctx.to_json(full)
            values_json.update({name: ctx.child_to_json(name, rows) for name, rows in children.items()})
            append_event(tx, app, entity, record_id, CreatedPayload(values_json, automation=automation, cause=cause),
                         actor.username, now)
        if policy.has_field_rules:
            return self._json(ctx, policy, full, children)
        return values_json

    def _write(self, tx: Connection, ctx: EntityContext, statement, params):
        try:
            return tx.execute(statement, params)
        except IntegrityError:
            # A unique value taken between our check and the write (a concurrent writer).
            raise RecordValidationError(ctx.entity.name, {
                f.name: "is already used by another record" for f in ctx.values.unique_fields} or {
                "*": "conflicts with another record"}) from None

    # -- read ------------------------------------------------------------------------------
    def get(self, actor: Actor, app: str, entity: str, record_id: int,
            conn: Connection | None = None) -> dict[str, Any]:
        ctx = self.catalog.context(app, entity)
        ctx.policy(actor).require(Right.READ)
        if conn is None:
            with read_connection(self.db) as own:
                return self.get(actor, app, entity, record_id, own)
        policy, row = self._load_row(conn, ctx, actor, record_id)
        return self._json(ctx, policy, row, self._children(conn, ctx, record_id))

    def list(self, actor: Actor, app: str, entity: str, *, where: Mapping[str, Any] | None = None,
             search: str | None = None, sort: str | list[str] | None = None, limit: int = 50,
             after: str | None = None) -> Page:
        ctx = self.catalog.context(app, entity)
        policy, clause = self._visible(ctx, actor)
        policy.require(Right.READ)
        if not 1 <= limit <= MAX_PAGE:
            raise FilterError(f"limit must be between 1 and {MAX_PAGE}")
        query, keyset = self._query(ctx, policy, clause, where, search, sort)
        if after:
            query = query.where(keyset.after(after))
        query = query.order_by(*keyset.order_by()).limit(limit + 1)
        with read_connection(self.db) as conn:
            rows = conn.execute(query).mappings().all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [self._json(ctx, policy, row) for row in rows]
        cursor = encode_cursor(keyset.row_values(rows[-1])) if more and rows else None
        return Page(items, cursor)

    def count(self, actor: Actor, app: str, entity: str, *, where: Mapping[str, Any] | None = None,
              search: str | None = None) -> int:
        ctx = self.catalog.context(app, entity)
        policy, clause = self._visible(ctx, actor)
        policy.require(Right.READ)
        query, _ = self._query(ctx, policy, clause, where, search, None)
        with read_connection(self.db) as conn:
            return conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()

    def _query(self, ctx, policy, clause, where, search, sort):
        filters = ctx.filters(policy.ever_hidden())
        query = select(ctx.table)
        if clause is not None:
            query = query.where(clause)
        if where:
            query = query.where(filters.compile(where))
        if search and search.strip():
            query = query.where(filters.search(search))
        keys = parse_sort(sort) or (parse_sort("sort_order,label") if ctx.entity.is_handbook else [])
        for key in keys:
            spec = filters.field(key.field)
            if ctx.kinds.fields.get(spec.kind).storage_of(spec).value in ("json", "none"):
                raise FilterError(f"cannot sort on {key.field!r}: it holds a list")

        def parse_cursor_value(name: str, value: Any) -> Any:
            spec = filters.fields[name]
            kind = ctx.kinds.fields.get(spec.kind)
            kind = kind.result_kind(spec) if spec.kind == "computed" else kind
            parsed = kind.coerce(value, spec)
            if type(parsed) is not type(value) and not isinstance(value, (str, dt.date, Decimal)):
                raise ValueError(name)
            return parsed
        return query, Keyset(ctx.table, keys, parse_cursor_value)

    def history(self, actor: Actor, app: str, entity: str, record_id: int) -> list[dict[str, Any]]:
        ctx = self.catalog.context(app, entity)
        ctx.policy(actor).require(Right.READ)
        with read_connection(self.db) as conn:
            policy, row = self._load_row(conn, ctx, actor, record_id)
            hidden = policy.hidden_fields(row) if policy.has_field_rules else set()
            h = st.history
            rows = conn.execute(select(h).where(h.c.entity_table == ctx.table.name, h.c.record_id == record_id)
                                .order_by(h.c.id)).mappings().all()
        return [{"field": r["field"], "old": json.loads(r["old_value"]), "new": json.loads(r["new_value"]),
                 "at": r["changed_at"].isoformat() + "Z", "by": r["changed_by"]}
                for r in rows if r["field"] not in hidden]

    # -- update ----------------------------------------------------------------------------
    def update(self, actor: Actor, app: str, entity: str, record_id: int, values: Mapping[str, Any], *,
               expected_version: int | None = None, automation: bool = True,
               conn: Connection | None = None, cause: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Change some fields. With ``expected_version``, a record changed meanwhile is a conflict."""
        ctx = self.catalog.context(app, entity)
        ctx.policy(actor).require(Right.UPDATE)
        parsed, errors = ctx.values.parse_collecting(values)
        now = self.clock()
        with self.transaction(conn) as tx:
            policy, current = self._load_row(tx, ctx, actor, record_id, lock=True)
            if expected_version is not None and current["version"] != expected_version:
                raise RecordConflict(entity, record_id, current["version"])
            old_children = self._children(tx, ctx, record_id) if ctx.children else {}
            changed = self._changed_fields(ctx, current, old_children, parsed)
            _merge(errors, {f: "is read-only for you" for f in policy.read_only_fields(current) & changed})
            record = {**current, **{k: v for k, v in parsed.items() if k not in ctx.children}}
            _merge(errors, ctx.values.compute(record))
            _merge(errors, ctx.values.missing_required({**record, **parsed}, only=changed))
            _merge(errors, self._stage_requirements(ctx, current, {**record, **parsed}, changed))
            updates = {name: record[name] for name, _ in ctx.outputs
                       if name in record and name not in ("id", "version") and record[name] != current.get(name)}
            child_updates = {k: parsed[k] for k in changed if k in ctx.children}
            checker = ReferenceChecker(tx, ctx.app, ctx.tables, self.known)
            _merge(errors, checker.problems(ctx.values, {**updates, **child_updates}))
            _merge(errors, checker.duplicates(ctx.values, ctx.table, updates, record_id))
            if ctx.entity.constraints and not errors and updates:
                _merge(errors, constraint_errors(tx, ctx.table, ctx.entity, ctx.kinds.constraints, record, record_id,
                                                 ctx.app.default_locale))
            if errors:
                raise RecordValidationError(entity, errors)
            stage_event = self._stage_move(tx, ctx, current, record, changed, now, by_engine=actor.is_system)
            updates = {name: record[name] for name, _ in ctx.outputs
                       if name in record and name not in ("id", "version") and record[name] != current.get(name)}
            if not updates and not child_updates:
                return self._json(ctx, policy, current, old_children)
            updates.update(updated_at=now, updated_by=actor.username)
            result = self._write(tx, ctx, ctx.table.update()
                                 .where(ctx.table.c.id == record_id, ctx.table.c.version == current["version"])
                                 .values(version=ctx.table.c.version + 1), updates)
            if result.rowcount != 1:
                raise RecordConflict(entity, record_id, None)
            self._write_children(tx, ctx, record_id, child_updates)
            after = {**current, **updates, "version": current["version"] + 1}
            changes = self._history_changes(ctx, current, after, old_children, child_updates)
            append_history(tx, ctx.table.name, record_id, changes, actor.username, now)
            payload = UpdatedPayload({k: [old, new] for k, (old, new) in changes.items()},
                                     automation=automation, cause=cause)
            append_event(tx, app, entity, record_id, payload, actor.username, now)
            if stage_event:
                append_event(tx, app, entity, record_id, StageChangedPayload(
                    *stage_event, automation=automation, cause=cause), actor.username, now)
            children = self._children(tx, ctx, record_id) if ctx.children else {}
        return self._json(ctx, policy, after, children)

    def _changed_fields(self, ctx, current, old_children, parsed) -> set[str]:
        changed = set()
        for name, value in parsed.items():
            if name in ctx.children:
                old = [{k: v for k, v in row.items() if k not in ("id", "parent_id", "position")}
                       for row in old_children.get(name, [])]
                if old != value:
                    changed.add(name)
            elif current.get(name) != value:
                changed.add(name)
        return changed

    def _stage_requirements(self, ctx, current, record, changed) -> dict[str, str]:
        """While a record stays in a stage, the fields that stage requires may not be emptied."""
        if not ctx.entity.has_pipelines or changed & {"pipeline", "stage"}:
            return {}
        try:
            stage = ctx.entity.pipeline(current["pipeline"]).stage(current["stage"])
        except KeyError:
            return {}
        return {f: f"is required in stage {label_text(stage.label, ctx.app.default_locale)!r}"
                for f in stage.required_fields if f in changed and is_empty(record.get(f))}

    def _move(self, conn, ctx, pipeline, stage, from_pipeline, from_stage, record, *, by_engine) -> StageMove:
        """A stage move with what the gates need to look at the record and its linked records."""
        def count_open(block, moving) -> int:
            linked = self.catalog.context(ctx.app.name, block["entity"])
            tree = _resolve_record_refs(block["open"], moving)
            query = select(func.count()).select_from(linked.table).where(
                linked.table.c[block["link_field"]] == moving.get("id"), linked.filters().compile(tree))
            return conn.execute(query).scalar_one()

        return StageMove(ctx.entity, pipeline, stage, from_pipeline, from_stage, record,
                         matches=lambda tree, values: ctx.filters().matches(tree, values), count_open=count_open,
                         by_engine=by_engine)

    def _stage_move(self, conn, ctx, current, record, changed, now, *,
                    by_engine: bool) -> tuple[StagePlace, StagePlace] | None:
        """Where a stage move goes from and to, after its gates let it through; None: no move."""
        if not ctx.entity.has_pipelines or not changed & {"pipeline", "stage"}:
            return None
        target_pipeline = record.get("pipeline") or current["pipeline"]
        stage_name = record.get("stage") if "stage" in changed else None
        if "pipeline" in changed and "stage" not in changed:
            stage_name = None  # a move to another pipeline lands on its first stage unless told
        pipeline, stage = resolve_stage(ctx.entity, target_pipeline, stage_name)
        # A stage that left the metadata holds nothing back; a pipeline that left it neither, and
        # the record then enters its new pipeline like a new record.
        from_pipeline = next((p for p in ctx.entity.pipelines if p.name == current.get("pipeline")), None)
        from_stage = next((s for s in from_pipeline.stages if s.name == current.get("stage")), None) \
            if from_pipeline else None
        run_gates(self.gates, self._move(conn, ctx, pipeline, stage, from_pipeline, from_stage, record,
                                         by_engine=by_engine))
        record.update(pipeline=pipeline.name, stage=stage.name, stage_changed_at=now)
        return StagePlace(current.get("pipeline"), current.get("stage")), StagePlace(pipeline.name, stage.name)

    def _history_changes(self, ctx, before, after, old_children, child_updates) -> dict[str, tuple]:
        converters = dict(ctx.outputs)
        changes = {name: (converters[name](before.get(name)), converters[name](after.get(name)))
                   for name in converters
                   if name not in ("version", "updated_at", "updated_by") and before.get(name) != after.get(name)}
        for name, rows in child_updates.items():
            old = ctx.child_to_json(name, old_children.get(name, []))
            changes[name] = ([{k: v for k, v in r.items() if k != "id"} for r in old],
                             ctx.child_to_json(name, [{"id": None, **r} for r in rows or []]))
            for row in changes[name][1]:
                row.pop("id", None)
        return changes

    # -- delete ----------------------------------------------------------------------------
    def delete(self, actor: Actor, app: str, entity: str, record_id: int, *,
               expected_version: int | None = None, automation: bool = True,
               conn: Connection | None = None) -> None:
        ctx = self.catalog.context(app, entity)
        ctx.policy(actor).require(Right.DELETE)
        now = self.clock()
        with self.transaction(conn) as tx:
            policy, current = self._load_row(tx, ctx, actor, record_id, lock=True)
            if expected_version is not None and current["version"] != expected_version:
                raise RecordConflict(entity, record_id, current["version"])
            self._refuse_if_linked(tx, ctx, record_id, current)
            tx.execute(ctx.table.delete().where(ctx.table.c.id == record_id))
            rm = st.record_members
            tx.execute(rm.delete().where(rm.c.entity_table == ctx.table.name, rm.c.record_id == record_id))
            append_event(tx, app, entity, record_id, DeletedPayload(ctx.to_json(current), automation=automation),
                         actor.username, now)

    def _refuse_if_linked(self, conn, ctx, record_id, current) -> None:
        """A record that other records (or child-table rows) link to cannot be deleted, nor can a
        handbook item whose code select fields still hold."""
        for other in ctx.app.entities.values():
            tables = ctx.tables.entities[other.name]
            places = [(spec, tables.main) for spec in other.fields]
            places += [(child, tables.children[spec.name])
                       for spec in other.fields if spec.kind == "child_table" for child in spec.children]
            for spec, table in places:
                if spec.kind == "link" and spec.options["entity"] == ctx.entity.name:
                    used = select(table.c.id).where(table.c[spec.name] == record_id)
                elif spec.kind in ("select", "multiselect") and spec.options.get("handbook") == ctx.entity.name \
                        and table is tables.main:
                    where = {"field": spec.name, "op": "contains" if spec.kind == "multiselect" else "eq",
                             "value": current["code"]}
                    used = select(table.c.id).where(self.catalog.context(ctx.app.name, other.name).filters().compile(where))
                else:
                    continue
                if conn.execute(used.limit(1)).first() is not None:
                    # Which record is not said: the caller may not be allowed to see it.
                    raise RecordValidationError(ctx.entity.name, {
                        "id": f"#{record_id} is still used by {other.name} records ({spec.name}); "
                              f"change them first"})

    # -- many records at once (all or nothing; see bulk_updates) ----------------------------
    def bulk_update(self, actor: Actor, app: str, entity: str, ids: Any, values: Mapping[str, Any], *,
                    automation: bool = True, conn: Connection | None = None) -> list[dict[str, Any]]:
        """The same values on every listed record, through :meth:`update`, in one transaction."""
        return bulk_updates.bulk_update(self, actor, app, entity, ids, values, automation=automation, conn=conn)

    def bulk_delete(self, actor: Actor, app: str, entity: str, ids: Any, *,
                    automation: bool = True, conn: Connection | None = None) -> list[int]:
        """Delete every listed record, through :meth:`delete`, in one transaction."""
        return bulk_updates.bulk_delete(self, actor, app, entity, ids, automation=automation, conn=conn)

    # -- people on a record ----------------------------------------------------------------
    def set_member(self, actor: Actor, app: str, entity: str, record_id: int, username: str,
                   relation: str, present: bool = True, conn: Connection | None = None) -> None:
        """Add or remove a watcher (anyone who may edit the record), or grant or deny one user
        access to one record (administrators and the engine only, BK03/BK19)."""
        if relation not in RecordRelation.ALL:
            raise ValueError(f"relation {relation!r} is not one of {', '.join(sorted(RecordRelation.ALL))}")
        ctx = self.catalog.context(app, entity)
        policy = ctx.policy(actor)
        policy.require(Right.UPDATE)
        if relation != RecordRelation.WATCHER and not policy.unrestricted:
            raise AccessDenied(f"only administrators may grant or deny access to {entity} records")
        rm = st.record_members
        key = and_(rm.c.entity_table == ctx.table.name, rm.c.record_id == record_id,
                   rm.c.username == username, rm.c.relation == relation)
        with self.transaction(conn) as tx:
            self._load_row(tx, ctx, actor, record_id)
            if present and not tx.execute(select(st.users.c.id).where(st.users.c.username == username)).first():
                raise RecordValidationError(entity, {"username": f"user {username!r} does not exist"})
            tx.execute(rm.delete().where(key))
            if present:
                tx.execute(rm.insert().values(entity_table=ctx.table.name, record_id=record_id,
                                              username=username, relation=relation))
