"""Actions that change records: set fields, move stage or pipeline, create linked records, assign."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from ...storage import platform_tables as st
from ...storage.platform_tables import states
from .base import ActionKind, ActionRun, check_value_specs

_VALUES = {"type": "object", "minProperties": 1}


def _check_values(values, entity, at):
    for name in values:
        if name in ("stage", "pipeline"):
            continue
        if not entity.has_field(name):
            yield f"{at}/{name}", f"{name!r} is not a field of {entity.name!r}"
        elif entity.field(name).kind == "computed":
            yield f"{at}/{name}", f"{name!r} of {entity.name!r} is computed and cannot be set"
    yield from check_value_specs(values, at)


class SetFields(ActionKind):
    """``{"kind": "set_fields", "values": {"source": "vasya", "due": {"formula": "add_days(today, 3)"}}}``
    (BK01); values are literals, ``{"formula"}``, ``{"template"}`` or ``{"ref": "previous.x"}``."""

    kind = "set_fields"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["values"],
                      "properties": {"kind": {}, "values": _VALUES}}

    def check(self, action, entity, app):
        yield from _check_values(action["values"], entity, "values")

    def run(self, action, run: ActionRun) -> str:
        values = {name: run.value(spec) for name, spec in action["values"].items()}
        run.update(values)
        return "set " + ", ".join(sorted(values))


class MoveStage(ActionKind):
    """``{"kind": "move_stage", "stage": "payments"}``; with ``"pipeline"`` it moves the record to
    another pipeline (PL04, PR11); stage gates apply to robots too."""

    kind = "move_stage"
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "kind": {}, "stage": {"type": "string"}, "pipeline": {"type": "string"}},
        "anyOf": [{"required": ["stage"]}, {"required": ["pipeline"]}]}

    def check(self, action, entity, app):
        pipelines = {p.name: p for p in entity.pipelines}
        if not pipelines:
            yield "kind", f"{entity.name!r} has no pipelines"
            return
        if "pipeline" in action and action["pipeline"] not in pipelines:
            yield "pipeline", f"{action['pipeline']!r} is not a pipeline of {entity.name!r}"
            return
        stages = {s.name for p in ([pipelines[action["pipeline"]]] if "pipeline" in action else pipelines.values())
                  for s in p.stages}
        if "stage" in action and action["stage"] not in stages:
            yield "stage", f"{action['stage']!r} is not a stage there"

    def run(self, action, run):
        values = {k: action[k] for k in ("pipeline", "stage") if k in action}
        run.update(values)
        return "moved to " + "/".join(values.values())


class ReturnToPipeline(ActionKind):
    """``{"kind": "return_to_pipeline"}``: back to the pipeline and stage the record came from
    before its last move to another pipeline (PR11: a claim returns the deal to sales)."""

    kind = "return_to_pipeline"

    def run(self, action, run):
        h = st.history
        rows = run.conn.execute(select(h.c.field, h.c.old_value).where(
            h.c.entity_table == run.entity.table_name, h.c.record_id == run.record_id,
            h.c.field.in_(("pipeline", "stage"))).order_by(h.c.id.desc())).all()
        current = run.record.get("pipeline")
        origin = next((json.loads(old) for field, old in rows if field == "pipeline"
                       and json.loads(old) not in (None, current)), None)
        if origin is None:
            return "no earlier pipeline to return to"
        # The stage it left that pipeline from: the stage change recorded with that pipeline move.
        stage_rows = [json.loads(old) for field, old in rows if field == "stage"]
        spec = run.entity.pipeline(origin)
        stage = next((s for s in stage_rows if s in {st_.name for st_ in spec.stages}), None)
        run.update({"pipeline": origin, **({"stage": stage} if stage else {})})
        return f"returned to {origin}/{stage or spec.first_stage.name}"


class CreateRecord(ActionKind):
    """Create a linked record (PR09) or a task (BK08, PR03):
    ``{"kind": "create_record", "entity": "task", "link_field": "deal",
    "values": {"title": {"template": "Контроль оплаты: {{ record.title }}"}, "assignee": {"ref": "assignee"}}}``.
    ``link_field`` is a link on the new record that points back at this one."""

    kind = "create_record"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["entity", "values"],
                      "properties": {"kind": {}, "entity": {"type": "string"}, "values": _VALUES,
                                     "link_field": {"type": "string"}}}

    def check(self, action, entity, app):
        target = app.entities.get(action["entity"])
        if target is None:
            yield "entity", f"{action['entity']!r} is not an entity of this app"
            return
        yield from _check_values(action["values"], target, "values")
        link = action.get("link_field")
        if link is not None and (not target.has_field(link) or target.field(link).kind != "link"
                                 or target.field(link).options["entity"] != entity.name):
            yield "link_field", f"{link!r} is not a link from {target.name!r} to {entity.name!r}"

    def run(self, action, run):
        values = {name: run.value(spec) for name, spec in action["values"].items()}
        if action.get("link_field"):
            values[action["link_field"]] = run.record_id
        created = run.create(action["entity"], values)
        return f"created {action['entity']} #{created['id']}"


class Assign(ActionKind):
    """Set a user field (default ``assignee``) by one strategy (PL08, BK05, BK07, BK11, BK15):
    ``{"to": {"user": "ivanova"}}``, ``{"to": {"ref": "previous.assignee"}}``,
    ``{"to": {"round_robin": "sales_kazan"}}``, ``{"to": {"least_loaded": "sales_kazan"}}``,
    ``{"to": {"previous_in_stage": "call_center"}}`` (who had it while it was in that stage),
    ``{"to": {"head_of": "department_field"}}``."""

    kind = "assign"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["to"], "properties": {
        "kind": {}, "field": {"type": "string"}, "to": {"type": "object", "minProperties": 1, "maxProperties": 1,
                                                     "additionalProperties": False, "properties": {
            "user": {"type": "string"}, "ref": {"type": "string"}, "round_robin": {"type": "string"},
            "least_loaded": {"type": "string"}, "previous_in_stage": {"type": "string"},
            "head_of": {"type": "string"}}}}}

    def check(self, action, entity, app):
        name = action.get("field", "assignee")
        if not entity.has_field(name) or entity.field(name).kind != "user":
            yield "field", f"{name!r} is not a user field of {entity.name!r}"
        to = action["to"]
        departments = {d.name for d in app.departments}
        for key in ("round_robin", "least_loaded"):
            if key in to and to[key] not in departments:
                yield f"to/{key}", f"{to[key]!r} is not a department of this app"
        if "user" in to and to["user"] not in {u.username for u in app.users}:
            yield "to/user", f"{to['user']!r} is not a user of this app"
        if "previous_in_stage" in to and to["previous_in_stage"] not in {
                s.name for p in entity.pipelines for s in p.stages}:
            yield "to/previous_in_stage", f"{to['previous_in_stage']!r} is not a stage of {entity.name!r}"

    def run(self, action, run):
        field = action.get("field", "assignee")
        user = self._choose(action["to"], field, run)
        if user is None:
            return f"nobody to assign ({json.dumps(dict(action['to']), ensure_ascii=False)})"
        run.update({field: user})
        return f"{field} = {user}"

    def _members(self, run, department):
        dm = st.department_members
        return sorted(run.conn.execute(select(dm.c.username).join(st.users, st.users.c.username == dm.c.username)
                                       .where(dm.c.app == run.app.name, dm.c.department == department,
                                              st.users.c.active.is_(True))).scalars())

    def _choose(self, to, field, run) -> Any:
        if "user" in to:
            return to["user"]
        if "ref" in to:
            return run.scope.values.get(to["ref"])
        if "head_of" in to:
            department = run.seen.get(to["head_of"])
            d = st.departments
            return run.conn.execute(select(d.c.head).where(d.c.app == run.app.name, d.c.name == department)).scalar()
        if "round_robin" in to:
            members = self._members(run, to["round_robin"])
            if not members:
                return None
            key = f"round_robin:{run.app.name}:{run.rule.name}:{to['round_robin']}"
            last = run.conn.execute(select(states.c.value).where(states.c.key == key)).scalar()
            nxt = next((m for m in members if last is None or m > last), members[0])
            run.conn.execute(states.delete().where(states.c.key == key))
            run.conn.execute(states.insert().values(key=key, value=nxt))
            return nxt
        if "least_loaded" in to:
            members = self._members(run, to["least_loaded"])
            if not members:
                return None
            table = run.records.catalog.context(run.app.name, run.entity.name).table
            counts = dict(run.conn.execute(select(table.c[field], func.count()).where(
                table.c[field].in_(members)).group_by(table.c[field])).all())
            return min(members, key=lambda m: (counts.get(m, 0), m))
        if "previous_in_stage" in to:
            return self._previous_in_stage(to["previous_in_stage"], field, run)
        return None

    def _previous_in_stage(self, stage: str, field: str, run) -> Any:
        """Replay the record's history backwards: who held ``field`` while it was in ``stage``
        before now. Rows written by one update (same time and author) are undone together."""
        h = st.history
        rows = run.conn.execute(select(h.c.field, h.c.old_value, h.c.changed_at, h.c.changed_by).where(
            h.c.entity_table == run.entity.table_name, h.c.record_id == run.record_id,
            h.c.field.in_(("stage", field))).order_by(h.c.id)).all()
        groups: list[list] = []
        for row in rows:
            if groups and (groups[-1][0].changed_at, groups[-1][0].changed_by) == (row.changed_at, row.changed_by):
                groups[-1].append(row)
            else:
                groups.append([row])
        state = {"stage": run.record.get("stage"), field: run.record.get(field)}
        for group in reversed(groups):
            for row in group:
                state[row.field] = json.loads(row.old_value)
            if state["stage"] == stage and state.get(field):
                return state[field]
        return None
