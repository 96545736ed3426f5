"""Validity models and the window rules: when a claimed coupon starts and ends."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

WindowState = Literal["not_started", "active", "expired"]

# Every instant a client sends lies in this range (docs/decisions.md): far enough for any real coupon,
# near enough that adding a validity's days or a time zone's offset never leaves datetime's range.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)

# Strict: JSON's own types only ("10" is not a number, "true" not a boolean); unknown fields refused.
STRICT = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True, defer_build=True)


def _iso_text(value: object) -> object:
    # An instant arrives as an ISO 8601 string; a number (Unix seconds) is refused, not guessed at.
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date-time string with an offset, e.g. 2030-01-01T00:00:00Z")
    return value


def _in_range(moment: datetime) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"must be between {to_iso(EARLIEST)} and {to_iso(LATEST)}")
    return moment


# Lax only for the string-to-datetime step, which strict mode would refuse for a parsed JSON body.
Instant = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_iso_text), AfterValidator(_in_range)]

# [0-9], not \d: \d also matches non-ASCII digits, which int() would happily read.
_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")


class FixedValidity(BaseModel):
    """The same calendar window for everyone, whenever they claim."""

    model_config = STRICT
    type: Literal["fixed"]
    start: Instant
    end: Instant

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        # A field validator (not a model one) so the error is located at `end`; `start` is
        # absent from info.data when it failed its own validation, and that error suffices.
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start")
        return end


class RelativeDaysValidity(BaseModel):
    """Starts `starts_after_days` days after the claim day (0 = at the claim), lasts `days` whole days."""

    model_config = STRICT
    type: Literal["relative_days"]
    starts_after_days: int = Field(ge=0, le=365)
    days: int = Field(ge=1, le=3650)


class HoursValidity(BaseModel):
    """From the claim instant, for a number of hours (less than a day: longer is `relative_days`)."""

    model_config = STRICT
    type: Literal["hours"]
    hours: int = Field(ge=1, le=23)


AnyValidity = FixedValidity | RelativeDaysValidity | HoursValidity
Validity = Annotated[AnyValidity, Field(discriminator="type")]


def _require_aware(name: str, moment: datetime) -> None:
    # A naive datetime would be read as the host's local time by astimezone(): refuse it instead.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 is the first 00:00 when midnight repeats, and the transition instant when a DST gap
    # swallows midnight: in both cases the instant the local day begins.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def window_for_claim(
    validity: AnyValidity, claimed_at: datetime, time_zone: str
) -> tuple[datetime, datetime]:
    """The [start, end) window, in UTC, of a coupon claimed at `claimed_at` in zone `time_zone`."""
    _require_aware("claimed_at", claimed_at)
    claimed_at = claimed_at.astimezone(UTC)
    if isinstance(validity, FixedValidity):
        return validity.start.astimezone(UTC), validity.end.astimezone(UTC)
    if isinstance(validity, HoursValidity):
        return claimed_at, claimed_at + timedelta(hours=validity.hours)
    if isinstance(validity, RelativeDaysValidity):
        zone = ZoneInfo(time_zone)
        # Whole calendar days in the coupon's zone, so a 23- or 25-hour local day is still one day.
        claim_day = claimed_at.astimezone(zone).date()
        first_day = claim_day + timedelta(days=validity.starts_after_days)
        end_day = first_day + timedelta(days=validity.days)
        start = max(claimed_at, _local_midnight(first_day, zone))
        return start, _local_midnight(end_day, zone)
    raise TypeError(f"unknown validity {validity!r}")


def shortest_window(validity: AnyValidity, claims_close: datetime) -> timedelta:
    """The least time any coupon claimed before `claims_close` can be used: what a reminder's lead must
    stay under for every claimer to be reminded."""
    if isinstance(validity, FixedValidity):  # the last claimer gets what is left after the claims close
        return max(timedelta(0), validity.end - max(claims_close, validity.start))
    if isinstance(validity, HoursValidity):
        return timedelta(hours=validity.hours)
    if isinstance(validity, RelativeDaysValidity):
        # Starting at the claim, the claim day's remainder can be a second; a later start gives whole
        # days, and a local day can be an hour short (a daylight-saving change).
        days = validity.days - (0 if validity.starts_after_days else 1)
        return max(timedelta(0), timedelta(days=days) - timedelta(hours=1))
    raise TypeError(f"unknown validity {validity!r}")


def window_state(start: datetime, end: datetime, now: datetime) -> WindowState:
    """Where `now` falls in the window: start is inclusive, end exclusive."""
    if now < start:
        return "not_started"
    return "active" if now < end else "expired"


def extended_window(
    held_start: datetime,
    held_end: datetime,
    new_validity: AnyValidity,
    claimed_at: datetime,
    time_zone: str,
) -> tuple[datetime, datetime]:
    """A held coupon's window after the merchant changes the validity: recomputed, but never shorter."""
    _, new_end = window_for_claim(new_validity, claimed_at, time_zone)
    return held_start, max(held_end, new_end)


