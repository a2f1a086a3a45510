"""First validation pass: the shape of each document, by the JSON Schemas in ``metaschema/``."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from ..core.problems import Code, Problem, pointer
from .bundle import DocType, Document
from .resources import metaschema_dir

BASE_URI = "https://stageflow.dev/metaschema/"
SUPPORTED_SCHEMA_VERSIONS = (1,)


@lru_cache(maxsize=4)
def _load_schemas(folder: str) -> tuple[Registry, dict[str, dict]]:
    schemas = {}
    for path in sorted(Path(folder).glob("*.schema.json")):
        schemas[path.name] = json.loads(path.read_text(encoding="utf-8"))
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return registry, schemas


class SchemaSet:
    """The metaschema documents with a ``referencing`` registry for their ``$ref``s."""

    def __init__(self, folder: Path | None = None):
        self.registry, self.schemas = _load_schemas(str(folder or metaschema_dir()))

    def schema(self, name: str) -> dict:
        return self.schemas[name]

    def for_type(self, doc_type: DocType) -> dict:
        return self.schemas[f"{doc_type.value}.schema.json"]

    def validator(self, schema: dict) -> Draft202012Validator:
        if "$id" not in schema:
            schema = {**schema, "$id": BASE_URI + "inline.schema.json"}
        return Draft202012Validator(schema, registry=self.registry,
                                    format_checker=Draft202012Validator.FORMAT_CHECKER)

    def errors(self, schema: dict, data: Any) -> Iterator[tuple[str, str]]:
        """Every violation as (JSON pointer, message), deepest first within a branch."""
        for error in sorted(self.validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path)):
            for leaf in _leaves(error):
                yield pointer(*leaf.absolute_path), _message(leaf)


def _leaves(error: ValidationError) -> list[ValidationError]:
    # For oneOf/anyOf, report the branch that got furthest instead of "is not valid under any".
    if error.context:
        best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.context or ())))
        deepest = [e for e in error.context if len(e.absolute_path) == len(best.absolute_path)]
        if len(best.absolute_path) > len(error.absolute_path):
            return _leaves(best)
        if len(deepest) == 1:
            return _leaves(deepest[0])
    return [error]


def _message(error: ValidationError) -> str:
    if error.validator in ("oneOf", "anyOf"):
        branches = error.validator_value
        required = [b["required"] for b in branches if isinstance(b, dict) and set(b) == {"required"}]
        if required and len(required) == len(branches):
            names = " or ".join(repr(r[0]) for r in required)
            return f"needs exactly one of {names}"
        types = [str(b.get("type")) for b in branches if isinstance(b, dict) and "type" in b]
        if types and len(types) == len(branches):
            return f"{error.instance!r} is not allowed here; expected {' or '.join(types)}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown property")
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "pattern":
        return f"{error.instance!r} does not match the pattern {error.validator_value}"
    return error.message


def check_shape(documents: list[Document], schemas: SchemaSet) -> tuple[list[Document], list[Problem]]:
    """Documents of a supported version and valid shape, and the problems of the others."""
    problems: list[Problem] = []
    good: list[Document] = []
    for doc in documents:
        if not isinstance(doc.data, dict):
            problems.append(Problem(doc.path, "", Code.SCHEMA, "a document must be a JSON object"))
            continue
        version = doc.data.get("schema_version")
        if "schema_version" not in doc.data:
            problems.append(Problem(doc.path, "/schema_version", Code.SCHEMA_VERSION,
                                    "schema_version is missing (the current format is 1)"))
            continue
        if version not in SUPPORTED_SCHEMA_VERSIONS:
            problems.append(Problem(doc.path, "/schema_version", Code.SCHEMA_VERSION,
                                    f"schema_version {version!r} is not supported "
                                    f"(supported: {', '.join(map(str, SUPPORTED_SCHEMA_VERSIONS))})"))
            continue
        found = [Problem(doc.path, at, Code.SCHEMA, message)
                 for at, message in schemas.errors(schemas.for_type(doc.type), doc.data)]
        problems.extend(found)
        if not found:
            good.append(doc)
    return good, problems
