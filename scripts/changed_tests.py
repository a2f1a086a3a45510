"""Print the test files that cover what changed, for `make check` (the inner loop; CI runs all).

What changed: the files that differ from ``BASE`` (default ``HEAD``: uncommitted work), plus new
untracked files. A test file covers a change when it is the change, sits in a changed test
folder's support, names the changed module after ``test_``, or imports the changed module. An
app bundle maps to its tests under ``tests/apps/<app>``; the metaschema to ``tests/metadata``;
ARCHITECTURE.md to the tests that hold it to the code.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
PACKAGE_ROOT = ROOT / "platform"


def changed_files(base: str) -> list[Path]:
    def git(*args: str) -> list[str]:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()

    names = git("diff", "--name-only", base, "--") + git("ls-files", "--others", "--exclude-standard")
    return sorted({ROOT / name for name in names if (ROOT / name).exists()})


def _test_files(folder: Path) -> set[Path]:
    return set(folder.rglob("test_*.py")) if folder.is_dir() else set()


def _importers(relative: Path, all_tests: dict[Path, str]) -> set[Path]:
    """The test files importing the module at ``relative`` (a path below a source root)."""
    module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
    parent, stem = module.rpartition(".")[0], module.rpartition(".")[2]
    pattern = re.compile(rf"\b{re.escape(module)}\b|from {re.escape(parent)} import [^\n]*\b{stem}\b")
    return {test for test, source in all_tests.items() if pattern.search(source)}


def covering_tests(path: Path, all_tests: dict[Path, str]) -> set[Path]:
    relative = path.relative_to(ROOT)
    if relative.parts[0] == "tests":
        if path.name.startswith("test_"):
            return {path}
        # A shared helper: its folder's tests, and those of every test folder importing it or its package.
        helpers = {f: f.read_text(encoding="utf-8") for f in TESTS.rglob("*.py") if not f.name.startswith("test_")}
        users = _importers(relative, {**all_tests, **helpers})
        if path.parent != TESTS:
            users |= _importers(path.parent.relative_to(ROOT) / "__init__.py", {**all_tests, **helpers})
        found = _test_files(path.parent)
        for user in users:
            found |= {user} if user.name.startswith("test_") else _test_files(user.parent)
        return found
    if relative.parts[0] == "apps" and len(relative.parts) > 1:
        return _test_files(TESTS / "apps" / relative.parts[1]) or _test_files(TESTS / "apps")
    if relative == Path("ARCHITECTURE.md"):  # its layers table and module names are tested
        return {TESTS / "test_layers.py", TESTS / "test_architecture_doc.py"}
    if relative.parts[0] == "metaschema":
        return _test_files(TESTS / "metadata")
    if relative.parts[0] != "platform" or path.suffix != ".py":
        return set()
    module = ".".join(path.relative_to(PACKAGE_ROOT).with_suffix("").parts).removesuffix(".__init__")
    stem = module.rsplit(".", 1)[-1]
    found = {test for test in all_tests if test.stem.startswith(f"test_{stem}")} | _importers(
        path.relative_to(PACKAGE_ROOT), all_tests)
    if not found and len(module.split(".")) > 2:
        found = _test_files(TESTS / module.split(".")[1])
    return found


def main(base: str = "HEAD") -> int:
    all_tests = {test: test.read_text(encoding="utf-8") for test in TESTS.rglob("test_*.py")}
    selected = set()
    for path in changed_files(base):
        selected |= covering_tests(path, all_tests)
    for test in sorted(selected):
        print(test.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
