"""A user's own list settings per entity: chosen columns in order and named saved filters.

Stored through the engine's user-settings service, which keys every value by the actor.
"""
from __future__ import annotations

from typing import Any

from ...security import Actor
from ..extension import stageflow_engine

MAX_SAVED_FILTERS = 50
MAX_FILTER_NAME = 80
MAX_FILTER_QUERY = 4000


class SettingError(ValueError):
    """A setting that cannot be stored; the message says why."""


def _key(kind: str, app: str, entity: str) -> str:
    return f"list.{kind}:{app}.{entity}"


def _read(actor: Actor, key: str, default: Any) -> Any:
    return stageflow_engine().settings.read(actor, key, default)


def _write(actor: Actor, key: str, value: Any) -> None:
    stageflow_engine().settings.write(actor, key, value)


def saved_columns(actor: Actor, app: str, entity: str) -> list[str] | None:
    value = _read(actor, _key("columns", app, entity), None)
    return [str(v) for v in value] if isinstance(value, list) else None


def save_columns(actor: Actor, app: str, entity: str, names: list[str] | None) -> None:
    """Store the column order; ``None`` or an empty list goes back to the entity's defaults."""
    _write(actor, _key("columns", app, entity), list(dict.fromkeys(names)) if names else None)


def saved_filters(actor: Actor, app: str, entity: str) -> dict[str, str]:
    """name -> the filter's query string, in the order they were saved."""
    value = _read(actor, _key("filters", app, entity), {})
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def save_filter(actor: Actor, app: str, entity: str, name: str, query: str) -> None:
    name = name.strip()
    if not name:
        raise SettingError("give the filter a name")
    if len(name) > MAX_FILTER_NAME:
        raise SettingError(f"a filter name is limited to {MAX_FILTER_NAME} characters")
    if len(query) > MAX_FILTER_QUERY:
        raise SettingError("this filter is too long to save")
    filters = saved_filters(actor, app, entity)
    filters.pop(name, None)
    if len(filters) >= MAX_SAVED_FILTERS:
        raise SettingError(f"at most {MAX_SAVED_FILTERS} saved filters per list; delete one first")
    filters[name] = query
    _write(actor, _key("filters", app, entity), filters)


def delete_filter(actor: Actor, app: str, entity: str, name: str) -> None:
    filters = saved_filters(actor, app, entity)
    if filters.pop(name, None) is not None:
        _write(actor, _key("filters", app, entity), filters or None)
