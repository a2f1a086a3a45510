"""The app as a whole: its demo data goes in without firing any rule (the seed is historical,
BK33), and the README says which rule implements which requirement."""
from __future__ import annotations

import json
import re
import shutil

from sqlalchemy import func, select

from stageflow.runtime import create_stageflow
from stageflow.storage import platform_tables as st

from .support import BUNDLE, ItApp


def test_it_rules_do_not_fire_on_the_seed_import(seeded, tmp_path, clock):
    path = tmp_path / "raw.db"
    shutil.copyfile(seeded.raw, path)
    sf = create_stageflow(f"sqlite:///{path}", files_dir=tmp_path / "files", clock=clock)
    try:
        app = ItApp(sf, clock)
        assert app.run() >= sum(seeded.counts.values())  # every seed event went through the dispatcher
        clock.advance(days=400)  # no timer waits either: old contracts' end dates are long past by then
        app.run()
        with sf.db.connect() as conn:
            for table in (st.rule_runs, st.action_runs, st.timers, st.messages):
                assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0, table.name
        assert len(app.find("task")) == seeded.counts["task"] == 141
        assert len(app.find("document")) == seeded.counts["document"]
    finally:
        sf.close()


def test_it_readme_names_every_rule_and_the_requirement_it_serves():
    readme = (BUNDLE / "README.md").read_text(encoding="utf-8")
    rules = sorted(p.stem for p in (BUNDLE / "rules").glob("*.json"))
    assert len(rules) >= 30
    for name in rules:
        assert f"`{name}`" in readme, f"README.md does not mention rule {name}"
        doc = json.loads((BUNDLE / "rules" / f"{name}.json").read_text(encoding="utf-8"))
        assert doc.get("enabled", True) is True, name
    for requirement in ("IT02", "IT05", "IT06", "IT07"):
        assert re.search(rf"\| {requirement} \|", readme), requirement
