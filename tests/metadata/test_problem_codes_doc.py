"""The docs list every problem code once, with its meaning, and no code that does not exist."""
from __future__ import annotations

import re
from pathlib import Path

from stageflow.core import Code

DOC = Path(__file__).resolve().parents[2] / "docs" / "metadata-format.md"
ROW = re.compile(r"^\|\s*`(?P<code>[a-z_]+)`\s*\|\s*(?P<meaning>[^|].*?)\s*\|\s*$")


def documented_codes() -> list[tuple[str, str]]:
    """(code, meaning) for each row of the table under the "Problem codes" heading."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Problem codes\n", 1)[1].split("\n## ", 1)[0]
    return [(m["code"], m["meaning"]) for m in map(ROW.match, section.splitlines()) if m]


def test_the_problem_codes_table_lists_every_code_of_the_enum_once():
    rows = documented_codes()
    codes = [code for code, _ in rows]
    assert len(codes) == len(set(codes)), "a code is listed twice"
    assert set(codes) == {c.value for c in Code}


def test_every_documented_code_has_a_meaning():
    for code, meaning in documented_codes():
        assert len(meaning) > 10, code
