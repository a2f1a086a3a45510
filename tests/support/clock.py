"""A settable clock for an engine under test."""
from __future__ import annotations

import datetime as dt


class Clock:
    """An injectable clock returning naive UTC datetimes; tests move it by hand (never back)."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now
