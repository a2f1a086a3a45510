"""The builder's live validation: checking a draft while an administrator types (PL24).

A benchmark, not a timed test. Target (builder issue): the check the builder runs on every edit
answers in under 300 ms on the largest sample app.

    python bench/bench_builder_validation.py                  # the largest sample app, 30 runs
    python bench/bench_builder_validation.py --app bankruptcy_crm --runs 100
    python bench/bench_builder_validation.py --profile        # + cProfile of the valid check

It installs a sample app (by default the one with the most bytes of documents) into a SQLite
file in a temp folder, opens a draft with the system actor, and times
``DraftService.check(actor, app, path, data)`` on the app's largest entity: once with one more
valid field, once with a field of a kind nobody registered (a problem found by the meaning
pass), once with a field whose name breaks the name pattern (a shape problem, which the
jsonschema library walks again for its messages). Two raw baselines run in the same loop,
interleaved: the compiled JSON Schema validation of the one edited document, and
``json.dumps`` + ``json.loads`` of every document of the draft (what any stateless check has to
receive and parse). Nothing is published; the temp folder goes away at the end.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "platform")]

from benchapp import machine, summary, write_result  # noqa: E402

from stageflow.metadata import DocType, check_documents, read_bundle  # noqa: E402
from stageflow.metadata.editing import bundle_with_documents  # noqa: E402
from stageflow.metadata.resources import sample_app_paths  # noqa: E402
from stageflow.runtime import create_stageflow  # noqa: E402

TARGET_MS = 300.0
NEW_FIELD = {"name": "bench_extra", "kind": "string", "label": "Bench extra"}
UNKNOWN_KIND_FIELD = {"name": "bench_unknown", "kind": "bench_no_such_kind", "label": "Bench unknown"}
BAD_NAME_FIELD = {"name": "Bench bad name", "kind": "string", "label": "Bench bad name"}


def app_sizes() -> dict[str, tuple[int, int]]:
    """Every sample app's (documents, bytes of compact JSON) as the installer would read them."""
    sizes = {}
    for folder in sample_app_paths():
        bundle = read_bundle(folder, [])
        sizes[folder.name] = (len(bundle.documents),
                              sum(len(json.dumps(doc.data, ensure_ascii=False)) for doc in bundle.documents))
    return sizes


def largest_entity(documents: dict) -> str:
    entities = [path for path in documents if path.startswith("entities/")]
    return max(entities, key=lambda path: len(json.dumps(documents[path], ensure_ascii=False)))


def with_field(doc: dict, field: dict) -> dict:
    return {**doc, "fields": [*doc["fields"], field]}


