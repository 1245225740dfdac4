"""A settable clock: the sandbox's notion of "now", moved by tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def to_millis(moment: datetime) -> datetime:
    """Truncate to milliseconds, the precision the API writes, so rendered values round-trip."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Clock:
    """Thread-safe clock; stays put unless `set` or `advance` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("the sandbox clock needs an aware datetime")
        self._now = to_millis(start.astimezone(UTC))  # in UTC, as `set` keeps it

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the sandbox clock needs an aware datetime")
        with self._lock:
            self._now = to_millis(moment.astimezone(UTC))

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta given as keywords, e.g. advance(days=1, hours=2)."""
        with self._lock:
            self._now = to_millis(self._now + timedelta(**delta))
            return self._now
