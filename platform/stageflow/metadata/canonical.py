"""Canonical form of metadata documents: the schema's key order, defaults left out.

A consultant's diff of two exports shows only what changed: keys come in the order the schema
lists its properties, a property equal to its schema default is omitted, JSON is indented by
two spaces, UTF-8, with a trailing newline.
"""
from __future__ import annotations

import json
from typing import Any

from ..core.kinds import Kinds
from .shape import BASE_URI, SchemaSet

FIELD_SCHEMA_ID = BASE_URI + "field.schema.json"


class Canonicalizer:
    def __init__(self, schemas: SchemaSet, kinds: Kinds):
        self.schemas, self.kinds = schemas, kinds

    def document(self, data: Any, schema: dict) -> Any:
        return self._walk(data, schema, self.schemas.registry.resolver(schema.get("$id", BASE_URI)))

    def dumps(self, data: Any, schema: dict) -> str:
        return json.dumps(self.document(data, schema), ensure_ascii=False, indent=2) + "\n"

    def _resolve(self, schema: Any, resolver):
        while isinstance(schema, dict) and "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            schema, resolver = resolved.contents, resolved.resolver
        return schema, resolver

    def _branch(self, data: Any, schema: dict) -> dict:
        # Pick the oneOf/anyOf branch whose required keys the data has, for key order.
        for key in ("oneOf", "anyOf"):
            for branch in schema.get(key, ()):
                if isinstance(branch, dict) and "properties" in branch and isinstance(data, dict) \
                        and set(branch.get("required", ())) <= set(data):
                    return branch
        return schema

    def _walk(self, data: Any, schema: Any, resolver) -> Any:
        schema, resolver = self._resolve(schema, resolver)
        if not isinstance(schema, dict):
            return data
        schema = self._branch(data, schema)
        if isinstance(data, dict):
            return self._object(data, schema, resolver)
        if isinstance(data, list) and "items" in schema:
            return [self._walk(item, schema["items"], resolver) for item in data]
        return data

    def _object(self, data: dict, schema: dict, resolver) -> dict:
        props = schema.get("properties", {})
        out: dict[str, Any] = {}
        for key in props:
            if key not in data:
                continue
            sub, sub_resolver = self._resolve(props[key], resolver)
            value = self._walk(data[key], sub, sub_resolver)
            if key == "options" and schema.get("$id") == FIELD_SCHEMA_ID:
                value = self._options(data.get("kind"), value)
            if isinstance(sub, dict) and "default" in sub and value == sub["default"]:
                continue
            out[key] = value
        extra = schema.get("additionalProperties")
        for key, value in data.items():
            if key not in props:
                out[key] = self._walk(value, extra, resolver) if isinstance(extra, dict) else value
        return out

    def _options(self, kind_name: Any, options: Any) -> Any:
        if kind_name not in self.kinds.fields or not isinstance(options, dict):
            return options
        schema = dict(self.kinds.fields.get(kind_name).options_schema)
        schema.setdefault("$id", BASE_URI + f"options-{kind_name}.schema.json")
        return self._walk(options, schema, self.schemas.registry.resolver(schema["$id"]))
