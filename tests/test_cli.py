"""The stageflow command line: validate, load, export, fmt, create-admin, backup and restore."""
from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageflow.cli import main
from tests.bundle_edit import EditableBundle


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result


def same_tree(left: Path, right: Path) -> bool:
    def files(root: Path) -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    if files(left) != files(right):
        return False
    return all((left / f).read_bytes() == (right / f).read_bytes() for f in files(left))


def config_files(bundle: Path, target: Path) -> Path:
    """The configuration part of a bundle (what export writes): no seed, no README."""
    for path in bundle.rglob("*"):
        relative = path.relative_to(bundle)
        if path.is_file() and relative.parts[0] not in ("seed", "README.md"):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_bytes(path.read_bytes())
    return target


def test_validate_ok_prints_a_summary(mini_bundle):
    result = run("validate", mini_bundle)
    assert "ok" in result.output and "app mini 1.0.0, 3 entities, 2 pipelines, 3 roles" in result.output


def test_validate_reports_every_problem_with_path_pointer_and_code(mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    bundle.edit("entities/deal.json", lambda d: d["fields"][1].update(options={"entity": "ghost"}))
    bundle.edit("pipelines/sales.json", lambda d: d["stages"][1].update(required_fields=["nope"]))
    result = run("validate", bundle.root, ok=False)
    lines = result.output.strip().splitlines()
    assert f"{bundle.root.as_posix()}/entities/deal.json:/fields/1/options/entity: unknown_entity" in lines[0]
    assert any("pipelines/sales.json:/stages/1/required_fields/0: unknown_field" in line for line in lines)


def test_load_export_round_trips_byte_identical(mini_bundle, tmp_path):
    db = f"sqlite:///{tmp_path}/a.db"
    assert "revision 1" in run("load", mini_bundle, "--db", db).output
    run("export", "mini", "-o", tmp_path / "out", "--db", db)
    assert same_tree(tmp_path / "out", mini_bundle)


@pytest.mark.parametrize("app", ["bankruptcy_crm", "it_service", "production"])
def test_sample_app_load_then_export_is_byte_identical(repo_root, tmp_path, app):
    db = f"sqlite:///{tmp_path}/a.db"
    run("load", repo_root / "apps" / app, "--db", db)
    run("export", app, "-o", tmp_path / "out", "--db", db)
    assert same_tree(tmp_path / "out", config_files(repo_root / "apps" / app, tmp_path / "expected"))


def test_load_of_a_bad_bundle_exits_1_and_lists_problems(mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    bundle.edit("roles/seller.json", lambda d: d["entities"]["deal"]["fields"][0].update(field="ghost"))
    result = run("load", bundle.root, "--db", f"sqlite:///{tmp_path}/a.db", ok=False)
    assert "roles/seller.json:/entities/deal/fields/0/field: unknown_field" in result.output


def test_load_refuses_a_lossy_change_with_a_clear_message(mini_bundle, tmp_path):
    db = f"sqlite:///{tmp_path}/a.db"
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    run("load", bundle.root, "--db", db, "--seed")
    from stageflow.runtime import create_stageflow
    sf = create_stageflow(db, files_dir=tmp_path / "f")
    sf.records.create(sf.system, "mini", "client", {"full_name": "A"})
    sf.close()
    bundle.edit("entities/client.json", lambda d: d["fields"][0].update(kind="date"))
    result = run("load", bundle.root, "--db", db, ok=False)
    assert "refused: field 'full_name'" in result.output


def test_fmt_check_and_rewrite(mini_bundle, tmp_path):
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    data = bundle.read("entities/client.json")
    data["fields"][0]["unique"] = False  # a default: canonical form leaves it out
    (bundle.root / "entities/client.json").write_text(json.dumps(data), encoding="utf-8")
    result = run("fmt", bundle.root, "--check", ok=False)
    assert "not canonical: entities/client.json" in result.output
    run("fmt", bundle.root)
    run("fmt", bundle.root, "--check")
    assert filecmp.cmp(bundle.root / "entities/client.json", mini_bundle / "entities/client.json", shallow=False)


def test_create_admin_refuses_a_short_password(tmp_path):
    result = CliRunner().invoke(main, ["create-admin", "root", "--password", "short", "--db",
                                       f"sqlite:///{tmp_path}/a.db"])
    assert result.exit_code == 1 and "at least 8 characters" in result.output
    ok = CliRunner().invoke(main, ["create-admin", "root", "--password", "long enough", "--db",
                                   f"sqlite:///{tmp_path}/a.db"])
    assert ok.exit_code == 0 and "created administrator root" in ok.output


def test_database_url_comes_from_the_environment(mini_bundle, tmp_path, monkeypatch):
    monkeypatch.setenv("STAGEFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    run("load", mini_bundle)
    assert (tmp_path / "env.db").exists()


def test_pl23_backup_and_restore_commands_give_identical_exports(mini_bundle, tmp_path):
    source, target = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    run("load", mini_bundle, "--db", source, "--seed")
    run("backup", "-o", tmp_path / "backup.zip", "--db", source)
    assert "restored" in run("restore", tmp_path / "backup.zip", "--db", target).output
    run("export", "mini", "-o", tmp_path / "one", "--db", source)
    run("export", "mini", "-o", tmp_path / "two", "--db", target)
    assert same_tree(tmp_path / "one", tmp_path / "two")
    refused = run("restore", tmp_path / "backup.zip", "--db", target, ok=False)
    assert "needs an empty database" in refused.output