def lengthens(old: AnyValidity, new: AnyValidity) -> bool:
    """Whether a change of validity gives coupons already held a later end: a later fixed end, more hours,
    or a later last day; a validity of another type applies to future claims only."""
    if isinstance(old, FixedValidity) and isinstance(new, FixedValidity):
        return new.end > old.end
    if isinstance(old, HoursValidity) and isinstance(new, HoursValidity):
        return new.hours > old.hours
    if isinstance(old, RelativeDaysValidity) and isinstance(new, RelativeDaysValidity):
        return new.starts_after_days + new.days > old.starts_after_days + old.days
    return False


def reminder_time(reminder: Mapping[str, Any], valid_until: datetime, time_zone: str) -> datetime:
    """When a coupon ending at `valid_until` is reminded: `hours_before_expiry` before its end, or at the
    local time `at` (HH:MM in the coupon's zone) `days_before` days before its last day (the day its last
    second falls on); if that time is not before the end (the last day, a time later than the end's), the
    day before."""
    _require_aware("valid_until", valid_until)
    if reminder.get("hours_before_expiry") is not None:
        return valid_until.astimezone(UTC) - timedelta(hours=int(reminder["hours_before_expiry"]))
    zone = ZoneInfo(time_zone)
    last_day = (valid_until - timedelta(seconds=1)).astimezone(zone).date()
    hour, minute = (int(part) for part in str(reminder["at"]).split(":"))
    day = last_day - timedelta(days=int(reminder.get("days_before") or 0))
    moment = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
    if moment >= valid_until:
        moment = datetime.combine(day - timedelta(days=1), time(hour, minute), tzinfo=zone).astimezone(UTC)
    return moment


def longest_lead(reminder: Mapping[str, Any]) -> timedelta:
    """The longest time before a coupon's end its reminder can be sent: what must stay under the shortest
    validity for every claimer to be reminded (a local day can be an hour long more)."""
    if reminder.get("hours_before_expiry") is not None:
        return timedelta(hours=int(reminder["hours_before_expiry"]))
    return timedelta(days=int(reminder.get("days_before") or 0) + 1, hours=1)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # Listing the zones walks the tz database on disk, so it is done once per process.
    return frozenset(available_timezones())


def is_valid_time_zone(name: str) -> bool:
    """Whether `name` is an IANA zone key (e.g. 'Asia/Shanghai') that zoneinfo can load here."""
    # Membership first: ZoneInfo() alone would accept any readable file under the tz path.
    if not isinstance(name, str) or name not in _known_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def to_iso(dt: datetime) -> str:
    """`dt` in UTC as fixed-width 'YYYY-MM-DDTHH:MM:SSZ' (sub-seconds dropped), so strings sort as times."""
    _require_aware("dt", dt)
    u = dt.astimezone(UTC)
    # Formatted by hand: strftime('%Y') does not zero-pad years before 1000 on every platform.
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def from_iso(text: str) -> datetime:
    """The aware UTC datetime for a string in exactly the `to_iso` format; anything else is a ValueError."""
    match = _ISO_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a UTC timestamp of the form YYYY-MM-DDTHH:MM:SSZ: {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
