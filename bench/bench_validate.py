"""Validating a large app bundle: 200 entities, 5,000 fields, shape + meaning + specs.

A benchmark, not a timed test. Target (foundation issue): validating a bundle with 200 entities
and 5,000 fields takes under 1 s.

    python bench/bench_validate.py                       # 200 entities x 25 fields, 7 repeats
    python bench/bench_validate.py --entities 400 --fields-per-entity 25 --repeat 3
    python bench/bench_validate.py --profile             # + cProfile of one full validation
    python bench/bench_validate.py --library-only        # shapes by the jsonschema library alone

The bundle is generated in memory: every entity has fields of many kinds (text, numbers, money,
dates, selects over choices and over handbooks, links to other entities, users, departments,
files, checklists, a child table, a computed field), a card layout and list/board views; every
fifth entity has a pipeline of five stages with required fields and an entry condition and is a
smart process under the entity before it; roles grant rights with record and field rules.
Each repeat validates fresh copies of the documents (``check_documents``: version check and
upgrade, JSON Schema shape pass, meaning pass, build of the frozen specs) and is timed as a
whole and per pass. A second measurement reads the same bundle from a folder first
(``check_bundle``). Nothing is stored; no database is needed. ``--library-only`` turns off the
compiled fast path of ``SchemaSet`` (every document and every field's options are walked by the
jsonschema library, as before that path existed), for comparison.
"""
from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "platform")]

from benchapp import machine  # noqa: E402

from stageflow.metadata import Bundle, DocType, Document, SchemaSet, check_bundle, check_documents  # noqa: E402
from stageflow.metadata.build import build_app  # noqa: E402
from stageflow.metadata.bundle import document_type  # noqa: E402
from stageflow.metadata.meaning import MeaningChecker  # noqa: E402
from stageflow.metadata.shape import check_shape  # noqa: E402
from stageflow.runtime import default_kinds  # noqa: E402

TARGET_SECONDS = 1.0
HANDBOOKS = ("city", "channel", "reason", "segment")
USERS = tuple(f"user{i}" for i in range(20))
DEPARTMENTS = ("head_office", "sales", "service", "production")
STAGES = ("new", "working", "review", "won", "lost")


def _label(text: str) -> dict[str, str]:
    return {"en": text.replace("_", " ").capitalize(), "ru": text}


def _fields(index: int, count: int) -> list[dict]:
    """``count`` fields of rotating kinds; links point at earlier entities."""
    previous = f"e{index - 1:03d}" if index else None

    def kinds(n: int) -> dict:
        rotation = [
            {"kind": "string", "required": True, "searchable": True},
            {"kind": "text"},
            {"kind": "integer", "options": {"min": 0}},
            {"kind": "decimal", "options": {"precision": 12, "scale": 3}},
            {"kind": "money"},
            {"kind": "boolean", "default": False},
            {"kind": "date"},
            {"kind": "datetime"},
            {"kind": "duration"},
            {"kind": "select", "default": "a", "options": {"choices": [
                {"value": "a", "label": _label("first"), "color": "#aa0000"},
                {"value": "b", "label": _label("second")}, {"value": "c"}]}},
            {"kind": "select", "options": {"handbook": HANDBOOKS[n % len(HANDBOOKS)]}},
            {"kind": "multiselect", "options": {"handbook": HANDBOOKS[(n + 1) % len(HANDBOOKS)]}},
            {"kind": "link", "indexed": True, "options": {"entity": previous or HANDBOOKS[0]}},
            {"kind": "user", "indexed": True},
            {"kind": "department"},
            {"kind": "email", "unique": True},
            {"kind": "phone"},
            {"kind": "url"},
            {"kind": "file", "options": {"multiple": True, "accept": [".pdf", ".docx"]}},
            {"kind": "checklist", "options": {"items": ["one", "two", "three"]}},
            {"kind": "child_table", "options": {"fields": [
                {"name": "item", "kind": "string", "required": True},
                {"name": "qty", "kind": "integer"}, {"name": "price", "kind": "money"}]}},
            {"kind": "computed", "options": {"formula": "f02 * f03 + 1", "type": "decimal"}},
        ]
        return copy.deepcopy(rotation[n % len(rotation)])

    return [{"name": f"f{n:02d}", "label": _label(f"field {n}"), **kinds(n)} for n in range(count)]


