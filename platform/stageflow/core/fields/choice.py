"""Kinds that pick from a list: inline choices or the items of a handbook."""
from __future__ import annotations

from .base import FieldKind, FieldValueError, RefType, Storage

# The longest choice code, inline or a handbook item's.
CODE_MAX_LENGTH = 100

_CHOICE_OPTIONS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "choices": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["value"],
                "additionalProperties": False,
                "properties": {
                    "value": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$", "maxLength": CODE_MAX_LENGTH},
                    "label": {"$ref": "common.schema.json#/$defs/label"},
                    "color": {"$ref": "common.schema.json#/$defs/color"},
                },
            },
        },
        "handbook": {"$ref": "common.schema.json#/$defs/name"},
    },
    "oneOf": [{"required": ["choices"]}, {"required": ["handbook"]}],
}


def choice_values(field) -> list[str] | None:
    """The allowed codes of inline choices; None when a handbook supplies them."""
    choices = field.options.get("choices")
    return None if choices is None else [c["value"] for c in choices]


class _ChoiceKind(FieldKind):
    options_schema = _CHOICE_OPTIONS
    choice = True

    def references(self, field):
        if "handbook" in field.options:
            yield "handbook", RefType.HANDBOOK, field.options["handbook"]

    def check_options(self, field):
        values = choice_values(field) or []
        seen = set()
        for value in values:
            if value in seen:
                yield "choices", f"choice {value!r} is listed twice"
            seen.add(value)

    def _one(self, value, field) -> str:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise FieldValueError("expected a choice code")
        code = str(value).strip()
        allowed = choice_values(field)
        # Handbook codes are checked against the handbook's rows by the record service.
        if allowed is not None and code not in allowed:
            raise FieldValueError(f"{code!r} is not one of {', '.join(allowed)}")
        return code


class SelectKind(_ChoiceKind):
    """One choice. ``{"name": "priority", "kind": "select", "options": {"choices": [{"value": "high"}]}}``
    or from a handbook: ``{"name": "city", "kind": "select", "options": {"handbook": "city"}}``
    """

    kind = "select"
    storage = Storage.STRING
    example = "a"

    def string_length(self, field):
        return CODE_MAX_LENGTH

    def parse(self, value, field):
        return self._one(value, field)


class MultiSelectKind(_ChoiceKind):
    """Several choices, stored as a list. ``{"name": "tags", "kind": "multiselect", "options": {"handbook": "tag"}}``

    Text input separates codes with ``|`` or ``,``.
    """

    kind = "multiselect"
    storage = Storage.JSON
    bulky = True
    example = ["a", "b"]

    def parse(self, value, field):
        if isinstance(value, str):
            value = [v for v in value.replace(",", "|").split("|") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise FieldValueError("expected a list of choice codes")
        codes = []
        for item in value:
            code = self._one(item, field)
            if code not in codes:
                codes.append(code)
        return codes or None
