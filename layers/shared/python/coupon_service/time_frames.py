"""Recurring time frames: the weekdays and hours, in the coupon's time zone, when a coupon may be used.

A frame is `{"days": ["mon", ...], "start": "HH:MM", "end": "HH:MM"}` in wall-clock time. It is open from
`start` (inclusive) to `end` (exclusive) on each listed day; `end` may be `24:00`. A frame whose end is
before its start runs overnight: it opens on a listed day and closes the next morning (`fri 22:00-02:00`
is Friday 22:00 to Saturday 02:00). A frame whose start and end are equal, or that lists no day, never
opens and is refused when a coupon is created.

Wall clock and daylight saving: a frame follows the local clock. On the day clocks go forward, a start
that falls in the skipped hour opens when the clock jumps (a frame ending in the skipped hour does not
open that day); on the day clocks go back, the repeated hour is inside the frame both times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coupon_service.items import ClaimItem

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SECONDS = 24 * 3600
_LOOK_AHEAD = 9  # days searched for the next opening: every weekday, from the day before today


@dataclass(frozen=True)
class Frame:
    days: frozenset[int]  # 0 = Monday
    start: int  # seconds after local midnight
    end: int  # DAY_SECONDS for 24:00

    @classmethod
    def of(cls, frame: Mapping[str, Any]) -> Frame:
        return cls(
            frozenset(DAYS.index(d) for d in frame["days"]), _seconds(frame["start"]), _seconds(frame["end"])
        )

    @property
    def overnight(self) -> bool:
        return self.end < self.start

    def never_opens(self) -> bool:
        return not self.days or self.start == self.end

    def covers(self, weekday: int, second: float) -> bool:
        if not self.overnight:
            return weekday in self.days and self.start <= second < self.end
        return (weekday in self.days and second >= self.start) or (
            (weekday - 1) % 7 in self.days and second < self.end
        )


def _seconds(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def frames_of(frames: Iterable[Mapping[str, Any]]) -> list[Frame]:
    return [Frame.of(f) for f in frames]


def is_open(frames: list[Frame], zone: ZoneInfo, at: datetime) -> bool:
    local = at.astimezone(zone)
    second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(f.covers(local.weekday(), second) for f in frames)


def _wall(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def local_instant(day: date, second: int, zone: ZoneInfo) -> datetime:
    """The first instant the local clock reads `second` after midnight of `day`, or passes it (a time the
    clock skips opens when the clock jumps over it)."""
    wall = datetime.combine(day, time()) + timedelta(seconds=second)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) == wall:
        return first
    # In a gap: the two folds give the instants either side of the jump; find the jump to the second.
    low, high = sorted((first, wall.replace(tzinfo=zone, fold=1).astimezone(UTC)))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def next_opening(frames: list[Frame], zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first instant after `after` at which a frame opens (None: none opens within a week)."""
    today = after.astimezone(zone).date()
    found: list[datetime] = []
    for offset in range(-1, _LOOK_AHEAD):
        day = today + timedelta(days=offset)
        for frame in frames:
            if day.weekday() in frame.days and not frame.never_opens():
                opening = local_instant(day, frame.start, zone)
                if opening > after and is_open(frames, zone, opening):
                    found.append(opening)
    return min(found, default=None)


def opens_between(frames: list[Frame], zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether any frame is open at some instant in [start, end)."""
    if start >= end:
        return False
    if is_open(frames, zone, start):
        return True
    opening = next_opening(frames, zone, start)
    # Frames repeat weekly: no opening within a week means none ever; a later one may still be before `end`.
    return opening is not None and opening < end


def outside(claim: ClaimItem, now: str) -> dict[str, Any] | None:
    """Why a claimed coupon cannot be used at `now` for its time frames (None: it can): the details of an
    `outside_time_frame` refusal, with the next opening while it is still valid (None: it never opens
    again)."""
    frames, time_zone, valid_until = claim.time_frames, claim.time_zone, claim.valid_until
    if not frames:
        return None
    parsed, zone, at = frames_of(frames), ZoneInfo(time_zone), _instant(now)
    if is_open(parsed, zone, at):
        return None
    opening = next_opening(parsed, zone, at)
    still_valid = opening is not None and opening < _instant(valid_until)
    return {
        "next_opening": opening.strftime("%Y-%m-%dT%H:%M:%SZ") if still_valid and opening else None,
        "time_zone": time_zone,
        "time_frames": list(frames),
    }


def _instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
