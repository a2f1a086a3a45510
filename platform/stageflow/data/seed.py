"""Loading an app's demo data (``seed/<entity>.csv``) through the record service.

Rows go in without automation (like an import of old records, BK33). An ``id`` column names
a row inside the seed so that link columns of other files can point at it; links are mapped
to the real ids as files load in dependency order.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import func, select

from ..core.problems import Code, MetadataError, Problem
from ..core.specs import AppSpec
from ..security import SYSTEM
from ..storage.database import write_transaction
from .record_values import RecordValidationError
from .records import RecordService
from .stages import StageMoveRefused

JSON_KINDS = {"checklist", "child_table"}


def _order(app: AppSpec, entities: list[str]) -> list[str]:
    """Entities so that every link target present in the seed loads first."""
    ordered: list[str] = []

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered or name in trail:
            return
        for spec in app.entities[name].fields:
            target = spec.options.get("entity") if spec.kind == "link" else None
            if target in entities and target != name:
                visit(target, trail + (name,))
        ordered.append(name)

    for name in sorted(entities):
        visit(name, ())
    return ordered


def load_seed(records: RecordService, app: AppSpec, seed_files: dict[str, bytes]) -> dict[str, int]:
    """Insert every seed row in one transaction; any bad row refuses the whole seed."""
    by_entity = {path.split("/")[-1][:-4]: data for path, data in seed_files.items()}
    problems = [Problem(f"seed/{name}.csv", "", Code.SEED, f"{name!r} is not an entity of {app.name}")
                for name in by_entity if name not in app.entities]
    if problems:
        raise MetadataError(problems)
    ids: dict[str, dict[str, int]] = {}
    counts: dict[str, int] = {}
    with write_transaction(records.db) as conn:
        for name in _order(app, list(by_entity)):
            table = records.catalog.context(app.name, name).table
            if conn.execute(select(func.count()).select_from(table)).scalar_one():
                continue  # seed only empty entities, so a second demo start adds nothing
            entity = app.entities[name]
            text = by_entity[name].decode("utf-8-sig")
            ids[name] = {}
            for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
                seed_id = row.pop("id", None)
                values: dict[str, Any] = {}
                for column, cell in row.items():
                    if cell is None or cell == "":
                        continue
                    spec = entity.field(column) if entity.has_field(column) else None
                    if spec is not None and spec.kind == "link":
                        target = spec.options["entity"]
                        cell = ids.get(target, {}).get(cell, cell)
                    elif spec is not None and spec.kind in JSON_KINDS:
                        try:
                            cell = json.loads(cell)
                        except json.JSONDecodeError as exc:
                            problems.append(Problem(f"seed/{name}.csv", f"/{line}/{column}", Code.SEED,
                                                    f"line {line}: {column}: invalid JSON: {exc.msg}"))
                            continue
                    values[column] = cell
                try:
                    created = records.create(SYSTEM, app.name, name, values, automation=False,
                                             historical=True, conn=conn)
                except (RecordValidationError, StageMoveRefused) as exc:
                    problems.append(Problem(f"seed/{name}.csv", f"/{line}", Code.SEED, f"line {line}: {exc}"))
                    continue
                if seed_id:
                    ids[name][seed_id] = created["id"]
                counts[name] = counts.get(name, 0) + 1
        if problems:
            raise MetadataError(problems[:50])
    return counts
