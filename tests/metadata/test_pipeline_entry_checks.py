"""``entry_from`` of a stage: checked by both passes with exact pointers, and built into specs
(hardening: gates on every move; PL04 pipelines and allowed moves, PL06 stage gates)."""
from __future__ import annotations

import pytest

from stageflow.core.specs import StageEntry
from stageflow.metadata import SchemaSet, check_bundle
from stageflow.runtime import default_kinds
from tests.bundle_edit import EditableBundle

CLAIMS = "pipelines/claims.json"


@pytest.fixture(scope="module")
def kinds():
    return default_kinds()


@pytest.fixture(scope="module")
def schemas():
    return SchemaSet()


def checked_with(mini_bundle, tmp_path, kinds, schemas, entries, stage: int = 1):
    """The mini bundle with ``entries`` as ``entry_from`` of claims' stage ``stage`` (1: fixed),
    and a pipeline of the client entity beside the deal's."""
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.write("pipelines/onboarding.json", {"schema_version": 1, "name": "onboarding", "entity": "client",
                                               "label": "Onboarding", "stages": [{"name": "met", "label": "Met"}]})
    bundle.edit(CLAIMS, lambda doc: doc["stages"][stage].update(entry_from=entries))
    return check_bundle(bundle.root, kinds, schemas)


def triples(checked) -> set[tuple[str, str, str]]:
    return {(p.path, p.pointer, p.code.value) for p in checked.problems}


def test_hardening_pl04_entry_from_builds_into_the_stage_spec(mini_bundle, tmp_path, kinds, schemas):
    """hardening: gates on every move (PL04): declared entries reach the spec; an undeclared
    stage has None, so the default (the first stage only) applies."""
    checked = checked_with(mini_bundle, tmp_path, kinds, schemas,
                           [{"pipeline": "sales", "stages": ["won", "refused"]}, {"pipeline": "sales"}])
    assert checked.ok, checked.problems
    claims = checked.app.entity("deal").pipeline("claims")
    assert claims.stage("fixed").entry_from == (StageEntry("sales", ("won", "refused")), StageEntry("sales", None))
    assert claims.stage("received").entry_from is None
    assert [s.name for s in claims.entry_stages("sales", "won")] == ["received", "fixed"]
    assert [s.name for s in claims.entry_stages("sales", "new")] == ["received", "fixed"]
    assert [s.name for s in claims.entry_stages(None, None)] == ["received"]


@pytest.mark.parametrize("entries, expected", [
    ([{"pipeline": "support"}], {("pipelines/claims.json", "/stages/1/entry_from/0/pipeline", "bad_reference")}),
    ([{"pipeline": "onboarding"}], {("pipelines/claims.json", "/stages/1/entry_from/0/pipeline", "bad_reference")}),
    ([{"pipeline": "claims", "stages": ["received"]}],
     {("pipelines/claims.json", "/stages/1/entry_from/0/pipeline", "bad_reference")}),
    ([{"pipeline": "sales", "stages": ["won", "fixed"]}, {"pipeline": "sales", "stages": ["lost"]}],
     {("pipelines/claims.json", "/stages/1/entry_from/0/stages/1", "unknown_stage"),
      ("pipelines/claims.json", "/stages/1/entry_from/1/stages/0", "unknown_stage")}),
    ([{"stages": ["won"]}], {("pipelines/claims.json", "/stages/1/entry_from/0", "schema")}),
    ([{"pipeline": "sales", "stages": []}], {("pipelines/claims.json", "/stages/1/entry_from/0/stages", "schema")}),
    ([{"pipeline": "sales", "stage": "won"}], {("pipelines/claims.json", "/stages/1/entry_from/0", "schema")}),
], ids=["unknown_pipeline", "pipeline_of_another_entity", "own_pipeline", "unknown_stages", "no_pipeline",
        "empty_stages", "unknown_key"])
def test_hardening_pl04_entry_from_problems_name_their_pointer(mini_bundle, tmp_path, kinds, schemas,
                                                                entries, expected):
    """hardening: gates on every move (PL04): every pipeline and stage ``entry_from`` names must
    exist (another pipeline of the same entity, a stage of it), each problem with its pointer."""
    checked = checked_with(mini_bundle, tmp_path, kinds, schemas, entries)
    assert triples(checked) == expected
    assert checked.app is None


def test_hardening_pl04_entry_from_messages_say_what_is_wrong(mini_bundle, tmp_path, kinds, schemas):
    """hardening: gates on every move (PL04): the messages name the pipeline, entity and stage."""
    checked = checked_with(mini_bundle, tmp_path, kinds, schemas,
                           [{"pipeline": "onboarding"}, {"pipeline": "claims"}, {"pipeline": "sales", "stages": ["lost"]}],
                           stage=0)
    assert sorted(str(p) for p in checked.problems) == [
        "pipelines/claims.json:/stages/0/entry_from/0/pipeline: bad_reference 'onboarding' is not a pipeline of 'deal'",
        "pipelines/claims.json:/stages/0/entry_from/1/pipeline: bad_reference 'claims' is this stage's own pipeline; "
        "moves inside it follow 'moves_to'",
        "pipelines/claims.json:/stages/0/entry_from/2/stages/0: unknown_stage 'lost' is not a stage of pipeline 'sales'",
    ]
