"""Self-contained JSON Schemas for the builder's forms, made from the metaschema and the kinds.

The builder renders its forms with a JSON-Schema form library in the browser, which cannot follow
the metaschema's references between files. Each form schema here has every ``$ref`` inlined; a
reference back into itself (the condition tree) becomes a local ``#/definitions/...`` entry,
which form libraries follow. A field's form is the field schema with ``options`` replaced by its
kind's ``options_schema``, and triggers and actions get theirs the same way: a kind registered
tomorrow shows its options in the builder with no builder code.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from ..core.kinds import Kinds
from .bundle import DocType
from .shape import SchemaSet

# Keywords whose values are data, never schemas: copied as they are.
_DATA_KEYWORDS = frozenset({"const", "default", "enum", "examples", "required"})
# Keywords of the schema files themselves, meaningless inside one form schema.
_FILE_KEYWORDS = frozenset({"$schema", "$id", "$defs"})
# Keywords whose values map names (of properties, say "default") to schemas.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})


class _Inliner:
    """Inlines the ``$ref``s of one form schema, collecting recursive targets as definitions."""

    def __init__(self, schemas: dict[str, dict]):
        self.schemas = schemas
        self.definitions: dict[str, Any] = {}
        self._open: list[str] = []  # the references being inlined, outermost first

    def inline(self, node: Any, file: str) -> Any:
        if isinstance(node, list):
            return [self.inline(item, file) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return self._inline_ref(node, file)
        return {key: self._inline_keyword(key, value, file) for key, value in node.items()
                if key not in _FILE_KEYWORDS}

    def _inline_keyword(self, key: str, value: Any, file: str) -> Any:
        if key in _DATA_KEYWORDS:
            return value
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            # A property that takes anything (``true``) is an empty schema: form libraries want objects.
            return {name: {} if schema is True else self.inline(schema, file) for name, schema in value.items()}
        return self.inline(value, file)

    def _inline_ref(self, node: dict, file: str) -> dict:
        target_file, target, key = self._resolve(node["$ref"], file)
        name = _definition_name(key)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if key in self._open:  # a reference back into itself: point at the definition
            self.definitions.setdefault(name, None)
            return {"$ref": f"#/definitions/{name}", **rest}
        self._open.append(key)
        body = self.inline(target, target_file)
        self._open.pop()
        if name in self.definitions and self.definitions[name] is None:
            self.definitions[name] = body
        return {**body, **self.inline(rest, file)}

    def _resolve(self, ref: str, file: str) -> tuple[str, Any, str]:
        ref_file, _, fragment = ref.partition("#")
        target_file = ref_file.rsplit("/", 1)[-1] or file
        target: Any = self.schemas[target_file]
        for token in (t for t in fragment.split("/") if t):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        return target_file, target, f"{target_file}#{fragment}"

    def finish(self, schema: dict) -> dict:
        if self.definitions:
            schema["definitions"] = self.definitions
        return schema


def _definition_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", key.replace(".schema.json", "")).strip("_")


def _form(schemas: SchemaSet, schema: dict, file: str) -> dict:
    inliner = _Inliner(schemas.schemas)
    return inliner.finish(inliner.inline(copy.deepcopy(schema), file))


def document_form_schema(schemas: SchemaSet, doc_type: DocType) -> dict:
    """The form schema of one document type (``entity``, ``pipeline``...)."""
    file = f"{doc_type.value}.schema.json"
    return _form(schemas, schemas.schema(file), file)


def _with_options(schemas: SchemaSet, base_file: str, kind: str, options_schema: dict) -> dict:
    """``base_file``'s schema with ``kind`` fixed and ``options`` replaced by ``options_schema``."""
    base = copy.deepcopy(schemas.schema(base_file))
    properties = base.setdefault("properties", {})
    properties["kind"] = {"type": "string", "const": kind, "default": kind}
    properties["options"] = {**copy.deepcopy(options_schema), "title": "options"}
    return _form(schemas, base, base_file)


def field_form_schema(schemas: SchemaSet, kinds: Kinds, kind: str) -> dict:
    """The form of a field of ``kind``: the field schema with the kind's own options."""
    return _with_options(schemas, "field.schema.json", kind, kinds.fields.get(kind).options_schema)


def _kind_forms(schemas: SchemaSet, registry: Any) -> dict[str, dict]:
    """Each registered trigger or action kind's options as a form schema."""
    return {name: _form(schemas, {**copy.deepcopy(getattr(registry.get(name), "options_schema", {})),
                                  "title": name}, "rule.schema.json")
            for name in registry.names()}


def builder_forms(schemas: SchemaSet, kinds: Kinds) -> dict[str, Any]:
    """Every form the builder renders: one per document type, one per field kind, and the
    options of each trigger and action kind."""
    return {
        "documents": {t.value: document_form_schema(schemas, t) for t in DocType},
        "field_kinds": {name: field_form_schema(schemas, kinds, name) for name in kinds.fields.names()},
        "triggers": _kind_forms(schemas, kinds.triggers),
        "actions": _kind_forms(schemas, kinds.actions),
    }
