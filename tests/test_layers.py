"""Layers run one way: each package imports only the packages below it (ARCHITECTURE.md, "Layers").

The table here and the one in ARCHITECTURE.md must agree; an import that the table does not allow
fails with the module and line that made it. Every package also imports on its own in a fresh
interpreter, so no import order hides a cycle.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "platform" / "stageflow"
# Folders at the root mapped into the package (pyproject.toml): their Python is checked too.
MAPPED = {ROOT / "builder_ui": "stageflow.builder_ui"}

# What each part of the engine may import (besides itself). The top-level modules are
# composition roots: they assemble the layers, so they sit above them.
BELOW_WEB = {"core", "metaschema", "metadata", "storage", "security", "data", "automation"}
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "metaschema": set(),
    "builder_ui": set(),
    "metadata": {"core", "metaschema"},
    "storage": {"core"},
    "security": {"core", "storage"},
    "data": {"core", "metadata", "storage", "security"},
    "automation": {"core", "metadata", "storage", "security", "data"},
    "runtime": set(BELOW_WEB),
    "web": {"core", "metadata", "security", "data", "automation", "runtime", "builder_ui"},
    "celery_worker": {"automation", "runtime"},
    "demo": BELOW_WEB | {"runtime"},
    "cli": BELOW_WEB | {"runtime", "web", "demo", "celery_worker"},
}
# Only the composition roots import inside functions, to load a heavy part only when it runs (the
# web app, Celery): nothing below imports them, so no cycle can hide there. Anywhere else a local
# import hides a cycle.
LOCAL_IMPORTS_ALLOWED = {"cli", "runtime", "demo", "celery_worker"}


def _part(module: str) -> str:
    """``stageflow.data.records`` -> ``data``; ``stageflow.runtime`` -> ``runtime``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(package root)"


def _module_name(path: Path) -> str:
    for folder, package in MAPPED.items():
        if path.is_relative_to(folder):
            parts = [*package.split("."), *path.relative_to(folder).with_suffix("").parts]
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(line, imported module, inside a function or class) of every import of our package."""
    name, tree = _module_name(path), ast.parse(path.read_text(encoding="utf-8"))
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    nested: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            nested.update(n for n in ast.walk(node) if n is not node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                module = ".".join(anchor + ([node.module] if node.module else []))
                # `from . import x` names submodules: each is an import of its own.
                targets = [f"{module}.{a.name}" for a in node.names] if not node.module else [module]
            else:
                targets = [node.module or ""]
        else:
            continue
        for target in targets:
            if target == "stageflow" or target.startswith("stageflow."):
                yield node.lineno, target, node in nested


def _sources() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(p for folder in MAPPED for p in folder.rglob("*.py"))])


def test_the_table_of_layers_is_the_one_in_architecture_md():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("<!-- layers -->")[1]
    documented = {}
    for row in re.findall(r"^\| `([a-z_]+)` \| ([^|]*) \|", section, re.MULTILINE):
        part, allowed = row
        documented[part] = set(re.findall(r"`([a-z_]+)`", allowed))
    assert documented == ALLOWED


def test_every_import_goes_down_the_layers():
    wrong = []
    for path in _sources():
        here = _part(_module_name(path))
        for line, target, _nested in _imports(path):
            there = _part(target)
            if there != here and here in ALLOWED and there not in ALLOWED[here]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {here} may not import {target}")
        assert here in ALLOWED or here == "(package root)", f"{path}: add {here!r} to the table of layers"
    assert wrong == []


def test_no_local_import_hides_a_cycle():
    local = [f"{path.relative_to(ROOT)}:{line}: {target}"
             for path in _sources() if _part(_module_name(path)) not in LOCAL_IMPORTS_ALLOWED
             for line, target, nested in _imports(path) if nested]
    assert local == []


@pytest.mark.parametrize("part", sorted(p for p in ALLOWED if p != "metaschema"))
def test_each_part_imports_on_its_own_in_a_fresh_interpreter(part):
    result = subprocess.run([sys.executable, "-c", f"import stageflow.{part}"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