def _entity(index: int, fields_per_entity: int, with_pipeline: bool) -> dict:
    name = f"e{index:03d}"
    fields = _fields(index, fields_per_entity)
    names = [f["name"] for f in fields]
    entity = {
        "schema_version": 1, "name": name, "label": _label(name), "label_plural": _label(name + "s"),
        "title_field": "f00", "fields": fields,
        "layout": {"tabs": [
            {"name": "main", "label": _label("main"), "sections": [
                {"name": "top", "columns": 2, "fields": names[: len(names) // 2]}]},
            {"name": "more", "sections": [{"name": "rest", "fields": names[len(names) // 2:]}]}]},
        "views": {"list": {"columns": names[:5], "sort": "-f02", "page_size": 50},
                  "board": {"card_fields": names[1:4]},
                  "calendar": {"date_fields": ["f06", "created_at"], "color_field": "f09"}},
    }
    if with_pipeline and index and "f12" in names:
        entity["parent"] = {"entity": f"e{index - 1:03d}", "field": "f12"}
    return entity


def _pipeline(entity: str) -> dict:
    stages = []
    for i, stage in enumerate(STAGES):
        doc = {"name": stage, "label": _label(stage), "kind": {"won": "won", "lost": "lost"}.get(stage, "open"),
               "color": "#336699", "moves_to": [s for s in STAGES if s != stage]}
        if i == 2:
            doc["required_fields"] = ["f00", "f02"]
            doc["entry_condition"] = {"condition": {"all": [{"field": "f02", "op": "gt", "value": 0},
                                                            {"field": "f09", "op": "in", "value": ["a", "b"]}]},
                                      "message": _label("not ready")}
        stages.append(doc)
    return {"schema_version": 1, "name": f"{entity}_flow", "entity": entity, "label": _label(entity),
            "default": True, "stages": stages}


def _role(name: str, entities: list[str]) -> dict:
    grants = {}
    for i, entity in enumerate(entities):
        grant: dict = {"rights": ["read", "create", "update"]}
        if i % 2:
            grant["records"] = [{"scope": "assigned", "field": "f13"}, {"scope": "watching"},
                                {"scope": "condition", "condition": {"field": "f02", "op": "gte", "value": 10}}]
        if i % 3 == 0:
            grant["fields"] = [{"field": "f04", "access": "hidden"},
                               {"field": "f03", "access": "read_only",
                                "when": {"field": "f09", "op": "eq", "value": "c"}}]
        grants[entity] = grant
    return {"schema_version": 1, "name": name, "label": _label(name), "entities": grants}


class LibraryOnlySchemaSet(SchemaSet):
    """Shape checks by the jsonschema library alone: the compiled validator is never asked."""

    def is_valid(self, schema: dict, data) -> bool:
        return False


def bundle_documents(entities: int, fields_per_entity: int) -> dict[str, dict]:
    """The generated bundle as {relative path: document}."""
    docs: dict[str, dict] = {
        "app.json": {"schema_version": 1, "name": "big", "label": _label("big"), "version": "1.0.0",
                     "default_locale": "en", "locales": ["en", "ru"]},
        "org.json": {"schema_version": 1,
                     "departments": [{"name": d, "label": _label(d), **({"parent": "head_office"} if i else {}),
                                      "head": USERS[i], "members": list(USERS[i * 5:(i + 1) * 5])}
                                     for i, d in enumerate(DEPARTMENTS)],
                     "users": [{"username": u, "full_name": u.title(), "email": f"{u}@example.org",
                                "roles": ["worker" if i % 2 else "viewer"]} for i, u in enumerate(USERS)]},
    }
    for name in HANDBOOKS:
        docs[f"handbooks/{name}.json"] = {
            "schema_version": 1, "name": name, "label": _label(name),
            "fields": [{"name": "weight", "kind": "integer"}],
            "items": [{"code": f"c{i}", "label": _label(f"item {i}"), "weight": i} for i in range(10)]}
    names = [f"e{i:03d}" for i in range(entities)]
    for i, name in enumerate(names):
        with_pipeline = i % 5 == 0
        docs[f"entities/{name}.json"] = _entity(i, fields_per_entity, with_pipeline)
        if with_pipeline:
            docs[f"pipelines/{name}_flow.json"] = _pipeline(name)
    docs["roles/worker.json"] = _role("worker", names)
    docs["roles/viewer.json"] = _role("viewer", names[::2])
    docs["roles/admin.json"] = {"schema_version": 1, "name": "admin", "label": _label("admin"), "admin": True}
    return docs


def as_bundle(docs: dict[str, dict]) -> Bundle:
    """A fresh in-memory bundle (deep copies: validation may upgrade documents in place)."""
    return Bundle(root="<big>", documents=[Document(path, document_type(path), copy.deepcopy(data))
                                           for path, data in docs.items()])


def time_passes(docs: dict[str, dict], kinds, schemas) -> dict[str, float]:
    """Seconds of each pass of one validation, then of the whole ``check_documents``."""
    bundle = as_bundle(docs)
    started = time.perf_counter()
    good, problems = check_shape(bundle.documents, schemas)
    shaped = time.perf_counter()
    problems += MeaningChecker(bundle, good, kinds, schemas).run()
    meant = time.perf_counter()
    assert problems == [], problems[:5]
    build_app(bundle)
    built = time.perf_counter()
    bundle = as_bundle(docs)
    whole_started = time.perf_counter()
    checked = check_documents(bundle, kinds, schemas)
    whole = time.perf_counter() - whole_started
    assert checked.ok, [str(p) for p in checked.problems[:5]]
    return {"shape": shaped - started, "meaning": meant - shaped, "build": built - meant, "total": whole}


def time_from_folder(docs: dict[str, dict], kinds, schemas, folder: Path) -> float:
    for relative, data in docs.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    started = time.perf_counter()
    checked = check_bundle(folder, kinds, schemas)
    elapsed = time.perf_counter() - started
    assert checked.ok, [str(p) for p in checked.problems[:5]]
    return elapsed


def profile(docs: dict[str, dict], kinds, schemas) -> str:
    bundle = as_bundle(docs)
    profiler = cProfile.Profile()
    profiler.enable()
    check_documents(bundle, kinds, schemas)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=200)
    parser.add_argument("--fields-per-entity", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--library-only", action="store_true", help="no compiled fast path (for comparison)")
    parser.add_argument("--json", help="write the results to this file as well")
    args = parser.parse_args()

    docs = bundle_documents(args.entities, args.fields_per_entity)
    entities = [d for p, d in docs.items() if document_type(p) is DocType.ENTITY]
    field_count = sum(len(d["fields"]) for d in entities)
    kinds, schemas = default_kinds(), (LibraryOnlySchemaSet if args.library_only else SchemaSet)()
    time_passes(docs, kinds, schemas)  # warm-up: imports, schema loading, regex compilation
    runs = [time_passes(docs, kinds, schemas) for _ in range(args.repeat)]
    with tempfile.TemporaryDirectory() as folder:
        from_folder = [time_from_folder(docs, kinds, schemas, Path(folder)) for _ in range(args.repeat)]

    rows = {step: [run[step] for run in runs] for step in ("shape", "meaning", "build", "total")}
    rows["check_bundle (read the folder too)"] = from_folder
    print(f"bundle: {len(entities)} entities, {field_count} fields, {len(docs)} documents; "
          f"{args.repeat} repeats after one warm-up{'; jsonschema library only' if args.library_only else ''}")
    print(f"{'step':<36} {'mean s':>9} {'min s':>9} {'max s':>9}")
    for step, values in rows.items():
        print(f"{step:<36} {statistics.fmean(values):9.3f} {min(values):9.3f} {max(values):9.3f}")
    total = statistics.fmean(rows["total"])
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"target: full validation under {TARGET_SECONDS:.1f} s: {verdict} (mean {total:.3f} s)")
    result = {"machine": machine(), "library_only": args.library_only, "load_average": os.getloadavg(),
              "entities": len(entities), "fields": field_count,
              "documents": len(docs), "repeat": args.repeat,
              "seconds": {step: {"mean": statistics.fmean(v), "min": min(v), "max": max(v)}
                          for step, v in rows.items()}}
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.profile:
        print(profile(docs, kinds, schemas))


if __name__ == "__main__":
    main()
