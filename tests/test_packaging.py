"""The wheel ships the engine, the metaschema and the sample apps, and they are found when installed.

metaschema/ and apps/ live outside platform/ and are mapped into the wheel as the packages
``stageflow.metaschema`` and ``stageflow.sample_apps`` (see ``[tool.setuptools]`` in
pyproject.toml). The wheel is built once per module from a copy of the checkout, so the build
leaves nothing (build/, *.egg-info) in the working tree.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

DATA_SUFFIXES = {".json", ".csv", ".md", ".docx"}
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    "node_modules", "*.db", "instance", "var", "tmp",
)


@pytest.fixture(scope="module")
def wheel_path(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the project's wheel (``pip wheel --no-deps``) from a copy of the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(repo_root, source, ignore=_NOT_SOURCES, symlinks=True)
    out = work / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, f"pip wheel failed:\n{done.stdout}\n{done.stderr}"
    wheels = list(out.glob("stageflow-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_names(wheel_path: Path) -> set[str]:
    with zipfile.ZipFile(wheel_path) as wheel:
        return set(wheel.namelist())


def _app_dirs(repo_root: Path) -> list[Path]:
    return sorted(p for p in (repo_root / "apps").glob("*") if (p / "app.json").is_file())


def test_wheel_ships_metaschema(repo_root: Path, wheel_names: set[str]) -> None:
    assert "stageflow/metaschema/entity.schema.json" in wheel_names
    for schema in (repo_root / "metaschema").glob("*.schema.json"):
        assert f"stageflow/metaschema/{schema.name}" in wheel_names
    # The upgrade functions of older formats are code beside the schemas.
    assert {"stageflow/metaschema/__init__.py", "stageflow/metaschema/upgrades.py"} <= wheel_names


def test_wheel_ships_every_sample_app(repo_root: Path, wheel_names: set[str]) -> None:
    for app in _app_dirs(repo_root):
        assert f"stageflow/sample_apps/{app.name}/app.json" in wheel_names


def test_wheel_ships_every_sample_app_file(repo_root: Path, wheel_names: set[str]) -> None:
    """JSON, seed CSV, README and .docx templates at any depth of apps/<app>/."""
    apps = repo_root / "apps"
    expected = {
        f"stageflow/sample_apps/{path.relative_to(apps).as_posix()}"
        for path in apps.rglob("*")
        if path.is_file() and path.suffix in DATA_SUFFIXES and "__pycache__" not in path.parts
    }
    assert sorted(expected - wheel_names) == []
    if any(apps.rglob("*.csv")):
        assert any(n.startswith("stageflow/sample_apps/") and n.endswith(".csv") for n in wheel_names)


def test_wheel_ships_every_engine_module(repo_root: Path, wheel_names: set[str]) -> None:
    """The package list in pyproject.toml is explicit: a new subpackage must be added there."""
    source = repo_root / "platform"
    expected = {
        path.relative_to(source).as_posix()
        for path in (source / "stageflow").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    missing = sorted(expected - wheel_names)
    assert missing == [], f"add their packages to [tool.setuptools] packages: {missing}"


def test_wheel_has_no_platform_package(wheel_path: Path, wheel_names: set[str]) -> None:
    """A top-level ``platform`` package would shadow the standard library's ``platform``."""
    assert not any(n == "platform/__init__.py" or n.startswith("platform/") for n in wheel_names)
    top_level = next(n for n in wheel_names if n.endswith(".dist-info/top_level.txt"))
    with zipfile.ZipFile(wheel_path) as wheel:
        assert wheel.read(top_level).decode().split() == ["stageflow"]


def test_installed_wheel_finds_its_data(
    repo_root: Path, wheel_path: Path, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Installed (not editable), the resources come from the package, not from a checkout."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel_path)],
        check=True, capture_output=True, timeout=300,
    )
    probe = textwrap.dedent(f"""
        import importlib.resources, json, sys
        sys.path.insert(0, {str(target)!r})
        import stageflow
        from stageflow.metadata import resources
        print(json.dumps({{
            "package": stageflow.__file__,
            "files": sorted(p.name for p in importlib.resources.files("stageflow.metaschema").iterdir()),
            "apps_listed": sorted(p.name for p in importlib.resources.files("stageflow.sample_apps").iterdir()),
            "metaschema_dir": str(resources.metaschema_dir()),
            "sample_apps": [str(p) for p in resources.sample_app_paths()],
        }}))
    """)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=target,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    installed = target / "stageflow"

    assert Path(found["package"]).is_relative_to(installed)
    assert "entity.schema.json" in found["files"]
    app_names = [app.name for app in _app_dirs(repo_root)]
    assert set(app_names) <= set(found["apps_listed"])
    assert Path(found["metaschema_dir"]) == installed / "metaschema"
    assert [Path(p) for p in found["sample_apps"]] == [installed / "sample_apps" / n for n in app_names]


def _venv_with_wheel(wheel_path: Path, root: Path) -> Path:
    """A new venv at ``root`` with the wheel installed, its dependencies borrowed from this one.

    ``--system-site-packages`` shares the base interpreter's packages; a ``.pth`` line adds the
    running environment's site-packages after the venv's own (as a plain path, so its ``.pth``
    hooks, such as an editable install of this checkout, stay off). Nothing is downloaded.
    """
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True).create(root)
    python = root / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True, timeout=60).stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "zz_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", str(wheel_path)], capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
    return site


def test_installed_wheel_validates_its_bundled_sample_app_from_outside_the_checkout(
    repo_root: Path, wheel_path: Path, tmp_path: Path,
) -> None:
    """The console script of a wheel installed in a fresh venv checks the sample app it ships."""
    site = _venv_with_wheel(wheel_path, tmp_path / "venv")
    bundled = site / "stageflow" / "sample_apps" / "bankruptcy_crm"
    assert (bundled / "app.json").is_file()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    where = subprocess.run([tmp_path / "venv" / "bin" / "python", "-c", "import stageflow; print(stageflow.__file__)"],
                           capture_output=True, text=True, timeout=60, cwd=outside, env=env)
    assert Path(where.stdout.strip()) == site / "stageflow" / "__init__.py", where.stderr
    done = subprocess.run([tmp_path / "venv" / "bin" / "stageflow", "validate", str(bundled)],
                          capture_output=True, text=True, timeout=120, cwd=outside, env=env)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert done.stdout.startswith(f"ok {bundled}: app bankruptcy_crm ")
    assert not outside.is_relative_to(repo_root) and list(outside.iterdir()) == []
