"""Action kinds (PL08): one registered class each."""
from ...core.registry import Registry
from .base import ActionKind, ActionRun, ActionStop
from .flow_actions import Wait
from .linked_actions import UpdateLinked
from .message_actions import CallWebhook, Notify, PostComment, SendSms
from .people_actions import AddWatchers, GrantAccess, RemoveWatchers, RevokeAccess
from .record_actions import Assign, CreateRecord, MoveStage, ReturnToPipeline, SetFields


def default_actions() -> Registry[ActionKind]:
    registry: Registry[ActionKind] = Registry("action kind")
    for cls in (SetFields, MoveStage, ReturnToPipeline, CreateRecord, Assign, AddWatchers, RemoveWatchers,
                GrantAccess, RevokeAccess, Notify, SendSms, PostComment, CallWebhook, Wait, UpdateLinked):
        registry.register(cls())
    return registry


__all__ = ["ActionKind", "ActionRun", "ActionStop", "default_actions"]
