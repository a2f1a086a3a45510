"""Reading an app bundle (a folder of JSON documents and assets) into memory."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..core.problems import Code, Problem


class DocType(StrEnum):
    APP = "app"
    ORG = "org"
    ENTITY = "entity"
    HANDBOOK = "handbook"
    PIPELINE = "pipeline"
    ROLE = "role"
    RULE = "rule"
    REPORT = "report"
    DASHBOARD = "dashboard"
    TEMPLATE = "template"
    FORM = "form"


SINGLE_DOCUMENTS = {"app.json": DocType.APP, "org.json": DocType.ORG}
FOLDERS = {
    "entities": DocType.ENTITY, "handbooks": DocType.HANDBOOK, "pipelines": DocType.PIPELINE,
    "roles": DocType.ROLE, "rules": DocType.RULE, "reports": DocType.REPORT,
    "dashboards": DocType.DASHBOARD, "templates": DocType.TEMPLATE, "forms": DocType.FORM,
}
# Binary files that belong to the configuration (document templates).
ASSET_SUFFIXES = {".docx"}
IGNORED = {"README.md", "seed"}


@dataclass
class Document:
    path: str  # relative to the bundle root, with forward slashes
    type: DocType
    data: Any


@dataclass
class Bundle:
    """The raw content of one app bundle, before validation."""

    root: str
    documents: list[Document] = field(default_factory=list)
    assets: dict[str, bytes] = field(default_factory=dict)
    seed: dict[str, bytes] = field(default_factory=dict)

    def of_type(self, doc_type: DocType) -> list[Document]:
        return [d for d in self.documents if d.type is doc_type]

    @property
    def manifest(self) -> Document | None:
        found = self.of_type(DocType.APP)
        return found[0] if found else None


def document_type(relative: str) -> DocType | None:
    """Which document a bundle path holds, or None when nothing belongs there."""
    if relative in SINGLE_DOCUMENTS:
        return SINGLE_DOCUMENTS[relative]
    folder, _, name = relative.partition("/")
    if "/" not in name and name.endswith(".json"):
        return FOLDERS.get(folder)
    return None


def parse_document(relative: str, raw: bytes, problems: list[Problem]) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(relative, "", Code.JSON_SYNTAX, "file is not UTF-8 text"))
    except json.JSONDecodeError as exc:
        problems.append(Problem(relative, "", Code.JSON_SYNTAX,
                                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"))
    return None


def read_bundle(root: Path | str, problems: list[Problem]) -> Bundle:
    """Read every file of a bundle; unreadable or misplaced files become problems."""
    root = Path(root)
    bundle = Bundle(root=str(root))
    if not root.is_dir():
        problems.append(Problem(str(root), "", Code.MISSING_MANIFEST, "is not a folder"))
        return bundle
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        top = relative.split("/", 1)[0]
        if top in IGNORED or top.startswith("."):
            if top == "seed" and path.suffix == ".csv":
                bundle.seed[relative] = path.read_bytes()
            continue
        if path.suffix in ASSET_SUFFIXES and top == "templates":
            bundle.assets[relative] = path.read_bytes()
            continue
        doc_type = document_type(relative)
        if doc_type is None:
            problems.append(Problem(relative, "", Code.UNKNOWN_DOCUMENT,
                                    "is not a place for a document in a bundle "
                                    "(expected app.json, org.json or <folder>/<name>.json in "
                                    + ", ".join(FOLDERS) + ")"))
            continue
        data = parse_document(relative, path.read_bytes(), problems)
        if data is not None:
            bundle.documents.append(Document(relative, doc_type, data))
    if bundle.manifest is None:
        problems.append(Problem("app.json", "", Code.MISSING_MANIFEST, "the bundle has no app.json"))
    return bundle
