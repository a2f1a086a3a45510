"""Run sources: what started a rule run. A source is logged in ``sf_rule_run.source`` and starts
every action key of the run (``<source>:<rule>:<index>``), so it must fit that column whatever
the username or rule name, and must tell apart runs that are not repeats of each other."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from ..storage.platform_tables import rule_runs

SOURCE_WIDTH = rule_runs.c.source.type.length
DIGEST = 12  # hex digits: 48 bits, ample to tell one record's presses or one rule's calls apart


def digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST]


def compact_source(kind: str, label: str, *unique: Any) -> str:
    """``<kind>:<label>:<digest of label and unique>``; a long label is cut to fit the column
    (the digest still covers all of it)."""
    room = SOURCE_WIDTH - len(kind) - DIGEST - 2
    return f"{kind}:{label[:room]}:{digest(kind, label, *unique)}"
