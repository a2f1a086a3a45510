"""Copying a fixture bundle to a temporary folder and editing its documents, for tests."""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any


class EditableBundle:
    def __init__(self, source: Path, target: Path):
        shutil.copytree(source, target)
        self.root = target

    def read(self, relative: str) -> Any:
        return json.loads((self.root / relative).read_text(encoding="utf-8"))

    def write(self, relative: str, data: Any) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def edit(self, relative: str, change: Callable[[Any], None]) -> None:
        data = self.read(relative)
        change(data)
        self.write(relative, data)

    def field(self, entity: str, name: str) -> dict:
        return next(f for f in self.read(f"entities/{entity}.json")["fields"] if f["name"] == name)
