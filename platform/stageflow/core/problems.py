"""Problems found in metadata or input, each with a stable code and a place.

A problem prints as ``path/to/file.json:/json/pointer: CODE message`` so that an editor,
a CI log and the builder UI can all point at the exact spot.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """Stable problem codes; tests and tools match on these, never on the message."""

    JSON_SYNTAX = "json_syntax"
    SCHEMA = "schema"
    SCHEMA_VERSION = "schema_version"
    NEWER_SCHEMA_VERSION = "newer_schema_version"
    MISSING_MANIFEST = "missing_manifest"
    UNKNOWN_DOCUMENT = "unknown_document"
    NAME_MISMATCH = "name_mismatch"
    DUPLICATE_NAME = "duplicate_name"
    RESERVED_NAME = "reserved_name"
    UNKNOWN_KIND = "unknown_kind"
    KIND_OPTIONS = "kind_options"
    UNKNOWN_ENTITY = "unknown_entity"
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_HANDBOOK = "unknown_handbook"
    UNKNOWN_STAGE = "unknown_stage"
    UNKNOWN_USER = "unknown_user"
    UNKNOWN_DEPARTMENT = "unknown_department"
    UNKNOWN_ROLE = "unknown_role"
    UNKNOWN_OPERATOR = "unknown_operator"
    UNKNOWN_REPORT = "unknown_report"
    BAD_VALUE = "bad_value"
    FORMULA_SYNTAX = "formula_syntax"
    CYCLE = "cycle"
    DEFAULT_PIPELINE = "default_pipeline"
    BAD_REFERENCE = "bad_reference"
    SEED = "seed"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    pointer: str
    code: Code
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.pointer or '/'}: {self.code.value} {self.message}"


class MetadataError(Exception):
    """Metadata was refused; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def pointer(*parts: object) -> str:
    """Build a JSON Pointer (RFC 6901) from path parts."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)
