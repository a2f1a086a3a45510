"""Pipelines and stage gates: where a record may go, and what it needs before it goes (PL04, PL06).

A gate is a registered class with ``check(move)`` that returns the reason a move is refused,
or None. The record service runs every gate on every path (screens, API, import, robots).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..core.registry import Registry
from ..core.specs import EntitySpec, PipelineSpec, StageSpec, label_text
from .record_values import is_empty


class StageMoveRefused(Exception):
    """A stage move a gate refused; the message explains why in the user's terms."""

    def __init__(self, message: str, fields: tuple[str, ...] = ()):
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True)
class StageMove:
    entity: EntitySpec
    pipeline: PipelineSpec
    stage: StageSpec
    from_pipeline: PipelineSpec | None
    from_stage: StageSpec | None
    record: Mapping[str, Any]
    # matches(condition, record) over stored values; count_open(rule, record) counts linked records.
    matches: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None
    count_open: Callable[[Mapping[str, Any], Mapping[str, Any]], int] | None = None
    # The engine itself (robots, imports) moves: see PipelineEntryGate.
    by_engine: bool = False

    @property
    def within_pipeline(self) -> bool:
        return self.from_pipeline is not None and self.from_pipeline.name == self.pipeline.name


class StageGate:
    kind: ClassVar[str]

    def check(self, move: StageMove) -> StageMoveRefused | None:
        raise NotImplementedError


class AllowedMovesGate(StageGate):
    """A stage's ``moves_to`` lists where a record may go next inside the pipeline."""

    kind = "allowed_moves"

    def check(self, move):
        source = move.from_stage
        if move.within_pipeline and source and source.moves_to is not None \
                and move.stage.name not in source.moves_to and move.stage.name != source.name:
            allowed = ", ".join(label_text(move.pipeline.stage(s).label, "en") for s in source.moves_to) or "nowhere"
            return StageMoveRefused(
                f"cannot move from {label_text(source.label, 'en')!r} to "
                f"{label_text(move.stage.label, 'en')!r}; allowed: {allowed}")
        return None


class PipelineEntryGate(StageGate):
    """A record enters another pipeline only where the target stage lets it in: its
    ``entry_from`` stages, or, undeclared, the pipeline's first stage; a new record starts on any
    stage of the default pipeline, elsewhere only on an undeclared first stage (hardening: gates
    on every move). The engine's own moves are exempt: a robot's cross-pipeline move is itself
    declared in its rule (``move_stage`` names the pipeline, ``return_to_pipeline`` goes back),
    and the target stage's other gates still hold for it."""

    kind = "pipeline_entry"

    def check(self, move):
        if move.by_engine or move.within_pipeline:
            return None
        source, target = move.from_pipeline, move.pipeline
        if source is None and target.name == move.entity.default_pipeline.name:
            return None
        from_stage = move.from_stage.name if move.from_stage else None
        if target.admits(move.stage, source and source.name, from_stage):
            return None
        entries = target.entry_stages(source and source.name, from_stage)
        allowed = ", ".join(label_text(s.label, "en") for s in entries) or "nowhere"
        if source is None:
            return StageMoveRefused(f"a new record cannot start at {_place(target, move.stage)}; "
                                    f"allowed: {allowed}", ("stage",))
        return StageMoveRefused(f"cannot move from {_place(source, move.from_stage)} to "
                                f"{_place(target, move.stage)}; allowed: {allowed}", ("stage",))


def _place(pipeline: PipelineSpec, stage: StageSpec | None) -> str:
    """'Stage' of pipeline 'Pipeline', as refusals name a place."""
    where = f"pipeline {label_text(pipeline.label, 'en')!r}"
    return f"{label_text(stage.label, 'en')!r} of {where}" if stage else where


class RequiredFieldsGate(StageGate):
    """A stage's ``required_fields`` must be filled before a record enters it (BK17)."""

    kind = "required_fields"

    def check(self, move):
        missing = tuple(f for f in move.stage.required_fields if is_empty(move.record.get(f)))
        if missing:
            names = ", ".join(label_text(move.entity.field(f).label, "en") if move.entity.has_field(f) else f
                              for f in missing)
            return StageMoveRefused(
                f"cannot move to {label_text(move.stage.label, 'en')!r}: fill in {names} first", missing)
        return None


class EntryConditionGate(StageGate):
    """A stage's ``entry_condition`` must hold for the record to enter it (PL06)."""

    kind = "entry_condition"

    def check(self, move):
        rule = move.stage.entry_condition
        if rule is None or move.matches is None or move.matches(rule["condition"], move.record):
            return None
        return StageMoveRefused(f"cannot move to {label_text(move.stage.label, 'en')!r}: "
                                f"{label_text(rule['message'], 'en')}")


class OpenLinkedRecordsGate(StageGate):
    """Open linked records listed in the current stage's ``exit_blocked_by`` keep the record
    there (BK16: a deal cannot move on while other people's subtasks are open)."""

    kind = "open_linked_records"

    def check(self, move):
        source = move.from_stage
        if source is None or not source.exit_blocked_by or move.count_open is None \
                or (move.within_pipeline and source.name == move.stage.name):
            return None
        for block in source.exit_blocked_by:
            count = move.count_open(block, move.record)
            if count:
                return StageMoveRefused(f"cannot leave {label_text(source.label, 'en')!r}: "
                                        f"{label_text(block['message'], 'en')} ({count} open)")
        return None


def default_stage_gates() -> Registry[StageGate]:
    gates: Registry[StageGate] = Registry("stage gate")
    for gate in (AllowedMovesGate(), PipelineEntryGate(), RequiredFieldsGate(), EntryConditionGate(),
                 OpenLinkedRecordsGate()):
        gates.register(gate)
    return gates


def resolve_stage(entity: EntitySpec, pipeline: str | None, stage: str | None) -> tuple[PipelineSpec, StageSpec]:
    """The pipeline and stage a record names, defaulting to the default pipeline's first stage."""
    try:
        target = entity.pipeline(pipeline) if pipeline else entity.default_pipeline
    except KeyError:
        raise StageMoveRefused(f"{entity.name} has no pipeline {pipeline!r}", ("pipeline",)) from None
    if stage is None:
        return target, target.first_stage
    try:
        return target, target.stage(stage)
    except KeyError:
        raise StageMoveRefused(f"pipeline {target.name!r} has no stage {stage!r}", ("stage",)) from None


def run_gates(gates: Registry[StageGate], move: StageMove) -> None:
    for gate in gates:
        refusal = gate.check(move)
        if refusal is not None:
            raise refusal
