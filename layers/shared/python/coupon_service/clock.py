"""The service's clock: UTC now, which tests and the local stack can move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, UTC, truncated to whole seconds (stored times are second-precision)."""
    base = _frozen if _frozen is not None else datetime.now(UTC) + _offset
    return base.replace(microsecond=0)


def freeze(at: datetime) -> None:
    global _frozen
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> None:
    global _offset, _frozen
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


def reset() -> None:
    global _offset, _frozen
    _offset, _frozen = timedelta(0), None
