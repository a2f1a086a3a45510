"""The field-kind interface: how a kind is stored, checked, parsed and shown as JSON."""
from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..specs import FieldSpec


class Storage(StrEnum):
    """Column types the data layer knows how to build."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    JSON = "json"
    # No column of its own (child tables live in a table of their own).
    NONE = "none"


class RefType(StrEnum):
    ENTITY = "entity"
    HANDBOOK = "handbook"


class FieldValueError(ValueError):
    """A value a field cannot hold; the message names what is wrong in user terms."""


def empty_options_schema() -> dict:
    return {"type": "object", "additionalProperties": False, "properties": {}}


class FieldKind:
    """Base of every field kind. Subclasses set the class constants and override ``parse``."""

    kind: ClassVar[str]
    storage: ClassVar[Storage]
    options_schema: ClassVar[dict] = empty_options_schema()
    # A value ``parse`` must accept, for the contract suite and generated docs.
    example: ClassVar[Any] = None
    # Whether a user may type the value (computed values are written by the engine).
    writable: ClassVar[bool] = True
    # Whether list search looks into this kind when the field is searchable.
    text_like: ClassVar[bool] = False
    # Traits the screens go by, so no screen lists kind names. A number is right-aligned,
    # exported as a number and filtered by a range.
    number: ClassVar[bool] = False
    # Long text, lists, files and rows: poor default list columns.
    bulky: ClassVar[bool] = False
    # The value is one or more codes of inline choices or of a handbook's items.
    choice: ClassVar[bool] = False

    def parse(self, value: Any, field: FieldSpec) -> Any:
        """Turn input (JSON, form or CSV text) into the stored Python value, or raise."""
        raise NotImplementedError

    def coerce(self, value: Any, field: FieldSpec) -> Any:
        """Like ``parse`` but empty input (``None``, ``""``) is always ``None``."""
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return None
        return self.parse(value, field)

    def to_json(self, value: Any) -> Any:
        """The stored value as JSON data."""
        return value

    def initial_value(self, field: FieldSpec) -> Any:
        """What a new record starts with when the field declares no default (JSON data)."""
        return None

    def value_kind(self, field: FieldSpec) -> FieldKind:
        """The kind whose values this field holds (a computed field holds its result kind's)."""
        return self

    def storage_of(self, field: FieldSpec) -> Storage:
        """The column type of this field (computed fields depend on their options)."""
        return self.storage

    def string_length(self, field: FieldSpec) -> int | None:
        return None

    def decimal_shape(self, field: FieldSpec) -> tuple[int, int]:
        return (18, 2)

    def references(self, field: FieldSpec) -> Iterator[tuple[str, RefType, str]]:
        """Names in the options that must resolve: (options key, what, name)."""
        return iter(())

    def check_options(self, field: FieldSpec) -> Iterator[tuple[str, str]]:
        """Meaning checks beyond the options schema: (options key, message)."""
        return iter(())
