"""Kinds that hold time: dates, moments and durations."""
from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from .base import FieldKind, FieldValueError, Storage


class DateKind(FieldKind):
    """A calendar day, ISO ``2026-11-23`` (also ``23.11.2026``). ``{"name": "due", "kind": "date"}``"""

    kind = "date"
    storage = Storage.DATE
    example = "2026-11-23"

    def parse(self, value, field):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            text = value.strip()
            if len(text) == 10 and text[4] == "-":
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    pass
            for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
                try:
                    return dt.datetime.strptime(text, fmt).date()
                except ValueError:
                    pass
        raise FieldValueError("expected a date like 2026-11-23")

    def to_json(self, value):
        return None if value is None else value.isoformat()


class DateTimeKind(FieldKind):
    """A moment, stored in UTC. ``{"name": "meeting_at", "kind": "datetime"}``

    Input without a time zone is taken as UTC; output is ISO 8601 with ``Z``.
    """

    kind = "datetime"
    storage = Storage.DATETIME
    example = "2026-11-23T10:30:00+03:00"

    def parse(self, value, field):
        if isinstance(value, str):
            text = value.strip().replace("Z", "+00:00")
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                raise FieldValueError("expected a date and time like 2026-11-23T10:30:00Z") from None
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return value.replace(microsecond=0)
        raise FieldValueError("expected a date and time like 2026-11-23T10:30:00Z")

    def to_json(self, value):
        return None if value is None else value.isoformat() + "Z"


_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_HUMAN = re.compile(r"\s*(\d+)\s*([wdhms])\s*", re.IGNORECASE)
_ISO = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.IGNORECASE)


class DurationKind(FieldKind):
    """A length of time in whole seconds; accepts ``5400``, ``"1h 30m"`` or ``"PT1H30M"``.

    ``{"name": "estimate", "kind": "duration"}``
    """

    kind = "duration"
    storage = Storage.INTEGER
    number = True
    example = "1h 30m"
    MAX_SECONDS: ClassVar[int] = 2**40 - 1

    def parse(self, value, field):
        if isinstance(value, bool):
            raise FieldValueError("expected a duration like 1h 30m")
        if isinstance(value, int):
            seconds = value
        elif isinstance(value, dt.timedelta):
            seconds = int(value.total_seconds())
        elif isinstance(value, str) and value.strip().isdigit():
            seconds = int(value.strip())
        elif isinstance(value, str) and (iso := _ISO.fullmatch(value.strip())) and any(iso.groups()):
            w, d, h, m, s = (int(g or 0) for g in iso.groups())
            seconds = w * 604800 + d * 86400 + h * 3600 + m * 60 + s
        elif isinstance(value, str) and re.fullmatch(r"(\s*\d+\s*[wdhms]\s*)+", value, re.IGNORECASE):
            seconds = sum(int(n) * _UNITS[u.lower()] for n, u in _HUMAN.findall(value))
        else:
            raise FieldValueError("expected a duration like 1h 30m, PT1H30M or seconds")
        if seconds < 0 or seconds > self.MAX_SECONDS:
            raise FieldValueError("is out of range")
        return seconds
