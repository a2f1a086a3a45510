"""Validating a bundle in two passes and turning it into an :class:`AppSpec`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.kinds import Kinds
from ..core.problems import MetadataError, Problem
from ..core.specs import AppSpec
from .build import build_app
from .bundle import Bundle, DocType, Document, read_bundle
from .meaning import MeaningChecker
from .rule_checks import check_rules
from .shape import SchemaSet, check_shape


@dataclass
class CheckedBundle:
    bundle: Bundle
    problems: list[Problem]
    app: AppSpec | None

    @property
    def ok(self) -> bool:
        return not self.problems


def check_documents(bundle: Bundle, kinds: Kinds, schemas: SchemaSet,
                    problems: list[Problem] | None = None) -> CheckedBundle:
    """Shape, then meaning; specs are built only when both passes are clean."""
    problems = list(problems or [])
    good, shape_problems = check_shape(bundle.documents, schemas)
    problems += shape_problems
    # The meaning pass runs over shape-valid documents even when others failed, so one
    # run reports every problem it can.
    problems += MeaningChecker(bundle, good, kinds, schemas).run()
    app = build_app(bundle) if not problems else None
    rules = [d for d in good if d.type is DocType.RULE]
    # Rules are checked against the specs of the other documents when those are sound.
    rule_problems = list(check_rules(rules, app, kinds, schemas))
    if rule_problems:
        problems += rule_problems
        app = None
    return CheckedBundle(bundle, sorted(problems), app)


def check_bundle(path: Path | str, kinds: Kinds, schemas: SchemaSet | None = None) -> CheckedBundle:
    problems: list[Problem] = []
    bundle = read_bundle(path, problems)
    return check_documents(bundle, kinds, schemas or SchemaSet(), problems)


def load_app_spec(path: Path | str, kinds: Kinds, schemas: SchemaSet | None = None) -> tuple[AppSpec, Bundle]:
    """The app spec of a bundle folder, or :class:`MetadataError` with every problem."""
    checked = check_bundle(path, kinds, schemas)
    if not checked.ok:
        raise MetadataError(checked.problems)
    return checked.app, checked.bundle


def bundle_from_documents(root: str, documents: list[Document], assets: dict[str, bytes]) -> Bundle:
    return Bundle(root=root, documents=documents, assets=dict(assets))
