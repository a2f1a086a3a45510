"""Where the metaschema and the sample apps live: package data when installed, the checkout otherwise."""
from __future__ import annotations

import importlib.util
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[3]


def _package_dir(package: str, checkout_dir: str) -> Path:
    # metaschema/ is a regular package (it holds the upgrade functions), apps/ a namespace
    # package; either way the spec's search locations name the real folder.
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return _CHECKOUT / checkout_dir


def metaschema_dir() -> Path:
    return _package_dir("stageflow.metaschema", "metaschema")


def sample_apps_dir() -> Path:
    return _package_dir("stageflow.sample_apps", "apps")


def sample_app_paths() -> list[Path]:
    return sorted(p for p in sample_apps_dir().iterdir() if (p / "app.json").is_file())
