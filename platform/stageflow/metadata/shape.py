"""First validation pass: the shape of each document, by the JSON Schemas in ``metaschema/``.

Documents of an older format version are upgraded first (``stageflow.metaschema.upgrades``);
a document of a newer version than this Stageflow knows is refused with its own code.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from ..core.problems import Code, Problem, pointer
from ..metaschema.upgrades import CURRENT_VERSION, OLDEST_VERSION, upgrade
from .bundle import DocType, Document
from .resources import metaschema_dir

BASE_URI = "https://stageflow.dev/metaschema/"
INLINE_URI = BASE_URI + "inline.schema.json"
SUPPORTED_SCHEMA_VERSIONS = tuple(range(OLDEST_VERSION, CURRENT_VERSION + 1))
# Compiled validators kept per schema object; a SchemaSet sees a few dozen schemas at most.
_FAST_CACHE_SIZE = 1024


@lru_cache(maxsize=4)
def _load_schemas(folder: str) -> tuple[Registry, dict[str, dict], jsonschema_rs.Registry]:
    schemas = {}
    for path in sorted(Path(folder).glob("*.schema.json")):
        schemas[path.name] = json.loads(path.read_text(encoding="utf-8"))
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    fast_registry = jsonschema_rs.Registry(resources=[(schema["$id"], schema) for schema in schemas.values()])
    return registry, schemas, fast_registry


class SchemaSet:
    """The metaschema documents with a ``referencing`` registry for their ``$ref``s.

    Validation has two engines. ``jsonschema_rs`` (compiled, about a hundred times faster)
    answers "is this valid?"; only for an invalid document does the ``jsonschema`` library walk
    it again to produce the problems, with its error tree that :func:`_leaves` reads. A valid
    document, the common case, costs one fast call.
    """

    def __init__(self, folder: Path | None = None):
        self.registry, self.schemas, self._fast_registry = _load_schemas(str(folder or metaschema_dir()))
        self._fast: dict[int, tuple[dict, Any]] = {}

    def schema(self, name: str) -> dict:
        return self.schemas[name]

    def for_type(self, doc_type: DocType) -> dict:
        return self.schemas[f"{doc_type.value}.schema.json"]

    def validator(self, schema: dict) -> Draft202012Validator:
        if "$id" not in schema:
            schema = {**schema, "$id": INLINE_URI}
        return Draft202012Validator(schema, registry=self.registry,
                                    format_checker=Draft202012Validator.FORMAT_CHECKER)

    def is_valid(self, schema: dict, data: Any) -> bool:
        """Whether ``data`` (JSON data: dicts, lists, strings, numbers, booleans, None) is valid
        under ``schema``, by the compiled validator. False for values it cannot read, so the
        library decides about them."""
        cached = self._fast.get(id(schema))
        # The cache keeps the schema object alive, so its id cannot be reused by another.
        if cached is None or cached[0] is not schema:
            if len(self._fast) >= _FAST_CACHE_SIZE:
                self._fast.clear()
            compiled = jsonschema_rs.Draft202012Validator(
                schema, registry=self._fast_registry, base_uri=schema.get("$id", INLINE_URI),
                validate_formats=True)
            cached = self._fast[id(schema)] = (schema, compiled)
        try:
            return cached[1].is_valid(data)
        except ValueError:  # a Python value that is not JSON data (a mapping proxy, a set)
            return False

    def errors(self, schema: dict, data: Any) -> list[tuple[str, str]]:
        """Every violation as (JSON pointer, message), deepest first within a branch."""
        if self.is_valid(schema, data):
            return []
        return list(self.detailed_errors(schema, data))

    def detailed_errors(self, schema: dict, data: Any) -> Iterator[tuple[str, str]]:
        """The violations as the ``jsonschema`` library finds them (no fast path)."""
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


def version_problem(doc: Document) -> Problem | None:
    """Why the document's ``schema_version`` cannot be read, or None when it can."""
    if "schema_version" not in doc.data:
        return Problem(doc.path, "/schema_version", Code.SCHEMA_VERSION,
                       f"schema_version is missing (the current format is {CURRENT_VERSION})")
    version = doc.data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        return Problem(doc.path, "/schema_version", Code.SCHEMA_VERSION,
                       f"schema_version {version!r} is not a whole number (the current format is {CURRENT_VERSION})")
    if version > CURRENT_VERSION:
        return Problem(doc.path, "/schema_version", Code.NEWER_SCHEMA_VERSION,
                       f"schema_version {version} is newer than this Stageflow supports "
                       f"(it reads versions {OLDEST_VERSION} to {CURRENT_VERSION}); upgrade Stageflow to load it")
    if version < OLDEST_VERSION:
        return Problem(doc.path, "/schema_version", Code.SCHEMA_VERSION,
                       f"schema_version {version} is not supported "
                       f"(supported: {', '.join(map(str, SUPPORTED_SCHEMA_VERSIONS))})")
    return None


def check_shape(documents: list[Document], schemas: SchemaSet) -> tuple[list[Document], list[Problem]]:
    """Documents of a supported version and valid shape, and the problems of the others.

    A document of an older version is upgraded in place (its ``data`` replaced by the upgraded
    copy): whatever stores, exports or formats the bundle afterwards writes the current format.
    """
    problems: list[Problem] = []
    good: list[Document] = []
    for doc in documents:
        if not isinstance(doc.data, dict):
            problems.append(Problem(doc.path, "", Code.SCHEMA, "a document must be a JSON object"))
            continue
        refused = version_problem(doc)
        if refused is not None:
            problems.append(refused)
            continue
        doc.data = upgrade(doc.data)
        found = [Problem(doc.path, at, Code.SCHEMA, message)
                 for at, message in schemas.errors(schemas.for_type(doc.type), doc.data)]
        problems.extend(found)
        if not found:
            good.append(doc)
    return good, problems
