"""The kanban board of a pipeline: ``/<app>/<entity>/board?pipeline=``.

Columns are the pipeline's stages; each loads at most ``COLUMN_PAGE`` cards through the
RecordService (record rules and field rules apply) and offers "more", which fetches the next
cards as an HTML fragment from ``/<app>/<entity>/board/cards``. Moving a card is a PATCH of its
``stage`` through the REST API (static/board.js), so the stage gates decide, as everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, render_template, request

from ...core.specs import FieldSpec, PipelineSpec, Right, StageSpec
from ...data import FilterError, RecordNotFound
from ..extension import stageflow_engine
from .context import ScreenContext, screen_context
from .list_columns import CellText
from .navigation import board_url, card_url
from .quick_create import quick_create_defaults
from .record_display import card_fields, choices, format_money, record_title, title_field
from .rendering import render_screen

COLUMN_PAGE = 50


@dataclass(frozen=True)
class CardLine:
    label: str
    text: str
    color: str | None = None


@dataclass(frozen=True)
class Card:
    id: int
    version: int
    title: str
    url: str
    lines: tuple[CardLine, ...]


@dataclass
class Column:
    stage: StageSpec
    label: str
    cards: list[Card]
    count: int
    next_cursor: str | None
    total: str | None = None


class CardMaker:
    """Turns record JSON into cards: the configured fields read as the list reads them (linked
    titles, users' names, labels in the screen's language), amounts formatted, choices colored."""

    def __init__(self, screen: ScreenContext):
        self.screen = screen
        self.fields = card_fields(screen.entity)
        self.cells = CellText(screen)
        self.choice_maps = {f.name: {c.value: c for c in choices(screen.app, f, screen.label)}
                            for f in self.fields if f.kind == "select"}

    def cards(self, records: list[dict[str, Any]]) -> list[Card]:
        """The cards of one page: the linked titles are read once for the page, not per card."""
        self.cells.load_titles(stageflow_engine().records, self.fields, records)
        return [self._card(record) for record in records]

    def _card(self, record: dict[str, Any]) -> Card:
        lines = []
        for spec in self.fields:
            if spec.name not in record:  # hidden from this actor by a field rule
                continue
            lines.extend(self._lines(spec, record[spec.name]))
        screen = self.screen
        return Card(record["id"], record["version"], record_title(screen.entity, record),
                    card_url(screen.app_name, screen.entity_name, record["id"]), tuple(lines))

    def _lines(self, spec: FieldSpec, value: Any) -> list[CardLine]:
        label = self.screen.field_label(spec)
        known = self.choice_maps.get(spec.name)
        if known is not None and value in known:
            return [CardLine(label, known[value].label, known[value].color)]
        if spec.kind == "money" and value not in (None, ""):
            return [CardLine(label, format_money(value))]
        text = self.cells.field_text(spec, value)
        return [CardLine(label, text)] if text else []


def pipeline_of(screen: ScreenContext, name: str | None) -> PipelineSpec:
    entity = screen.entity
    if not entity.pipelines:
        abort(404, description=f"{entity.name} has no pipeline, so no board")
    if not name:
        return entity.default_pipeline
    try:
        return entity.pipeline(name)
    except KeyError:
        abort(404, description=f"{entity.name} has no pipeline {name!r}")


def stage_of(pipeline: PipelineSpec, name: str | None) -> StageSpec:
    try:
        return pipeline.stage(name or "")
    except KeyError:
        abort(404, description=f"pipeline {pipeline.name!r} has no stage {name!r}")


def stage_filter(pipeline: PipelineSpec, stage: StageSpec) -> dict[str, Any]:
    return {"all": [{"field": "pipeline", "op": "eq", "value": pipeline.name},
                    {"field": "stage", "op": "eq", "value": stage.name}]}


def money_field(screen: ScreenContext) -> FieldSpec | None:
    """The money field whose sum heads a column: the first on the cards, else the entity's first."""
    shown = [f for f in card_fields(screen.entity) if f.kind == "money"]
    return (shown or [f for f in screen.entity.fields if f.kind == "money"] or [None])[0]


def column_sum(cards_records: list[dict[str, Any]], money: FieldSpec | None) -> str | None:
    """The sum of the column's amounts; None when no card has one (a "0.00" would claim one)."""
    if money is None:
        return None
    amounts = []
    for record in cards_records:
        try:
            amounts.append(Decimal(str(record[money.name])))
        except (KeyError, InvalidOperation):  # no amount, or hidden from this actor
            continue
    return format_money(sum(amounts, Decimal(0))) if amounts else None


def load_column(screen: ScreenContext, maker: CardMaker, pipeline: PipelineSpec, stage: StageSpec,
                after: str | None = None) -> Column:
    records = stageflow_engine().records
    where = stage_filter(pipeline, stage)
    page = records.list(screen.actor, screen.app_name, screen.entity_name, where=where, sort="-id",
                        limit=COLUMN_PAGE, after=after)
    first_page = after is None
    # Later pages ("more") need neither the count nor the sum, which head the column.
    count = records.count(screen.actor, screen.app_name, screen.entity_name, where=where) if first_page else 0
    # The sum is shown only when every card of the column is loaded: a partial sum would mislead.
    total = column_sum(page.items, money_field(screen)) if page.next_cursor is None and first_page else None
    return Column(stage, screen.label(stage.label, stage.name), maker.cards(page.items),
                  count, page.next_cursor, total)


def register(bp: Blueprint) -> None:
    @bp.get("/<app>/<entity>/board", endpoint="board_view")
    def board_view(app: str, entity: str):
        screen = screen_context(app, entity)
        pipeline = pipeline_of(screen, request.args.get("pipeline"))
        maker = CardMaker(screen)
        columns = [load_column(screen, maker, pipeline, stage) for stage in pipeline.stages]
        title = title_field(screen.entity)
        return render_screen("board.html", screen, pipeline=pipeline, columns=columns,
                             pipeline_label=screen.label(pipeline.label, pipeline.name),
                             title_field=title.name if title else None,
                             quick_defaults=quick_create_defaults(screen),
                             can_create=screen.can(Right.CREATE) and title is not None,
                             can_move=screen.can(Right.UPDATE),
                             active_url=board_url(app, entity, pipeline.name))

    @bp.get("/<app>/<entity>/board/cards", endpoint="board_cards")
    def board_cards(app: str, entity: str):
        """The next cards of a column (``stage`` and ``cursor``) or one card (``id``), as HTML."""
        screen = screen_context(app, entity)
        pipeline = pipeline_of(screen, request.args.get("pipeline"))
        maker = CardMaker(screen)
        if request.args.get("id"):
            record_id = request.args.get("id", type=int)
            try:
                record = stageflow_engine().records.get(screen.actor, app, entity, record_id or 0)
            except RecordNotFound:
                abort(404, description=f"{entity} #{record_id} does not exist")
            return render_template("stageflow/board_cards.html", cards=maker.cards([record]), more=None)
        stage = stage_of(pipeline, request.args.get("stage"))
        try:
            column = load_column(screen, maker, pipeline, stage, request.args.get("cursor") or None)
        except FilterError:
            abort(400, description="the cursor is not valid")
        return render_template("stageflow/board_cards.html", cards=column.cards, more=column.next_cursor)
