"""A settable clock: the sandbox's notion of "now", moved by tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def to_millis(moment: datetime) -> datetime:
    """Truncate to milliseconds, the precision the API writes, so rendered values round-trip."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Clock:
    """Thread-safe clock moved by `set` and `advance`.

    Given a start, it stands there between moves: tests live on a fixed date. Without one it
    runs with this machine's clock (plus whatever `set`/`advance` added), as TeamUp's does:
    the demo and the probe's tests compare its Date header with the local time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._runs = start is None
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("the sandbox clock needs an aware datetime")
        self._now = to_millis(start.astimezone(UTC))  # in UTC, as `set` keeps it
        self._offset = timedelta(0)  # a running clock's distance from the machine's

    def now(self) -> datetime:
        with self._lock:
            if self._runs:
                return to_millis(datetime.now(UTC) + self._offset)
            return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the sandbox clock needs an aware datetime")
        with self._lock:
            self._now = to_millis(moment.astimezone(UTC))
            self._offset = self._now - datetime.now(UTC)

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta given as keywords, e.g. advance(days=1, hours=2)."""
        with self._lock:
            self._offset += timedelta(**delta)
            self._now = to_millis(self._now + timedelta(**delta))
        return self.now()
