"""Unit tests for the validity models and window rules: fixed, relative days, hours, DST and ISO strings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from coupon_service.validity import (
    FixedValidity,
    HoursValidity,
    RelativeDaysValidity,
    Validity,
    extended_window,
    from_iso,
    is_valid_time_zone,
    to_iso,
    window_for_claim,
    window_state,
)
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
ZONES = [
    "UTC",
    "Asia/Shanghai",
    "America/New_York",
    "Europe/London",
    "America/Santiago",
    "Australia/Lord_Howe",
]

claim_instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
)
any_validity = st.one_of(
    st.builds(
        RelativeDaysValidity,
        type=st.just("relative_days"),
        starts_after_days=st.integers(0, 365),
        days=st.integers(1, 3650),
    ),
    st.builds(HoursValidity, type=st.just("hours"), hours=st.integers(1, 23)),
)


def relative(n: int, m: int) -> RelativeDaysValidity:
    return RelativeDaysValidity(type="relative_days", starts_after_days=n, days=m)


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def starts_local_day(moment: datetime, zone: ZoneInfo, day: date) -> bool:
    """Whether `moment` is the first instant of local date `day` in `zone`."""
    return moment.astimezone(zone).date() == day and (moment - timedelta(microseconds=1)).astimezone(
        zone
    ).date() == day - timedelta(days=1)


# --- fixed ---------------------------------------------------------------------------------------


def test_fixed_window_is_its_own_start_and_end_in_utc():
    # Given a fixed validity written with a +08:00 offset
    validity = FixedValidity(type="fixed", start="2030-01-01T08:00:00+08:00", end="2030-02-01T08:00:00+08:00")
    # When anyone claims it, in any zone
    start, end = window_for_claim(validity, datetime(2029, 12, 1, tzinfo=UTC), "America/New_York")
    # Then the window is its own start and end, as UTC
    assert (start, end) == (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC))
    assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)


@pytest.mark.parametrize("end", ["2030-01-01T00:00:00Z", "2029-12-31T23:59:59Z", "2030-01-01T08:00:00+08:00"])
def test_fixed_end_must_be_after_start(end):
    # Given a fixed validity whose end is not after its start (the last is the same instant as start)
    # When it is validated
    with pytest.raises(ValidationError) as raised:
        FixedValidity(type="fixed", start="2030-01-01T00:00:00Z", end=end)
    # Then the error is located at and names `end`
    (error,) = raised.value.errors()
    assert error["loc"] == ("end",)
    assert "end" in error["msg"]


def test_fixed_rejects_naive_datetimes():
    # Given a start without a time zone, Then it is refused: an instant needs an offset
    with pytest.raises(ValidationError) as raised:
        FixedValidity(type="fixed", start="2030-01-01T00:00:00", end="2030-01-02T00:00:00Z")
    assert raised.value.errors()[0]["loc"] == ("start",)


# --- relative days -------------------------------------------------------------------------------


def test_claim_at_2359_same_day_validity_ends_a_minute_later():
    # Given a claim at 23:59 local time in Shanghai and "from the claim day, for 1 day"
    claimed = local(SHANGHAI, 2024, 5, 20, 23, 59)
    # When the window is computed
    start, end = window_for_claim(relative(0, 1), claimed, "Asia/Shanghai")
    # Then it starts at the claim and ends at that local midnight, one minute later
    assert start == claimed
    assert end == local(SHANGHAI, 2024, 5, 21, 0, 0)
    assert end - start == timedelta(minutes=1)
    assert end == datetime(2024, 5, 20, 16, 0, tzinfo=UTC)


def test_claim_at_2359_next_day_validity_is_the_whole_next_local_day():
    # Given a claim at 23:59 Shanghai time and "from the day after the claim, for 1 day"
    claimed = local(SHANGHAI, 2024, 5, 20, 23, 59)
    # When the window is computed
    start, end = window_for_claim(relative(1, 1), claimed, "Asia/Shanghai")
    # Then it starts at the next local midnight and lasts 24 hours
    assert start == local(SHANGHAI, 2024, 5, 21, 0, 0) == datetime(2024, 5, 20, 16, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=24)


def test_relative_days_uses_the_claim_day_in_the_coupons_zone_not_utc():
    # Given a claim at 01:00 in Shanghai, which is still the previous day in UTC
    claimed = local(SHANGHAI, 2024, 5, 21, 1, 0)
    assert claimed.astimezone(UTC).date() == date(2024, 5, 20)
    # When "from the claim day, for 3 days" is computed
    start, end = window_for_claim(relative(0, 3), claimed, "Asia/Shanghai")
    # Then it ends at Shanghai midnight starting the 24th, not a UTC-based date
    assert start == claimed
    assert end == local(SHANGHAI, 2024, 5, 24, 0, 0)


def test_dst_start_day_in_new_york_is_23_hours():
    # Given a claim the day before clocks spring forward in New York (2024-03-10)
    claimed = local(NEW_YORK, 2024, 3, 9, 12, 0)
    # When "from the next day, for 1 day" is computed
    start, end = window_for_claim(relative(1, 1), claimed, "America/New_York")
    # Then the window is local midnight to local midnight, which is 23 hours
    assert start == datetime(2024, 3, 10, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert end == datetime(2024, 3, 11, 4, 0, tzinfo=UTC)  # 00:00 EDT
    assert end - start == timedelta(hours=23)
    assert end.astimezone(NEW_YORK).hour == 0


def test_dst_end_day_in_new_york_is_25_hours():
    # Given a claim the day before clocks fall back in New York (2024-11-03)
    claimed = local(NEW_YORK, 2024, 11, 2, 12, 0)
    # When "from the next day, for 1 day" is computed
    start, end = window_for_claim(relative(1, 1), claimed, "America/New_York")
    # Then the window is local midnight to local midnight, which is 25 hours
    assert start == datetime(2024, 11, 3, 4, 0, tzinfo=UTC)  # 00:00 EDT
    assert end == datetime(2024, 11, 4, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert end - start == timedelta(hours=25)


def test_a_week_across_dst_still_ends_at_local_midnight():
    # Given a 7-day validity claimed before the spring change in New York
    claimed = local(NEW_YORK, 2024, 3, 8, 9, 30)
    # When the window is computed
    _, end = window_for_claim(relative(0, 7), claimed, "America/New_York")
    # Then it ends at local midnight 7 calendar days on, 7 days minus the lost hour after local midnight
    assert end.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2024, 3, 15, 0, 0)
    assert end - local(NEW_YORK, 2024, 3, 8, 0, 0) == timedelta(days=7, hours=-1)


def test_day_whose_midnight_falls_in_a_dst_gap_starts_at_the_transition():
    # Given Santiago, where on 2024-09-08 clocks jump from 00:00 straight to 01:00
    claimed = local(SANTIAGO, 2024, 9, 7, 12, 0)
    # When "from the next day, for 1 day" is computed
    start, end = window_for_claim(relative(1, 1), claimed, "America/Santiago")
    # Then the window starts at the first instant of 8 September (01:00 local) and ends at the 9th
    assert starts_local_day(start, SANTIAGO, date(2024, 9, 8))
    assert start.astimezone(SANTIAGO).hour == 1
    assert starts_local_day(end, SANTIAGO, date(2024, 9, 9))
    assert end - start == timedelta(hours=23)


@given(claim_instants, st.sampled_from(ZONES), st.integers(0, 365), st.integers(1, 3650))
def test_relative_days_window_is_whole_local_days(claimed, zone_name, n, m):
    # Given any claim instant, zone and relative-days validity
    zone = ZoneInfo(zone_name)
    claim_day = claimed.astimezone(zone).date()
    # When the window is computed
    start, end = window_for_claim(relative(n, m), claimed, zone_name)
    # Then it never starts before the claim and ends at the first instant of local day claim+N+M
    assert claimed <= start < end
    assert starts_local_day(end, zone, claim_day + timedelta(days=n + m))
    # And it starts at the claim for N = 0, else at the first instant of local day claim+N
    if n == 0:
        assert start == claimed
    else:
        assert starts_local_day(start, zone, claim_day + timedelta(days=n))
    # And both are UTC
    assert start.tzinfo is UTC and end.tzinfo is UTC


# --- hours ---------------------------------------------------------------------------------------


def test_hours_window_runs_from_the_claim_for_that_many_hours():
    # Given a 3-hour validity claimed at 10:15 UTC
    claimed = datetime(2024, 6, 1, 10, 15, tzinfo=UTC)
    # When the window is computed
    start, end = window_for_claim(HoursValidity(type="hours", hours=3), claimed, "Asia/Shanghai")
    # Then it is the claim instant plus 3 hours
    assert (start, end) == (claimed, datetime(2024, 6, 1, 13, 15, tzinfo=UTC))


def test_23_hours_across_a_dst_change_are_23_elapsed_hours():
    # Given a 23-hour validity claimed at 00:30 on New York's 23-hour day
    claimed = local(NEW_YORK, 2024, 3, 10, 0, 30)
    # When the window is computed
    start, end = window_for_claim(HoursValidity(type="hours", hours=23), claimed, "America/New_York")
    # Then it lasts 23 real hours, which on this day ends at 00:30 local the next day
    assert end - start == timedelta(hours=23)
    assert end.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2024, 3, 11, 0, 30)


@given(claim_instants, st.integers(1, 23), st.sampled_from(ZONES))
def test_hours_window_property(claimed, hours, zone_name):
    # Given any claim instant and hours validity
    start, end = window_for_claim(HoursValidity(type="hours", hours=hours), claimed, zone_name)
    # Then the window is exactly [claim, claim + hours]
    assert start == claimed
    assert end - start == timedelta(hours=hours)


@pytest.mark.parametrize("hours", [0, 24, -1])
def test_hours_outside_1_to_23_are_refused(hours):
    # Given an hours validity of 0 or 24 hours, Then it is refused at `hours`
    with pytest.raises(ValidationError) as raised:
        HoursValidity(type="hours", hours=hours)
    assert raised.value.errors()[0]["loc"] == ("hours",)


@pytest.mark.parametrize("hours", [1, 23])
def test_hours_bounds_are_accepted(hours):
    assert HoursValidity(type="hours", hours=hours).hours == hours


@pytest.mark.parametrize(
    ("n", "m", "field"),
    [(-1, 1, "starts_after_days"), (366, 1, "starts_after_days"), (0, 0, "days"), (0, 3651, "days")],
)
def test_relative_days_bounds(n, m, field):
    # Given out-of-range N or M, Then the offending field is named
    with pytest.raises(ValidationError) as raised:
        relative(n, m)
    assert raised.value.errors()[0]["loc"] == (field,)


def test_naive_claim_instant_is_refused():
    # Given a claim time without a zone, Then the window is not guessed from the host's zone
    with pytest.raises(ValueError):
        window_for_claim(relative(0, 1), datetime(2024, 1, 1, 12, 0), "UTC")


# --- the discriminated union ---------------------------------------------------------------------


def test_validity_union_picks_the_model_by_type():
    # Given the three kinds as JSON-like dicts
    adapter = TypeAdapter(Validity)
    # When they are validated through the union
    # Then each becomes its own model
    assert isinstance(adapter.validate_python({"type": "hours", "hours": 2}), HoursValidity)
    assert isinstance(
        adapter.validate_python({"type": "relative_days", "starts_after_days": 0, "days": 1}),
        RelativeDaysValidity,
    )
    fixed = adapter.validate_python(
        {"type": "fixed", "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}
    )
    assert isinstance(fixed, FixedValidity)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "hours", "hours": 2, "minutes": 5},
        {"type": "relative_days", "starts_after_days": 0, "days": 1, "tz": "UTC"},
        {"type": "fixed", "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z", "x": 1},
    ],
)
def test_unknown_fields_are_refused(data):
    # Given a validity with an extra field, Then it is refused, naming that field
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Validity).validate_python(data)
    (error,) = raised.value.errors()
    assert error["type"] == "extra_forbidden"
    assert error["loc"][-1] in {"minutes", "tz", "x"}


def test_unknown_type_is_refused():
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Validity).validate_python({"type": "weeks", "weeks": 1})
    assert raised.value.errors()[0]["type"] == "union_tag_invalid"


def test_fixed_error_through_the_union_is_located_at_end():
    # Given a fixed validity with end before start, validated through the union
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Validity).validate_python(
            {"type": "fixed", "start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}
        )
    # Then the location names the kind and the field
    assert raised.value.errors()[0]["loc"] == ("fixed", "end")


# --- window state --------------------------------------------------------------------------------


def test_window_state_boundaries():
    # Given a window [start, end)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2024, 1, 2, tzinfo=UTC)
    second = timedelta(seconds=1)
    # Then before start it has not started, start is active, end is expired
    assert window_state(start, end, start - second) == "not_started"
    assert window_state(start, end, start) == "active"
    assert window_state(start, end, end - second) == "active"
    assert window_state(start, end, end) == "expired"
    assert window_state(start, end, end + timedelta(days=300)) == "expired"


# --- extended window -----------------------------------------------------------------------------


def test_longer_new_validity_extends_the_held_window():
    # Given a held 1-day window from a claim in Shanghai
    claimed = local(SHANGHAI, 2024, 5, 20, 10, 0)
    held = window_for_claim(relative(0, 1), claimed, "Asia/Shanghai")
    # When the merchant changes the validity to 5 days
    start, end = extended_window(*held, relative(0, 5), claimed, "Asia/Shanghai")
    # Then the customer keeps the start and gets the longer end
    assert start == held[0]
    assert end == local(SHANGHAI, 2024, 5, 25, 0, 0)


def test_shorter_new_validity_never_shortens_the_held_window():
    # Given a held 5-day window
    claimed = local(SHANGHAI, 2024, 5, 20, 10, 0)
    held = window_for_claim(relative(0, 5), claimed, "Asia/Shanghai")
    # When the merchant changes the validity to 2 hours
    extended = extended_window(*held, HoursValidity(type="hours", hours=2), claimed, "Asia/Shanghai")
    # Then nothing changes for the customer
    assert extended == held


def test_later_starting_validity_keeps_the_held_start():
    # Given a held window that started at the claim
    claimed = datetime(2024, 5, 20, 2, 0, tzinfo=UTC)
    held = window_for_claim(HoursValidity(type="hours", hours=4), claimed, "UTC")
    # When the new validity would only start days later
    start, end = extended_window(*held, relative(3, 2), claimed, "UTC")
    # Then the customer can still use it from the held start, until the new end
    assert start == claimed
    assert end == datetime(2024, 5, 25, tzinfo=UTC)


@given(claim_instants, any_validity, any_validity, st.sampled_from(ZONES))
def test_extended_window_is_never_shorter(claimed, old, new, zone_name):
    # Given a window held under one validity
    held_start, held_end = window_for_claim(old, claimed, zone_name)
    # When the validity changes to another
    start, end = extended_window(held_start, held_end, new, claimed, zone_name)
    # Then the start is kept and the end is the later of the held and recomputed ends
    _, recomputed_end = window_for_claim(new, claimed, zone_name)
    assert start == held_start
    assert end >= held_end
    assert end == max(held_end, recomputed_end)


# --- time zones ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Asia/Shanghai", "America/New_York", "Europe/London", "UTC"])
def test_known_time_zones(name):
    assert is_valid_time_zone(name)


@pytest.mark.parametrize(
    "name",
    ["", "Mars/Olympus", "asia/shanghai", "/etc/localtime", "../etc/passwd", "Asia/", "Asia/Shanghai "],
)
def test_unknown_time_zones(name):
    assert not is_valid_time_zone(name)


# --- ISO strings ---------------------------------------------------------------------------------


def test_to_iso_is_fixed_width_utc_with_z():
    # Given an instant with an offset and microseconds
    moment = datetime(2024, 5, 20, 23, 59, 58, 999_999, tzinfo=timezone(timedelta(hours=8)))
    # Then it is written in UTC, to the second, with 'Z'
    assert to_iso(moment) == "2024-05-20T15:59:58Z"
    assert to_iso(datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0005-01-02T03:04:05Z"


def test_to_iso_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        to_iso(datetime(2024, 1, 1))


def test_from_iso_gives_aware_utc():
    parsed = from_iso("2024-05-20T15:59:58Z")
    assert parsed == datetime(2024, 5, 20, 15, 59, 58, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-20T15:59:58",
        "2024-05-20T15:59:58+00:00",
        "2024-05-20 15:59:58Z",
        "2024-5-20T15:59:58Z",
        "2024-05-20T15:59:58.5Z",
        "2024-05-20T15:59:58Z\n",
        "2024-13-20T15:59:58Z",
        "\u0662024-05-20T15:59:58Z",
    ],
)
def test_from_iso_accepts_only_the_stored_format(text):
    with pytest.raises(ValueError):
        from_iso(text)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, SHANGHAI, NEW_YORK]),
    )
)
def test_iso_round_trip_to_the_second(moment):
    # Given any aware instant
    text = to_iso(moment)
    # Then the string has the fixed width and reads back as the same instant without sub-seconds
    assert len(text) == 20 and text.endswith("Z")
    assert from_iso(text) == moment.astimezone(UTC).replace(microsecond=0)


@given(claim_instants, claim_instants)
def test_iso_strings_sort_like_the_instants(a, b):
    # Given two instants truncated to seconds (what is stored)
    a, b = a.replace(microsecond=0), b.replace(microsecond=0)
    # Then comparing their strings is comparing the instants
    assert (to_iso(a) < to_iso(b)) == (a < b)
    assert (to_iso(a) == to_iso(b)) == (a == b)
