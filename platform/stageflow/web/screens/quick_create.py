"""One-line quick create (NS07) on the board and the calendar: the values a new record gets
besides what the user typed. The record itself is created through the REST API by the page."""
from __future__ import annotations

from ...core.fields import UserKind
from ...core.specs import RecordScope
from ..extension import stageflow_engine
from .context import ScreenContext


def quick_create_defaults(screen: ScreenContext) -> dict[str, str]:
    """Values a quick-created record gets besides its title: the creator becomes its responsible
    user (as in Bitrix24), on the user field the actor's record rules go by, else the first user
    field, so the new card stays visible to whoever created it."""
    user_fields = [f.name for f in screen.entity.fields if f.kind == UserKind.kind]
    policy = stageflow_engine().catalog.context(screen.app_name, screen.entity_name).policy(screen.actor)
    ruled = [rule.field for grant in policy.grants for rule in (grant.records or ())
             if rule.scope in (RecordScope.ASSIGNED, RecordScope.DEPARTMENT) and rule.field in user_fields]
    chosen = (ruled or user_fields or [None])[0]
    return {chosen: screen.actor.username} if chosen and screen.actor.username else {}
