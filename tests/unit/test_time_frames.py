"""Time frames (coupon_service.time_frames): open or closed at an instant, and the next opening, in the
coupon's time zone, on ordinary days, overnight, and on the days clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from coupon_service.time_frames import frames_of, is_open, next_opening, opens_between, outside
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.support import claim_item

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
LUNCH = frames_of([{"days": WEEKDAYS, "start": "11:00", "end": "14:00"}])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("local", "open_"),
    [
        ("2030-01-07T11:00:00+08:00", True),  # Monday, the opening minute
        ("2030-01-07T13:59:59+08:00", True),
        ("2030-01-07T14:00:00+08:00", False),  # the end is not inside
        ("2030-01-07T10:59:59+08:00", False),
        ("2030-01-12T12:00:00+08:00", False),  # Saturday
    ],
)
def test_a_lunch_frame_is_open_from_its_start_to_its_end_on_its_days(local, open_):
    assert is_open(LUNCH, SHANGHAI, utc(local)) is open_


def test_the_next_opening_skips_the_weekend_in_the_coupons_zone():
    # Friday 15:00 in Shanghai: next is Monday 11:00 there, 03:00 UTC
    assert next_opening(LUNCH, SHANGHAI, utc("2030-01-11T15:00:00+08:00")) == utc("2030-01-14T03:00:00+00:00")
    # Before lunch on a weekday: the same day
    assert next_opening(LUNCH, SHANGHAI, utc("2030-01-08T09:30:00+08:00")) == utc("2030-01-08T11:00:00+08:00")


def test_an_overnight_frame_runs_into_the_next_morning():
    late = frames_of([{"days": ["fri"], "start": "22:00", "end": "02:00"}])
    assert is_open(late, SHANGHAI, utc("2030-01-11T23:30:00+08:00"))  # Friday night
    assert is_open(late, SHANGHAI, utc("2030-01-12T01:59:00+08:00"))  # Saturday, before two
    assert not is_open(late, SHANGHAI, utc("2030-01-12T02:00:00+08:00"))
    assert not is_open(
        late, SHANGHAI, utc("2030-01-11T01:00:00+08:00")
    )  # Friday morning: Thursday's is not listed
    assert next_opening(late, SHANGHAI, utc("2030-01-12T03:00:00+08:00")) == utc("2030-01-18T22:00:00+08:00")


def test_a_frame_to_midnight_ends_at_24_00():
    evening = frames_of([{"days": ["sun"], "start": "18:00", "end": "24:00"}])
    assert is_open(evening, SHANGHAI, utc("2030-01-13T23:59:59+08:00"))
    assert not is_open(evening, SHANGHAI, utc("2030-01-14T00:00:00+08:00"))


def test_on_the_day_clocks_go_forward_a_frame_follows_the_wall_clock():
    # New York springs forward on Sunday 2030-03-10 at 02:00 EST (07:00 UTC) to 03:00 EDT
    morning = frames_of([{"days": ["sat", "sun", "mon"], "start": "09:00", "end": "10:00"}])
    assert next_opening(morning, NEW_YORK, utc("2030-03-09T12:00:00+00:00")) == utc(
        "2030-03-09T14:00:00+00:00"
    )
    # Sunday's 09:00 is EDT: an hour earlier in UTC than Saturday's
    assert next_opening(morning, NEW_YORK, utc("2030-03-09T16:00:00+00:00")) == utc(
        "2030-03-10T13:00:00+00:00"
    )
    assert is_open(morning, NEW_YORK, utc("2030-03-10T13:30:00+00:00"))
    assert not is_open(morning, NEW_YORK, utc("2030-03-10T14:30:00+00:00"))


def test_a_start_the_clock_skips_opens_when_the_clock_jumps():
    # 02:30 does not exist on 2030-03-10 in New York: the frame opens at the jump, 03:00 EDT (07:00 UTC)
    night = frames_of([{"days": ["sun"], "start": "02:30", "end": "04:00"}])
    opening = next_opening(night, NEW_YORK, utc("2030-03-09T12:00:00+00:00"))
    assert opening == utc("2030-03-10T07:00:00+00:00")
    assert opening.astimezone(NEW_YORK).hour == 3
    assert not is_open(night, NEW_YORK, opening - timedelta(seconds=1))


def test_a_frame_inside_the_skipped_hour_does_not_open_that_day():
    gap = frames_of([{"days": ["sun"], "start": "02:00", "end": "02:30"}])
    # Not on the day clocks go forward: a week later, at 02:00 EDT
    assert next_opening(gap, NEW_YORK, utc("2030-03-09T12:00:00+00:00")) == utc("2030-03-17T06:00:00+00:00")


def test_on_the_day_clocks_go_back_the_repeated_hour_is_inside_both_times():
    # New York falls back on Sunday 2030-11-03 at 02:00 EDT (06:00 UTC) to 01:00 EST
    early = frames_of([{"days": ["sun"], "start": "01:00", "end": "02:00"}])
    assert next_opening(early, NEW_YORK, utc("2030-11-02T12:00:00+00:00")) == utc("2030-11-03T05:00:00+00:00")
    assert is_open(early, NEW_YORK, utc("2030-11-03T05:30:00+00:00"))  # 01:30 EDT
    assert is_open(early, NEW_YORK, utc("2030-11-03T06:30:00+00:00"))  # 01:30 EST, the hour again
    assert not is_open(early, NEW_YORK, utc("2030-11-03T07:00:00+00:00"))  # 02:00 EST


def test_frames_that_never_open_inside_a_window_are_found():
    weekend = frames_of([{"days": ["sat"], "start": "10:00", "end": "12:00"}])
    monday, friday = utc("2030-01-07T00:00:00+08:00"), utc("2030-01-11T23:59:59+08:00")
    assert not opens_between(weekend, SHANGHAI, monday, friday)
    assert opens_between(weekend, SHANGHAI, monday, friday + timedelta(hours=11))


def test_outside_gives_the_next_opening_only_while_the_coupon_is_valid():
    attributes = {
        "time_zone": "Asia/Shanghai",
        "time_frames": [{"days": WEEKDAYS, "start": "11:00", "end": "14:00"}],
        "valid_until": "2030-01-14T00:00:00Z",
    }
    claim = claim_item(attributes)
    assert outside(claim, "2030-01-08T04:00:00Z") is None  # Tuesday 12:00 in Shanghai
    assert outside(claim, "2030-01-08T07:00:00Z")["next_opening"] == "2030-01-09T03:00:00Z"
    # Friday after lunch: the next opening (Monday) is after the coupon expires
    assert outside(claim, "2030-01-11T07:00:00Z")["next_opening"] is None
    assert outside(claim_item({**attributes, "time_frames": None}), "2030-01-11T07:00:00Z") is None


_times = st.sampled_from([f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)])
_frame = st.fixed_dictionaries(
    {
        "days": st.lists(st.sampled_from([*WEEKDAYS, "sat", "sun"]), min_size=1, max_size=3, unique=True),
        "start": _times,
        "end": _times,
    }
).filter(lambda f: f["start"] != f["end"])


@settings(max_examples=25, deadline=None)
@given(
    frames=st.lists(_frame, min_size=1, max_size=2),
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Shanghai"]),
    minutes=st.integers(min_value=0, max_value=14 * 24 * 60),
)
def test_when_closed_the_next_opening_is_the_first_open_minute_found_by_walking_the_clock(
    frames, zone, minutes
):
    # Around the northern spring change of 2030 (and Lord Howe's half-hour shift in April)
    start = datetime(2030, 3, 3, tzinfo=UTC) + timedelta(minutes=minutes, seconds=17)
    parsed, tz = frames_of(frames), ZoneInfo(zone)
    assume(not is_open(parsed, tz, start))
    opening = next_opening(parsed, tz, start)
    walked = start.replace(second=0) + timedelta(minutes=1)
    while not is_open(parsed, tz, walked) and walked < start + timedelta(days=8):
        walked += timedelta(minutes=1)
    assert opening == (walked if is_open(parsed, tz, walked) else None)
