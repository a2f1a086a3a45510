"""Debugging a rule from the builder (PL10, PL24): its run log, and a dry run on a chosen record.

The run log lists the rule's latest runs on any record: fired, skipped (and why) or failed. The
dry run evaluates the rule against one record as it is now, as if its trigger had just fired:
which parts of the condition hold (each leaf with the record's value), whether the rule's
pipelines admit the record, and which actions would run, in order. It reads only: no action
runs, nothing is written or logged. Both are for those who may configure the app.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..core.specs import RuleSpec
from ..data.catalog import UnknownApp
from ..security import AccessDenied, Actor
from ..security.permissions import may_configure
from ..storage.database import read_connection
from ..storage.platform_tables import rule_runs
from .context import RuleScope

__all__ = ["DryRun", "UnknownRule", "dry_run", "rule_run_log"]


class UnknownRule(LookupError):
    """The app has no rule of that name (or it does not apply to that entity)."""


@dataclass
class DryRun:
    rule: str
    entity: str
    record_id: int
    trigger: str  # the trigger's kind: a dry run acts as if it had fired
    enabled: bool
    pipeline_admits: bool  # the rule's pipelines (when it names any) include the record's
    condition: dict[str, Any] | None  # the explained tree, or None for a rule without one
    would_run: bool
    actions: list[dict[str, Any]] = field(default_factory=list)  # {"index", "kind", "options"}


def _rule(stageflow, actor: Actor, app: str, name: str) -> RuleSpec:
    stageflow.catalog.refresh()
    if app not in stageflow.catalog.names():
        raise UnknownApp(f"no app {app!r} is installed")
    spec = stageflow.catalog.get(app).spec
    if not may_configure(actor, spec):
        raise AccessDenied(f"{actor.username} may not debug the rules of app {app!r}")
    rule = next((r for r in spec.rules if r.name == name), None)
    if rule is None:
        raise UnknownRule(f"app {app!r} has no rule {name!r}")
    return rule


def rule_run_log(stageflow, actor: Actor, app: str, rule_name: str, limit: int = 100) -> list[dict[str, Any]]:
    """The rule's latest runs on any record, newest first."""
    _rule(stageflow, actor, app, rule_name)
    r = rule_runs
    with read_connection(stageflow.db) as conn:
        rows = conn.execute(select(r).where(r.c.app == app, r.c.rule == rule_name)
                            .order_by(r.c.id.desc()).limit(max(1, min(limit, 500)))).mappings().all()
    return [{"entity": row["entity"], "record_id": row["record_id"], "outcome": row["outcome"],
             "reason": row["reason"], "source": row["source"], "at": row["created_at"].isoformat() + "Z"}
            for row in rows]


def dry_run(stageflow, actor: Actor, app: str, rule_name: str, entity: str, record_id: int) -> DryRun:
    """What the rule would do to the record now; reads only."""
    rule = _rule(stageflow, actor, app, rule_name)
    if entity not in rule.entities:
        raise UnknownRule(f"rule {rule_name!r} does not apply to {entity!r}; it applies to "
                          f"{', '.join(rule.entities)}")
    # Read as the debugging admin: a record they may not see is "not found", never shown.
    record = stageflow.records.get(actor, app, entity, record_id)
    spec = stageflow.catalog.get(app).spec.entities[entity]
    scope = RuleScope(stageflow.kinds, spec, record, {}, actor.username, stageflow.clock())
    evaluator = stageflow.kinds.conditions
    condition = evaluator.explain(scope.resolve(rule.condition), scope.values) if rule.condition else None
    admits = rule.pipelines is None or record.get("pipeline") in rule.pipelines
    would_run = rule.enabled and admits and (condition is None or condition["holds"])
    actions = [{"index": i, "kind": a["kind"], "options": {k: v for k, v in a.items() if k != "kind"}}
               for i, a in enumerate(rule.actions)]
    return DryRun(rule.name, entity, record_id, rule.trigger_kind, rule.enabled, admits, condition,
                  would_run, actions)
