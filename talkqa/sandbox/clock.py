"""Time as the emulated systems see it; tests swap in a manual clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """The wall clock, in UTC, never going backwards and never repeating a value.

    Two writes in the same microsecond would make "latest wins" ambiguous, so every
    reading is strictly later than the one before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = datetime.min.replace(tzinfo=UTC)

    def _read(self) -> datetime:
        return datetime.now(UTC)

    def now(self) -> datetime:
        with self._lock:
            value = self._read()
            if value <= self._last:
                value = self._last + timedelta(microseconds=1)
            self._last = value
            return value


class ManualClock(Clock):
    """A clock that moves only when told to (each reading still advances by 1 µs)."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        self._now = start or datetime(2024, 9, 10, 13, 43, 43, tzinfo=UTC)

    def _read(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now = max(self._now, self._last) + timedelta(seconds=seconds)
