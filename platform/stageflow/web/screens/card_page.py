"""What the card shows and lets the actor edit, per record and per actor.

Visibility and editability come from the entity policy (rights and field rules) evaluated on
the record, the same rules the RecordService enforces on save: a hidden field is absent from
the card, a read-only one is shown as text. The save itself is the service's job.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...core.specs import FieldSpec, Right
from .card_layout import STAGE, CardTab, card_tabs, placeable_names
from .context import ScreenContext
from .widgets import CardField, ChoiceSource, form_value

STAGE_SPEC = FieldSpec(name=STAGE, kind="stage", label={"en": "Stage", "ru": "Стадия"})


@dataclass
class CardAccess:
    """The names the actor sees on this card and the ones they may change."""

    visible: set[str]
    editable: set[str]

    def editable_specs(self, screen: ScreenContext) -> list[FieldSpec]:
        return [f for f in screen.entity.fields if f.name in self.editable]


def card_access(engine, screen: ScreenContext, record: dict[str, Any], is_new: bool) -> CardAccess:
    """For an existing record, what its JSON holds is what the actor may see (the service has
    already removed hidden fields); for a new one, the field rules decide on the defaults."""
    policy = engine.catalog.context(screen.app_name, screen.entity_name).policy(screen.actor)
    names = placeable_names(screen.entity)
    if is_new:
        hidden = policy.hidden_fields(record) if policy.has_field_rules else set()
        visible = {n for n in names if n not in hidden}
    else:
        visible = {n for n in names if n in record}
    right = Right.CREATE if is_new else Right.UPDATE
    if not screen.can(right):
        return CardAccess(visible, set())
    frozen = policy.read_only_fields(record) if policy.has_field_rules else set()
    writable = {f.name for f in screen.entity.fields if engine.kinds.fields.get(f.kind).writable}
    if screen.entity.has_pipelines:
        writable.add(STAGE)
    return CardAccess(visible, {n for n in visible if n in writable and n not in frozen})


@dataclass
class CardView:
    """Everything card.html needs besides the record's timeline and history."""

    tabs: list[CardTab]
    fields: dict[str, CardField]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def general_errors(self) -> list[str]:
        """Errors that belong to no field shown on the card."""
        return [f"{name}: {message}" if name != "*" else message
                for name, message in self.errors.items() if name not in self.fields]


def _stage_choices(screen: ScreenContext, pipeline_name: str | None) -> list[tuple[str, str]]:
    entity = screen.entity
    pipeline = next((p for p in entity.pipelines if p.name == pipeline_name), entity.default_pipeline)
    return [(s.name, screen.label(s.label, s.name)) for s in pipeline.stages] if pipeline else []


def _card_field(source: ChoiceSource, screen: ScreenContext, spec: FieldSpec, value: Any,
                readonly: bool, pipeline: str | None) -> CardField:
    label = screen.label(spec.label, spec.name)
    card_field = CardField(spec, label, value, readonly)
    if spec.kind == STAGE:
        card_field.choices = _stage_choices(screen, pipeline)
    else:
        card_field.choices = source.choices(spec, value)
    if spec.kind == "money":
        card_field.extra["currency"] = spec.options.get("currency", "RUB")
    elif spec.kind == "link":
        target = spec.options["entity"]
        card_field.extra.update(entity=target, title_field=screen.app.entity(target).title_field or "",
                                text=source.link_label(spec, value) if value else "")
    elif spec.kind == "file":
        card_field.extra["files"] = source.file_infos(value or [])
    elif spec.kind == "child_table":
        card_field.extra["columns"] = [(c, screen.label(c.label, c.name)) for c in spec.children]
    return card_field


def card_view(engine, screen: ScreenContext, access: CardAccess, values: dict[str, Any],
              errors: dict[str, str] | None = None, pipeline: str | None = None) -> CardView:
    """The card's tabs and fields; ``values`` are in form shape (see :func:`form_values`)."""
    source = ChoiceSource(engine, screen)
    errors = dict(errors or {})
    fields = {}
    for name in placeable_names(screen.entity):
        if name not in access.visible:
            continue
        spec = STAGE_SPEC if name == STAGE else screen.entity.field(name)
        fields[name] = _card_field(source, screen, spec, values.get(name, form_value(spec, None)),
                                   name not in access.editable, pipeline)
        fields[name].error = errors.get(name)
    return CardView(card_tabs(screen.entity, set(fields), screen.label), fields, errors)


def form_values(screen: ScreenContext, record: dict[str, Any]) -> dict[str, Any]:
    """A record's values (JSON data) in the shape the widgets hold."""
    values = {f.name: form_value(f, record.get(f.name)) for f in screen.entity.fields}
    values[STAGE] = record.get(STAGE) or ""
    return values
