"""Turning input into a record's stored values: parsing, defaults, required, computed, references."""
from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ..core.fields import FieldValueError
from ..core.formula import FormulaError, parse_formula
from ..core.kinds import Kinds
from ..core.specs import PIPELINE_FIELDS, SYSTEM_FIELDS, AppSpec, EntitySpec, FieldSpec
from ..storage import platform_tables as st
from .tables import AppTables

IGNORED_INPUT = {"id", "version"}


class RecordValidationError(ValueError):
    """Input a record cannot take; ``errors`` maps each failing field to what is wrong with it."""

    def __init__(self, entity: str, errors: Mapping[str, str]):
        self.entity, self.errors = entity, dict(errors)
        super().__init__(f"{entity}: " + "; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


class RecordValues:
    """Parses and completes the values of one entity's records."""

    def __init__(self, kinds: Kinds, entity: EntitySpec):
        self.kinds, self.entity = kinds, entity
        self.by_name = {f.name: f for f in entity.fields}
        self.computed = self._computed_order()
        self.reference_fields = tuple(f for f in entity.fields if references_something(f))
        self.unique_fields = tuple(f for f in entity.fields if f.unique)
        # The pipeline and stage, given as input on entities with pipelines.
        self._stage_inputs = frozenset(PIPELINE_FIELDS[:2]) if entity.has_pipelines else frozenset()
        self._defaults: dict[str, Any] | None = None
        self._mutable_defaults = any(f.kind in ("checklist", "multiselect", "file") for f in entity.fields)

    def _computed_order(self) -> list[FieldSpec]:
        computed = {f.name: f for f in self.entity.fields if f.kind == "computed"}
        ordered: list[FieldSpec] = []
        done: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            done.add(name)
            for dep in sorted(parse_formula(computed[name].options["formula"]).names):
                if dep in computed:
                    visit(dep)
            ordered.append(computed[name])

        for name in computed:
            visit(name)
        return ordered

    def parse(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Parse every given field; all problems are raised together as one error."""
        parsed, errors = self.parse_collecting(values)
        if errors:
            raise RecordValidationError(self.entity.name, errors)
        return parsed

    def parse_collecting(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The values that parse, and what is wrong with the others."""
        if not isinstance(values, Mapping):
            raise RecordValidationError(self.entity.name, {"*": "expected an object of field values"})
        parsed: dict[str, Any] = {}
        errors: dict[str, str] = {}
        by_name, stage_inputs, kind_of = self.by_name, self._stage_inputs, self.kinds.fields.get
        for name, raw in values.items():
            if name in IGNORED_INPUT:
                continue
            if name in stage_inputs:
                parsed[name] = None if is_empty(raw) else str(raw).strip()
                continue
            spec = by_name.get(name)
            if spec is None:
                errors[name] = ("is set by the system" if name in SYSTEM_FIELDS or name in PIPELINE_FIELDS
                                else f"{self.entity.name} has no field {name!r}")
                continue
            kind = kind_of(spec.kind)
            if not kind.writable:
                errors[name] = "is computed and cannot be set"
                continue
            try:
                parsed[name] = kind.coerce(raw, spec)
            except FieldValueError as exc:
                errors[name] = str(exc)
        return parsed, errors

    def defaults(self) -> dict[str, Any]:
        """Default values of a new record (a fresh copy each time: checklists are mutable)."""
        if self._defaults is None:
            self._defaults = self._build_defaults()
        return copy.deepcopy(self._defaults) if self._mutable_defaults else dict(self._defaults)

    def _build_defaults(self) -> dict[str, Any]:
        result = {}
        for spec in self.entity.fields:
            kind = self.kinds.fields.get(spec.kind)
            if spec.default is not None and kind.writable:
                result[spec.name] = kind.coerce(spec.default, spec)
            elif spec.kind == "checklist" and spec.options.get("items"):
                result[spec.name] = [{"text": t, "done": False} for t in spec.options["items"]]
        return result

    def compute(self, record: dict[str, Any]) -> dict[str, str]:
        """Fill computed fields in dependency order, in place; returns the ones that failed."""
        errors = {}
        kind = self.kinds.fields.get("computed")
        for spec in self.computed:
            try:
                value = parse_formula(spec.options["formula"]).evaluate(record)
                record[spec.name] = None if value is None else kind.coerce(value, spec)
            except (FormulaError, FieldValueError) as exc:
                record[spec.name] = None
                errors[spec.name] = f"cannot be computed: {exc}"
        return errors

    def missing_required(self, record: Mapping[str, Any], only: set[str] | None = None) -> dict[str, str]:
        return {f.name: "is required" for f in self.entity.fields
                if f.required and (only is None or f.name in only) and is_empty(record.get(f.name))}


REFERENCE_KINDS = frozenset({"link", "user", "department", "file", "child_table"})


def references_something(spec: FieldSpec) -> bool:
    if spec.kind in ("select", "multiselect"):
        return "handbook" in spec.options
    if spec.kind == "child_table":
        return any(references_something(c) for c in spec.children)
    return spec.kind in REFERENCE_KINDS


# The stored files a value names, with what the field limits are checked against.
_FILE_ROWS = select(st.files.c.id, st.files.c.filename, st.files.c.content_type, st.files.c.size).where(
    st.files.c.id.in_(bindparam("wanted", expanding=True)))


@lru_cache(maxsize=2048)
def _lookup(column, scope_column=None):
    """A prepared 'which of these exist' query; built once per column and reused."""
    query = select(column).where(column.in_(bindparam("wanted", expanding=True)))
    if scope_column is not None:
        query = query.where(scope_column == bindparam("scope"))
    return query


class KnownValues:
    """Users, departments and handbook codes recently seen to exist, per process.

    These are deactivated rather than deleted, so a positive answer may be reused for a
    minute; record links are always checked, since records are deleted.
    """

    TTL_SECONDS = 60.0
    MAX_ENTRIES = 100_000

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._seen: dict[tuple, float] = {}

    def has(self, key: tuple) -> bool:
        expires = self._seen.get(key)
        return expires is not None and expires > self.clock()

    def add(self, keys) -> None:
        if len(self._seen) > self.MAX_ENTRIES:
            self._seen.clear()
        expires = self.clock() + self.TTL_SECONDS
        for key in keys:
            self._seen[key] = expires


class ReferenceChecker:
    """Checks that links, handbook codes, users, departments and files exist.

    Files are also checked against their field's limits (``max_size``, ``accept``) here, so
    every write path obeys them whichever way the file was stored.
    """

    def __init__(self, conn: Connection, app: AppSpec, tables: AppTables, known: KnownValues | None = None):
        self.conn, self.app, self.tables = conn, app, tables
        self.known = known or KnownValues()

    def problems(self, entity: RecordValues, values: Mapping[str, Any]) -> dict[str, str]:
        """What is wrong with the references among ``values``, by field."""
        errors: dict[str, str] = {}
        for spec in entity.reference_fields:
            value = values.get(spec.name)
            if value is None or value == []:
                continue
            message = self._check_field(entity.kinds, spec, value)
            if message:
                errors[spec.name] = message
        return errors

    def duplicates(self, entity: RecordValues, table, values: Mapping[str, Any],
                   record_id: int | None = None) -> dict[str, str]:
        """Unique fields whose value another record already holds."""
        errors = {}
        for spec in entity.unique_fields:
            value = values.get(spec.name)
            if value is None:
                continue
            query = select(table.c.id).where(table.c[spec.name] == value)
            if record_id is not None:
                query = query.where(table.c.id != record_id)
            other = self.conn.execute(query.limit(1)).scalar()
            if other is not None:
                errors[spec.name] = f"{value!s} is already used by #{other}"
        return errors

    def _missing(self, column, wanted: set, scope_column=None, scope=None, cache: bool = False) -> set:
        keys = {value: (column.table.name, column.name, scope, value) for value in wanted}
        if cache:
            wanted = {value for value in wanted if not self.known.has(keys[value])}
            if not wanted:
                return set()
        params = {"wanted": sorted(wanted)}
        if scope_column is not None:
            params["scope"] = scope
        found = set(self.conn.execute(_lookup(column, scope_column), params).scalars())
        if cache:
            self.known.add(keys[value] for value in found)
        return wanted - found

    def _check_files(self, kinds: Kinds, spec: FieldSpec, ids: list[int]) -> str | None:
        rows = {row.id: row for row in self.conn.execute(_FILE_ROWS, {"wanted": sorted(set(ids))})}
        missing = set(ids) - rows.keys()
        if missing:
            return f"file #{min(missing)} does not exist"
        kind = kinds.fields.get(spec.kind)
        for file_id in ids:
            row = rows[file_id]
            refusal = kind.refusal(spec, row.filename, row.content_type, row.size)
            if refusal:
                return refusal
        return None

    def _check_field(self, kinds: Kinds, spec: FieldSpec, value: Any) -> str | None:
        if spec.kind == "link":
            table = self.tables.main(spec.options["entity"])
            if self._missing(table.c.id, {value}):
                return f"{spec.options['entity']} #{value} does not exist"
        elif spec.kind in ("select", "multiselect") and "handbook" in spec.options:
            table = self.tables.main(spec.options["handbook"])
            codes = set(value) if isinstance(value, list) else {value}
            missing = self._missing(table.c.code, codes, cache=True)
            if missing:
                return f"{', '.join(sorted(missing))!s} is not an item of handbook {spec.options['handbook']!r}"
        elif spec.kind == "user":
            if self._missing(st.users.c.username, {value}, cache=True):
                return f"user {value!r} does not exist"
        elif spec.kind == "department":
            if self._missing(st.departments.c.name, {value}, st.departments.c.app, self.app.name, cache=True):
                return f"department {value!r} does not exist in {self.app.name}"
        elif spec.kind == "file":
            return self._check_files(kinds, spec, value)
        elif spec.kind == "child_table":
            for i, row in enumerate(value):
                for child in spec.children:
                    if row.get(child.name) is not None:
                        message = self._check_field(kinds, child, row[child.name])
                        if message:
                            return f"row {i + 1}, {child.name}: {message}"
        return None