def timed(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def profile_text(call: Callable[[], object], repeat: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def run(app_folder: Path, runs: int, warmup: int, profile: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="sf_bench_") as tmp:
        sf = create_stageflow(f"sqlite:///{tmp}/builder.db", files_dir=Path(tmp) / "files")
        try:
            actor = sf.system
            install_seconds, installed = timed(lambda: sf.install(app_folder))
            app = installed.app
            draft = sf.drafts.open(actor, app)
            path = largest_entity(draft.documents)
            entity = draft.documents[path]
            edits = {"valid": with_field(entity, NEW_FIELD),
                     "unknown_kind": with_field(entity, UNKNOWN_KIND_FIELD),
                     "bad_name": with_field(entity, BAD_NAME_FIELD)}
            entity_schema = sf.schemas.for_type(DocType.ENTITY)
            base = sf.catalog.get(app).bundle
            valid_documents = {**draft.documents, path: edits["valid"]}

            cases: dict[str, Callable[[], object]] = {
                f"check: {name}": (lambda data=data: sf.drafts.check(actor, app, path, data))
                for name, data in edits.items()}
            # The check minus reading the draft and the catalog: the validation itself.
            cases["check_documents alone (valid edit, in memory)"] = lambda: check_documents(
                bundle_with_documents(base, app, valid_documents), sf.kinds, sf.schemas).problems
            cases["raw: jsonschema_rs, the one edited document"] = lambda: sf.schemas.is_valid(
                entity_schema, edits["valid"])
            cases["raw: json.dumps + json.loads of every document"] = lambda: json.loads(
                json.dumps(valid_documents))

            problems = {name: [str(p) for p in cases[f"check: {name}"]()]
                        for name in edits}
            assert not problems["valid"], problems["valid"]
            assert problems["unknown_kind"] and problems["bad_name"], problems
            assert cases["raw: jsonschema_rs, the one edited document"]() is True

            for _ in range(warmup):
                for call in cases.values():
                    call()
            samples: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(runs):  # interleaved, so drift on a shared machine hits every case
                for name, call in cases.items():
                    samples[name].append(timed(call)[0])
            profiled = profile_text(cases["check: valid"], max(5, runs // 3)) if profile else None
        finally:
            sf.close()
    stats = {name: summary(seconds) for name, seconds in samples.items()}
    check_p50 = stats["check: valid"]["p50_ms"]
    return {"app": app, "documents": len(draft.documents),
            "document_bytes": len(json.dumps(draft.documents, ensure_ascii=False)),
            "entity_path": path, "entity_fields": len(entity["fields"]),
            "entity_bytes": len(json.dumps(entity, ensure_ascii=False)),
            "install_seconds": install_seconds, "runs": runs, "stats": stats, "problems": problems,
            "ratio_p50_to_jsonschema_rs": check_p50 / stats["raw: jsonschema_rs, the one edited document"]["p50_ms"],
            "ratio_p50_to_json_roundtrip": check_p50 / stats["raw: json.dumps + json.loads of every document"]["p50_ms"],
            "target_ms": TARGET_MS,
            "met": all(stats[f"check: {name}"]["p95_ms"] < TARGET_MS for name in edits),
            "profile": profiled}


def print_report(r: dict, sizes: dict[str, tuple[int, int]]) -> None:
    for name, (docs, size) in sorted(sizes.items()):
        print(f"sample app {name:16} {docs:4} documents, {size / 1024:6.1f} KiB")
    print(f"app {r['app']}: {r['documents']} documents, {r['document_bytes'] / 1024:.1f} KiB, installed in "
          f"{r['install_seconds']:.2f} s; edited {r['entity_path']} ({r['entity_fields']} fields, "
          f"{r['entity_bytes'] / 1024:.1f} KiB); {r['runs']} runs per case")
    print(f"{'case':50} {'mean ms':>9} {'p50 ms':>9} {'p95 ms':>9}")
    for name, s in r["stats"].items():
        print(f"{name:50} {s['mean_ms']:9.3f} {s['p50_ms']:9.3f} {s['p95_ms']:9.3f}")
    print(f"check (valid) p50 / jsonschema_rs p50: {r['ratio_p50_to_jsonschema_rs']:.0f}x; "
          f"/ JSON round trip p50: {r['ratio_p50_to_json_roundtrip']:.1f}x")
    print(f"target p95 < {r['target_ms']:.0f} ms for every check: {'met' if r['met'] else 'MISSED'}")
    for name, found in r["problems"].items():
        if found:
            print(f"{name}: {len(found)} problem(s), first: {found[0]}")
    if r["profile"]:
        print(r["profile"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", help="sample app name or a bundle folder (default: the largest sample app)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per case (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per case first (default 3)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the valid check")
    parser.add_argument("--json", help="write the machine-readable results to this file")
    args = parser.parse_args(argv)
    sizes = app_sizes()
    samples = {folder.name: folder for folder in sample_app_paths()}
    if args.app is None:
        folder = samples[max(sizes, key=lambda name: sizes[name][1])]
    else:
        folder = samples.get(args.app) or Path(args.app)
    report = run(folder, args.runs, args.warmup, args.profile)
    print_report(report, sizes)
    result = {"benchmark": "builder_validation", "date": dt.date.today().isoformat(), "machine": machine(),
              "sample_apps": {name: {"documents": d, "bytes": b} for name, (d, b) in sizes.items()},
              **{k: v for k, v in report.items() if k != "profile"}}
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
