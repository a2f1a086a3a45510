"""`make check` picks the tests that cover a change (scripts/changed_tests.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("changed_tests", ROOT / "scripts" / "changed_tests.py")
changed_tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(changed_tests)
ALL_TESTS = {test: test.read_text(encoding="utf-8") for test in (ROOT / "tests").rglob("test_*.py")}


def covered(relative: str) -> set[str]:
    return {str(t.relative_to(ROOT)) for t in changed_tests.covering_tests(ROOT / relative, ALL_TESTS)}


def test_a_module_is_covered_by_the_tests_named_after_it_and_those_importing_it():
    found = covered("platform/stageflow/storage/platform_schema.py")
    assert "tests/storage/test_platform_schema.py" in found
    assert "tests/web/test_app.py" not in found


def test_a_changed_test_runs_itself_and_a_changed_support_file_its_folder():
    assert covered("tests/test_layers.py") == {"tests/test_layers.py"}
    assert "tests/data/test_records_crud.py" in covered("tests/data/support.py")


def test_an_app_bundle_maps_to_its_app_tests_and_the_metaschema_to_the_metadata_tests():
    assert "tests/apps/it_service/test_it_app.py" in covered("apps/it_service/app.json")
    assert "tests/metadata/test_upgrades.py" in covered("metaschema/upgrades.py")
    assert covered("ARCHITECTURE.md") == {"tests/test_layers.py", "tests/test_architecture_doc.py"}


def test_a_changed_shared_test_module_runs_the_tests_that_import_it():
    assert "tests/automation/test_engine.py" in covered("tests/support/clock.py")
