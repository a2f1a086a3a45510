"""What changed between two versions of an app's configuration, as people read it.

Pure: two mappings of bundle path -> document (or -> file bytes, for templates) in, a list of :class:`DocumentChange` out. Within a
document, lists of named things (fields, stages, handbook items, choices, users, departments) are
matched by their name, so a field inserted in the middle reads "fields › price added" rather
than every later field "changed", and a reordering reads as one "order changed". Every change
names where it is with a path of names (``fields › price › label › en``) and carries short
renderings of the value before and after.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The keys that name an item of a list, tried in this order; a list is matched by the first key
# every item of both versions has, with no repeats.
_IDENTITY_KEYS = ("name", "username", "value", "field", "path")
# A value is shown in a diff as at most this many characters of its JSON.
SHOWN_CHARACTERS = 160


@dataclass(frozen=True)
class ItemChange:
    """One change inside a document: ``where`` is a path of keys and item names."""
    where: tuple[str, ...]
    change: str  # "added", "removed", "changed", "order changed"
    before: str | None = None
    after: str | None = None


@dataclass
class DocumentChange:
    path: str
    change: str  # "added", "removed", "changed"
    items: list[ItemChange] = field(default_factory=list)


def shown(value: Any) -> str:
    """A short rendering of a JSON value for a diff line."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS - 1] + "…"


def diff_versions(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[DocumentChange]:
    """The documents added, removed and changed from ``old`` to ``new``, in path order."""
    changes = []
    for path in sorted(set(old) | set(new)):
        if path not in old:
            changes.append(DocumentChange(path, "added"))
        elif path not in new:
            changes.append(DocumentChange(path, "removed"))
        elif old[path] != new[path]:
            changes.append(DocumentChange(path, "changed", diff_values(old[path], new[path])))
    return changes


def diff_assets(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> list[DocumentChange]:
    """The files beside the documents (document templates) added, removed and changed."""
    return [DocumentChange(path, "added" if path not in old else "removed" if path not in new else "changed")
            for path in sorted(set(old) | set(new)) if old.get(path) != new.get(path)]


def diff_values(old: Any, new: Any, where: tuple[str, ...] = ()) -> list[ItemChange]:
    """The changes from ``old`` to ``new``, one per smallest differing part."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[ItemChange] = []
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                found.append(ItemChange((*where, key), "removed", before=shown(old[key])))
            elif key not in old:
                found.append(ItemChange((*where, key), "added", after=shown(new[key])))
            else:
                found += diff_values(old[key], new[key], (*where, key))
        return found
    if isinstance(old, list) and isinstance(new, list):
        key = _identity_key(old, new)
        if key is not None:
            return _diff_named_items(old, new, key, where)
    return [ItemChange(where, "changed", before=shown(old), after=shown(new))]


def _identity_key(old: list[Any], new: list[Any]) -> str | None:
    items = old + new
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in _IDENTITY_KEYS:
        if all(isinstance(item.get(key), str | int) and not isinstance(item.get(key), bool) for item in items):
            names_old, names_new = [i[key] for i in old], [i[key] for i in new]
            if len(set(names_old)) == len(names_old) and len(set(names_new)) == len(names_new):
                return key
    return None


def _diff_named_items(old: list[dict[str, Any]], new: list[dict[str, Any]], key: str,
                      where: tuple[str, ...]) -> list[ItemChange]:
    before = {str(item[key]): item for item in old}
    after = {str(item[key]): item for item in new}
    found: list[ItemChange] = []
    for name, item in before.items():
        if name not in after:
            found.append(ItemChange((*where, name), "removed", before=shown(item)))
    for name, item in after.items():
        if name not in before:
            found.append(ItemChange((*where, name), "added", after=shown(item)))
        else:
            found += diff_values(before[name], item, (*where, name))
    kept_old = [name for name in before if name in after]
    kept_new = [name for name in after if name in before]
    if kept_old != kept_new:
        found.append(ItemChange(where, "order changed", before=", ".join(kept_old), after=", ".join(kept_new)))
    return found
