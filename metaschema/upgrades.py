"""Upgrading metadata documents written in an older version of the format.

Every document carries ``schema_version``. When the format changes, the version goes up by one
and a pure function ``migrate_N_to_N1(doc)`` is added here: it takes one document of version N
(of any document type) and returns a new document of version N+1, leaving its input untouched.
Validation applies them in order before the JSON Schema pass, so an app exported years ago still
loads, and what is stored and exported afterwards is always the current format.

Version 0 is the pre-release format: a field named its kind ``type`` (``{"name": "amount",
"type": "money"}``); version 1 calls it ``kind``, because ``type`` also names the result type of
a computed field (``options.type``) and the two were easy to confuse.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

CURRENT_VERSION = 1
OLDEST_VERSION = 0

Document = dict[str, Any]


def _rename_key(obj: dict, old: str, new: str) -> dict:
    """``obj`` with key ``old`` renamed to ``new`` in the same position."""
    return {(new if key == old else key): value for key, value in obj.items()}


def _upgrade_fields_0_to_1(fields: Any) -> Any:
    if not isinstance(fields, list):
        return fields
    upgraded = []
    for field in fields:
        if isinstance(field, dict) and "type" in field and "kind" not in field:
            field = _rename_key(field, "type", "kind")
        if isinstance(field, dict) and isinstance(field.get("options"), dict) and "fields" in field["options"]:
            # The columns of a child table are fields too.
            field = {**field, "options": {**field["options"],
                                          "fields": _upgrade_fields_0_to_1(field["options"]["fields"])}}
        upgraded.append(field)
    return upgraded


def migrate_0_to_1(doc: Document) -> Document:
    """Fields (of entities, handbooks and child tables) name their kind ``kind``, not ``type``.

    A field that already has a ``kind`` keeps its ``type`` as it is, so the shape pass reports it.
    """
    out = copy.deepcopy(doc)
    if "fields" in out:
        out["fields"] = _upgrade_fields_0_to_1(out["fields"])
    out["schema_version"] = 1
    return out


# MIGRATIONS[N] turns a document of version N into one of version N+1.
MIGRATIONS: dict[int, Callable[[Document], Document]] = {0: migrate_0_to_1}


def upgrade(doc: Document) -> Document:
    """``doc`` (of a version from OLDEST_VERSION to CURRENT_VERSION) in the current format."""
    version = doc["schema_version"]
    if not OLDEST_VERSION <= version <= CURRENT_VERSION:
        raise ValueError(f"cannot upgrade schema_version {version!r}")
    while version < CURRENT_VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
    return doc
