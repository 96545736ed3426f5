"""The service's clock, passed in: services take `clock=` (the system's by default), pure rules take `now`.

Nothing here is module state: a test or the local stack makes its own `ManualClock` and hands it to the
services it builds, or to the functions it invokes with the invocation's context (`api.clock`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, UTC, truncated to whole seconds (stored times are second-precision)."""
        ...


class SystemClock:
    """The machine's clock: what every function reads in Lambda."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


SYSTEM = SystemClock()


class ManualClock:
    """A clock a test or the local stack moves: standing at `at` (set with `set`), or, without `at`,
    running with the system's clock; `advance` moves it forward either way."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = at.astimezone(UTC) if at is not None else None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        base = self._at if self._at is not None else datetime.now(UTC) + self._offset
        return base.replace(microsecond=0)

    def set(self, at: datetime) -> None:
        """Stand at `at` from now on (until set or advanced again)."""
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._at is not None:
            self._at += delta
        else:
            self._offset += delta
