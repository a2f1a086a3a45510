"""A user's own list settings per entity: chosen columns in order and named saved filters."""
from __future__ import annotations

from typing import Any

from ...data.user_settings import read_setting, write_setting
from ...storage.database import read_connection, write_transaction
from ..security import stageflow_engine

MAX_SAVED_FILTERS = 50
MAX_FILTER_NAME = 80
MAX_FILTER_QUERY = 4000


class SettingError(ValueError):
    """A setting that cannot be stored; the message says why."""


def _key(kind: str, app: str, entity: str) -> str:
    return f"list.{kind}:{app}.{entity}"


def _read(username: str, key: str, default: Any) -> Any:
    with read_connection(stageflow_engine().db) as conn:
        return read_setting(conn, username, key, default)


def _write(username: str, key: str, value: Any) -> None:
    engine = stageflow_engine()
    with write_transaction(engine.db) as conn:
        write_setting(conn, username, key, value, engine.clock())


def saved_columns(username: str, app: str, entity: str) -> list[str] | None:
    value = _read(username, _key("columns", app, entity), None)
    return [str(v) for v in value] if isinstance(value, list) else None


def save_columns(username: str, app: str, entity: str, names: list[str] | None) -> None:
    """Store the column order; ``None`` or an empty list goes back to the entity's defaults."""
    _write(username, _key("columns", app, entity), list(dict.fromkeys(names)) if names else None)


def saved_filters(username: str, app: str, entity: str) -> dict[str, str]:
    """name -> the filter's query string, in the order they were saved."""
    value = _read(username, _key("filters", app, entity), {})
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def save_filter(username: str, app: str, entity: str, name: str, query: str) -> None:
    name = name.strip()
    if not name:
        raise SettingError("give the filter a name")
    if len(name) > MAX_FILTER_NAME:
        raise SettingError(f"a filter name is limited to {MAX_FILTER_NAME} characters")
    if len(query) > MAX_FILTER_QUERY:
        raise SettingError("this filter is too long to save")
    filters = saved_filters(username, app, entity)
    filters.pop(name, None)
    if len(filters) >= MAX_SAVED_FILTERS:
        raise SettingError(f"at most {MAX_SAVED_FILTERS} saved filters per list; delete one first")
    filters[name] = query
    _write(username, _key("filters", app, entity), filters)


def delete_filter(username: str, app: str, entity: str, name: str) -> None:
    filters = saved_filters(username, app, entity)
    if filters.pop(name, None) is not None:
        _write(username, _key("filters", app, entity), filters or None)
