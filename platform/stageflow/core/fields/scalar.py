"""Plain value kinds: text, numbers, booleans and contact strings."""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, ClassVar

from .base import FieldKind, FieldValueError, Storage


class StringKind(FieldKind):
    """One line of text. ``{"name": "title", "kind": "string", "options": {"max_length": 120}}``"""

    kind = "string"
    storage = Storage.STRING
    options_schema = {"type": "object", "additionalProperties": False,
                      "properties": {"max_length": {"type": "integer", "minimum": 1, "maximum": 4000, "default": 255}}}
    example = "Иванов Иван"
    text_like = True

    def string_length(self, field):
        return int(field.options.get("max_length", 255))

    def parse(self, value, field):
        if not isinstance(value, (str, int, Decimal)) or isinstance(value, bool):
            raise FieldValueError("expected text")
        text = str(value).strip()
        if "\n" in text:
            raise FieldValueError("must be one line")
        if len(text) > self.string_length(field):
            raise FieldValueError(f"is longer than {self.string_length(field)} characters")
        return text


class TextKind(FieldKind):
    """Long text. ``{"name": "notes", "kind": "text"}``"""

    kind = "text"
    storage = Storage.TEXT
    bulky = True
    example = "Первая строка\nвторая строка"
    text_like = True
    MAX_LENGTH: ClassVar[int] = 1_000_000

    def parse(self, value, field):
        if not isinstance(value, str):
            raise FieldValueError("expected text")
        if len(value) > self.MAX_LENGTH:
            raise FieldValueError("is longer than 1,000,000 characters")
        return value


def _bounds_schema(number: dict) -> dict:
    return {"type": "object", "additionalProperties": False,
            "properties": {"min": number, "max": number}}


def _check_bounds(value: Any, field) -> None:
    low, high = field.options.get("min"), field.options.get("max")
    if low is not None and value < low:
        raise FieldValueError(f"must be at least {low}")
    if high is not None and value > high:
        raise FieldValueError(f"must be at most {high}")


class IntegerKind(FieldKind):
    """A whole number. ``{"name": "quantity", "kind": "integer", "options": {"min": 0}}``"""

    kind = "integer"
    storage = Storage.INTEGER
    number = True
    options_schema = _bounds_schema({"type": "integer"})
    example = 42
    # The largest magnitude a 64-bit column holds.
    MAX_ABS: ClassVar[int] = 2**63 - 1

    def parse(self, value, field):
        if isinstance(value, bool):
            raise FieldValueError("expected a whole number")
        try:
            number = int(value) if not isinstance(value, (float, Decimal)) else None
        except (TypeError, ValueError):
            number = None
        if number is None:
            finite = isinstance(value, float) and math.isfinite(value) or \
                isinstance(value, Decimal) and value.is_finite()
            if finite and value == int(value):
                number = int(value)
            else:
                raise FieldValueError("expected a whole number")
        if abs(number) > self.MAX_ABS:
            raise FieldValueError("is out of range")
        _check_bounds(number, field)
        return number


class DecimalKind(FieldKind):
    """An exact decimal. ``{"name": "rate", "kind": "decimal", "options": {"precision": 10, "scale": 4}}``"""

    kind = "decimal"
    storage = Storage.DECIMAL
    number = True
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "precision": {"type": "integer", "minimum": 1, "maximum": 38, "default": 18},
        "scale": {"type": "integer", "minimum": 0, "maximum": 12, "default": 2},
        "min": {"type": "number"}, "max": {"type": "number"}}}
    example = "1234.50"

    def decimal_shape(self, field):
        return int(field.options.get("precision", 18)), int(field.options.get("scale", 2))

    def check_options(self, field):
        precision, scale = self.decimal_shape(field)
        if scale > precision:
            yield "scale", f"scale {scale} is larger than precision {precision}"

    def parse(self, value, field):
        if isinstance(value, bool):
            raise FieldValueError("expected a number")
        if isinstance(value, str):
            value = value.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise FieldValueError("expected a number") from None
        if not number.is_finite():
            raise FieldValueError("expected a finite number")
        precision, scale = self.decimal_shape(field)
        with localcontext() as context:
            context.prec = 80
            if abs(number) >= Decimal(10) ** (precision - scale + 1):
                raise FieldValueError(f"has more than {precision - scale} digits before the point")
            number = number.quantize(Decimal(1).scaleb(-scale))
        if len(number.as_tuple().digits) > precision:
            raise FieldValueError(f"has more than {precision} digits")
        _check_bounds(number, field)
        return number

    def to_json(self, value):
        return None if value is None else str(value)


class MoneyKind(DecimalKind):
    """An amount of money, two decimal places. ``{"name": "amount", "kind": "money", "options": {"currency": "RUB"}}``"""

    kind = "money"
    options_schema = {"type": "object", "additionalProperties": False, "properties": {
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "RUB"},
        "min": {"type": "number"}, "max": {"type": "number"}}}
    example = "150000.00"

    def decimal_shape(self, field):
        return (18, 2)


class BooleanKind(FieldKind):
    """Yes or no. ``{"name": "important", "kind": "boolean"}``"""

    kind = "boolean"
    storage = Storage.BOOLEAN
    example = True
    TRUE = {"true", "1", "yes", "y", "on", "да"}
    FALSE = {"false", "0", "no", "n", "off", "нет"}

    def parse(self, value, field):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in self.TRUE | self.FALSE:
            return value.strip().lower() in self.TRUE
        raise FieldValueError("expected true or false")


class _PatternKind(FieldKind):
    storage = Storage.STRING
    pattern: re.Pattern
    what: str
    text_like = True

    def string_length(self, field):
        return 254

    def parse(self, value, field):
        if not isinstance(value, str):
            raise FieldValueError(f"expected {self.what}")
        text = value.strip()
        if len(text) > 254 or not self.pattern.fullmatch(text):
            raise FieldValueError(f"{text[:60]!r} is not {self.what}")
        return text


class EmailKind(_PatternKind):
    """An e-mail address. ``{"name": "email", "kind": "email"}``"""

    kind = "email"
    pattern = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z0-9-]{2,}")
    what = "an e-mail address"
    example = "client@example.com"


class PhoneKind(_PatternKind):
    """A phone number. ``{"name": "phone", "kind": "phone"}``"""

    kind = "phone"
    pattern = re.compile(r"\+?[0-9][0-9 ()\-]{4,30}")
    what = "a phone number"
    example = "+7 (912) 345-67-89"


class UrlKind(_PatternKind):
    """An http(s) link. ``{"name": "site", "kind": "url"}``"""

    kind = "url"
    pattern = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
    what = "an http(s) URL"
    example = "https://example.com/case/1"

    def string_length(self, field):
        return 2000

    def parse(self, value, field):
        if isinstance(value, str) and len(value.strip()) > 2000:
            raise FieldValueError("is longer than 2000 characters")
        if not isinstance(value, str) or not self.pattern.fullmatch(value.strip()):
            raise FieldValueError(f"expected {self.what}")
        return value.strip()
