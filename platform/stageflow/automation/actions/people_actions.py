"""Actions about people on a record: watchers (BK12) and per-record access (BK03, BK19)."""
from __future__ import annotations

from ...security import SYSTEM
from ...security.permissions import RecordRelation
from .base import RECIPIENTS_SCHEMA, ActionKind, ActionRun, check_recipients


def _set(run: ActionRun, user: str, relation: str, present: bool) -> None:
    """Add or remove one person on the record through the record service (its rules apply)."""
    run.records.set_member(SYSTEM, run.app.name, run.entity.name, run.record_id, user, relation, present,
                           conn=run.conn)


class _MemberAction(ActionKind):
    relation: str
    present: bool
    options_schema = {"type": "object", "additionalProperties": False, "required": ["who"],
                      "properties": {"kind": {}, "who": RECIPIENTS_SCHEMA}}

    def check(self, action, entity, app):
        yield from check_recipients(action["who"], entity, app, "who")

    def run(self, action, run: ActionRun) -> str:
        users = run.recipients(action["who"])
        for user in users:
            self.apply(user, run)
        return f"{self.kind}: {', '.join(users) or 'nobody'}"

    def apply(self, user: str, run: ActionRun) -> None:
        _set(run, user, self.relation, self.present)


class AddWatchers(_MemberAction):
    """``{"kind": "add_watchers", "who": {"users": ["lawyer1"], "department_heads": ["sales_msk"]}}``"""

    kind, relation, present = "add_watchers", RecordRelation.WATCHER, True


class RemoveWatchers(_MemberAction):
    """``{"kind": "remove_watchers", "who": {"watchers": true}}`` removes every watcher."""

    kind, relation, present = "remove_watchers", RecordRelation.WATCHER, False


class GrantAccess(_MemberAction):
    """``{"kind": "grant_access", "who": {"departments": ["call_center"]}}``: these users see the
    record beyond their role's record rules (a deal dropped on a department, BK19)."""

    kind, relation, present = "grant_access", RecordRelation.GRANTED, True

    def apply(self, user: str, run: ActionRun) -> None:
        super().apply(user, run)
        # A denial left by an earlier revoke_access would still win over the grant.
        _set(run, user, RecordRelation.DENIED, False)


class RevokeAccess(ActionKind):
    """``{"kind": "revoke_access", "who": {...}, "except": {"fields": ["assignee"]}}``: these users
    lose access to the record even where their role would show it (BK03, BK19: the others lose
    access once one of them takes the deal)."""

    kind = "revoke_access"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["who"],
                      "properties": {"kind": {}, "who": RECIPIENTS_SCHEMA, "except": RECIPIENTS_SCHEMA}}

    def check(self, action, entity, app):
        yield from check_recipients(action["who"], entity, app, "who")
        if "except" in action:
            yield from check_recipients(action["except"], entity, app, "except")

    def run(self, action, run):
        kept = set(run.recipients(action["except"])) if "except" in action else set()
        users = [u for u in run.recipients(action["who"]) if u not in kept]
        for user in users:
            _set(run, user, RecordRelation.GRANTED, False)
            _set(run, user, RecordRelation.DENIED, True)
        for user in kept:  # whoever keeps the record is never locked out by an older denial
            _set(run, user, RecordRelation.DENIED, False)
        return f"revoked: {', '.join(users) or 'nobody'}"
