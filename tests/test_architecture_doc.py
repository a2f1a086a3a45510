"""ARCHITECTURE.md names every module of the engine, and every module it names exists."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "platform" / "stageflow"
LAYOUT_ROW = re.compile(r"^\| (`platform/stageflow/[^|]*) \| (.*) \|$", re.MULTILINE)


def _layout() -> dict[Path, set[str]]:
    """Each package folder of the layout table with the module names its row gives."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows: dict[Path, set[str]] = {}
    for paths, holds in LAYOUT_ROW.findall(text):
        for path in re.findall(r"`platform/stageflow/([^`]*)`", paths):
            if path.endswith("/"):
                rows[PACKAGE / path] = {name.rstrip("/") for name in re.findall(r"`([a-z_]+/?)`", holds)}
            else:
                rows.setdefault(PACKAGE, set()).add(Path(path).stem)
    return rows


def test_every_module_is_named_in_the_layout():
    rows = _layout()
    packages = {PACKAGE} | {init.parent for init in PACKAGE.rglob("__init__.py")}
    missing = []
    for package in sorted(packages):
        named = rows.get(package)
        assert named is not None or package == PACKAGE, f"ARCHITECTURE.md has no row for {package.relative_to(ROOT)}/"
        for module in package.glob("*.py"):
            if module.stem != "__init__" and module.stem not in (named or set()):
                missing.append(str(module.relative_to(ROOT)))
    assert missing == []


def test_every_module_the_layout_names_exists():
    unknown = [f"{package.relative_to(ROOT)}/{name}" for package, names in _layout().items() for name in names
               if not (package / f"{name}.py").exists() and not (package / name / "__init__.py").exists()]
    assert unknown == []
