"""Meaning checks of rules: entities, pipelines, trigger and action kinds with their options,
and the names conditions read. Runs once the app's other documents have become specs, so the
kinds can check fields, stages, users and departments against them."""
from __future__ import annotations

from collections.abc import Iterator

from ..core.kinds import Kinds
from ..core.problems import Code, Problem, pointer
from ..core.specs import AppSpec
from ..core.system_fields import rule_names
from .bundle import Document
from .shape import SchemaSet


def _options(kind_name: str, options: dict, schema: dict, schemas: SchemaSet, path: str, at: str) -> list[Problem]:
    return [Problem(path, at + where, Code.KIND_OPTIONS, f"{kind_name} options: {message}")
            for where, message in schemas.errors(schema, options)]


def check_rules(rules: list[Document], app: AppSpec | None, kinds: Kinds, schemas: SchemaSet) -> Iterator[Problem]:
    """Every problem of every rule; with ``app`` None only what needs no other document."""
    for doc in rules:
        data, path = doc.data, doc.path
        entities = []
        for i, name in enumerate(data["entities"]):
            if app is None:
                continue
            entity = app.entities.get(name)
            if entity is None:
                yield Problem(path, pointer("entities", i), Code.UNKNOWN_ENTITY, f"{name!r} is not an entity of this app")
            else:
                entities.append(entity)
        for i, name in enumerate(data.get("pipelines", ())):
            if app is not None and not any(p.name == name for e in entities for p in e.pipelines):
                yield Problem(path, pointer("pipelines", i), Code.UNKNOWN_ENTITY,
                              f"{name!r} is not a pipeline of {', '.join(data['entities'])}")
        parts = [("/trigger", data["trigger"], kinds.triggers)]
        parts += [(pointer("actions", i), action, kinds.actions) for i, action in enumerate(data["actions"])]
        for at, options, registry in parts:
            kind_name = options["kind"]
            if kind_name not in registry:
                yield Problem(path, at + "/kind", Code.UNKNOWN_KIND,
                              f"unknown {registry.what} {kind_name!r}; known: {', '.join(registry.names())}")
                continue
            kind = registry.get(kind_name)
            bad = _options(kind_name, options, kind.options_schema, schemas, path, at)
            yield from bad
            if bad:
                continue
            for entity in entities:
                for where, message, *code in kind.check(options, entity, app):
                    yield Problem(path, f"{at}/{where}", code[0] if code else Code.BAD_REFERENCE, message)
        conditions = [(at, data[key] if key == "condition" else data["trigger"][key])
                      for at, key in (("/condition", "condition"), ("/trigger/before", "before"))
                      if key in (data if key == "condition" else data["trigger"])]
        inbound = data["trigger"]["kind"] == "webhook"
        for entity in entities:
            names = rule_names(entity)

            def known(name: str, names=names, inbound=inbound) -> bool:
                return name in names or (inbound and name.startswith("payload."))
            for at, tree in conditions:
                for where, code, message in kinds.conditions.problems(tree, known, at):
                    yield Problem(path, where, code, message)
                for where, name in _references(tree, at):
                    if not known(name):
                        yield Problem(path, where, Code.UNKNOWN_FIELD, f"{name!r} is not a name this rule can read")


def _references(tree, at: str) -> Iterator[tuple[str, str]]:
    """Every ``{"ref": name}`` operand of a condition tree, with its pointer."""
    if isinstance(tree, dict):
        if set(tree) == {"ref"} and isinstance(tree["ref"], str):
            yield at + "/ref", tree["ref"]
            return
        for key, value in tree.items():
            yield from _references(value, at + pointer(key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _references(value, at + pointer(index))
